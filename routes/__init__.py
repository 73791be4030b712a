"""Routes: the campus network, shuttle timetables, route planning, ETAs and departure manifests.

Owns the stops and hubs of the network, shuttle lines, trips and their stop times, service
calendars (working days, days off, term and vacation timetables), vehicles and their bus boxes
(named by controller id), drop-box emptying rounds, each consignment's planned route with its
ETA history, departure manifests and the missed-departure reports shown to hubs.

May import ``core``, ``catalog``, ``courier`` and libraries; must not import ``lockers``,
``tickets``, ``web``, Flask or paho.
"""
