"""Attendance, leave and overtime (issue 8). So far: the pure rules in ``rules``; the
Django app (models, services, pages) is built on them next."""
