"""The administrator's dashboard: its figures, and the daily and monthly rollups they are read
from so that a year of data stays fast.

It reads the rows of ``courier``, ``lockers`` and ``tickets`` (and names from ``catalog`` and
``core``) and owns only its rollup tables; it may import those packages and nothing above them
(no ``services``, ``web`` or adapter library).
"""
