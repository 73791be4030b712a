"""Catalog: the service items (服务事项) and the places they are handled.

Owns campuses, departments, locations (halls, offices, shuttle stops, locker sites), service items
with their channels, required materials, fees and time limits, their publication life cycle,
search, and import/export as CSV and YAML.

May import ``core`` and libraries; must not import ``courier``, ``lockers``, ``routes``,
``tickets``, ``web``, Flask or paho.
"""
