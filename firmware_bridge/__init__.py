"""Firmware bridge: the server side of the MQTT contract with the locker controllers.

Owns the device-message log (every event stored once by controller and sequence number), dead
letters, sequence gaps and replays, presence, and the command outbox with its acknowledgements.
``contract`` and ``ingest`` (with ``fast_path``, ``sequence``, ``apply`` and ``outbound``) are
plain Python working on a session; ``bridge`` is the paho adapter that feeds them and publishes
what they ask for after the commit.

May import ``core``, ``lockers``, ``courier`` and libraries (paho-mqtt); must not import ``web``
or Flask.
"""
