"""Requests from a practice to its secretaries and replies (docs/items.md, format.md §10)."""
