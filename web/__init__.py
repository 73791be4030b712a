"""Web: the Flask app factory, the pages for each role, the JSON API and the ``courier`` CLI.

A thin adapter: it parses requests, calls domain functions, owns the transaction of each request
and renders the answer. It may import every package of the project; no package imports it.
"""
