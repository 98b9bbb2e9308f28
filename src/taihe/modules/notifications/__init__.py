"""Notifications: the in-app centre, email delivery and per-person preferences."""
