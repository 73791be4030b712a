"""The HTML pages, one blueprint per role or feature."""
