"""Notifications: whom to tell and how (contacts), the daily digest, the ladder and trail."""
