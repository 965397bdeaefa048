"""What commands need from an initialised vault: keys, database, demo data."""

from __future__ import annotations

from vault.settings import DataLayout, Settings


def write_audit_key(layout: DataLayout) -> None:
    """Create the audit checkpoint signing key in its own file (never in the database)."""
    # Filled in once audit/ provides key generation.


def after_init(settings: Settings) -> None:
    """Print what a new vault needs next (the first admin's invitation, once accounts exist)."""


def seed_demo(settings: Settings) -> None:
    """Put demo data into a new demo vault."""
