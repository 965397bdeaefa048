"""Appointments taken by secretaries and decided by the practice (docs/items.md)."""
