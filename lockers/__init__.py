"""Lockers: drop boxes, sorting lockers, pickup lockers and the shuttle's courier box.

Owns locker banks and their controllers' health, compartments and their contents, allocation
(the smallest free compartment that fits, reservations that expire), pickup codes (six digits,
stored only as hashes, single use, lockout after repeated wrong tries) and alerts for
administrators.

May import ``core``, ``catalog``, ``courier`` and libraries; must not import
``firmware_bridge``, ``web``, Flask or paho.
"""
