"""The display boards' push server (``courier push``): calls reach every board at once.

Flask serves each request on a thread; a board's event stream would hold one for as long as it
is open. Here the streams are coroutines of one asyncio loop, woken by the commit of a call:
PostgreSQL's ``NOTIFY`` from any process, an in-process signal in the process that committed,
and a slow poll for callers that can do neither (SQLite across processes).
"""
