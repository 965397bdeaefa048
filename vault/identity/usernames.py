"""Usernames are compared in one form: without surrounding spaces, in lower case."""

from __future__ import annotations


def normal_username(typed: str) -> str:
    """The form a username is stored, looked up and throttled under (``Dr.Martin `` is
    ``dr.martin``)."""
    return typed.strip().lower()
