"""Benchmarks: each module runs as ``python -m bench.<name>``, measures its own baseline in the
same run and prints one JSON object of figures as its last line. May import anything."""
