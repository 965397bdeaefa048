"""Telling people: whom and how (contacts), the daily digest, the on-call ladder, the
escalation of urgent items, its channels and its delivery trail."""
