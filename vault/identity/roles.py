"""The four roles of docs/design.md §1."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MEMBER = "member"  # a client practice's doctor, lawyer, notary or staff
    SECRETARY = "secretary"
    AUDITOR = "auditor"
    ADMIN = "admin"


def min_password_length(role: Role) -> int:
    """Admins and auditors hold more power over the vault, so a longer password."""
    return 16 if role in (Role.ADMIN, Role.AUDITOR) else 12
