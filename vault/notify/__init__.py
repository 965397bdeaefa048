"""Telling people of urgent items: the on-call ladder, the escalation, channels and trail."""
