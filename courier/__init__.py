"""Courier: consignments of paper and their chain of custody.

Owns the consignment, the append-only custody log, the state machine that derives a consignment's
state from its events, scans (batched, idempotent), exceptions (damaged, missing, misrouted,
returned, cancelled), photos and the tracking timeline.

May import ``core``, ``catalog`` and libraries; must not import ``lockers``, ``routes``,
``tickets``, ``web``, Flask or paho.
"""
