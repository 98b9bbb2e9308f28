"""Attendance, leave and overtime: calendars, shifts and rosters, verified punches, the
daily result of every person, balances, the month close and the payroll export. The pure
rules live in ``rules``; design in docs/decisions/0010-attendance.md."""
