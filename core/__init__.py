"""Core: what every other package stands on.

Owns configuration from the environment, the SQLAlchemy ``Base`` and sessions, the clock,
users and roles with their API tokens, working days and holidays, domain errors, the domain-event
bus and the transactional outbox.

Must not import any other package of this project, nor Flask, paho or a sender SDK.
"""
