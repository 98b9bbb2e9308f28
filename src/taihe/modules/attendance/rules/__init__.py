"""The attendance rules as pure Python: work calendars, shifts and rosters, the daily result
of each person, overtime classes, leave durations and entitlements. No Django imports: the
module's services feed them plain values and store what they return."""
