"""pygal, without the import hook it installs.

Importing pygal appends a legacy finder for its map plugins (unused here) to ``sys.meta_path``;
Python 3.11 then warns on every later import that reaches it (any optional module that is not
installed), and the test suite turns warnings into errors. Import pygal from here, which takes
the finder out again before anything else is imported.
"""

import sys

import pygal

sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

__all__ = ["pygal"]
