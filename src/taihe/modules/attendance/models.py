"""Attendance tables: the rules as editable data (calendars, shifts, groups, rosters, sites),
the facts (punches, leave, trips, overtime), the judged days, balances and closed months.

Punches and the leave ledger are insert-only (database triggers, migration 0002): a wrong
punch is answered by a make-up punch request, a wrong balance by a new ledger line.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from taihe.kernel.db.models import TimestampedModel


class Calendar(TimestampedModel):
    """A work calendar: weekly rest days plus dated exceptions (``CalendarDay``).

    Galleries that open at weekends and close on Mondays get their own calendar with
    ``rest_weekdays=[0]``; statutory holidays (national rows, ``calendar=None``) apply to
    every calendar that ``follows_statutory``.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    rest_weekdays = models.JSONField(_("weekly rest days"), default=list,
                                     help_text=_("Monday is 0, Sunday is 6."))
    follows_statutory = models.BooleanField(_("follows statutory holidays"), default=True)

    class Meta:
        verbose_name = _("work calendar")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """One dated exception: national (``calendar`` empty) or for one calendar."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Statutory holiday")
        ADJUSTED_WORKDAY = "adjusted_workday", _("Make-up working day")
        REST_IN_LIEU = "rest_in_lieu", _("Day off in lieu")
        CLOSURE = "closure", _("Museum closure")
        EVENT = "event", _("Special working day")

    calendar = models.ForeignKey(Calendar, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="attendance_day_once"),
            models.UniqueConstraint(fields=["date"], condition=models.Q(calendar__isnull=True),
                                    name="attendance_national_day_once"),
        ]


class Shift(TimestampedModel):
    """A shift as rosters name it. ``segments`` is ``[["09:00", "12:00"], ...]`` in local
    time; an end at or before its start ends the next day (night shifts)."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed hours")
        FLEXIBLE = "flexible", _("Flexible hours")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FIXED)
    segments = models.JSONField(_("working hours"), default=list, blank=True)
    late_grace_minutes = models.PositiveSmallIntegerField(_("late grace (minutes)"), default=0)
    early_leave_grace_minutes = models.PositiveSmallIntegerField(
        _("early leave grace (minutes)"), default=0)
    serious_late_minutes = models.PositiveSmallIntegerField(
        _("seriously late from (minutes)"), null=True, blank=True)
    absent_if_late_minutes = models.PositiveSmallIntegerField(
        _("absent if later than (minutes)"), null=True, blank=True)
    core_start = models.TimeField(_("core hours from"), null=True, blank=True)
    core_end = models.TimeField(_("core hours until"), null=True, blank=True)
    target_minutes = models.PositiveSmallIntegerField(_("daily target (minutes)"), null=True,
                                                      blank=True)
    earliest_start = models.TimeField(_("earliest start"), null=True, blank=True)
    latest_end = models.TimeField(_("latest end"), null=True, blank=True)
    color = models.CharField(_("colour"), max_length=7, default="#2f6fb1")

    class Meta:
        verbose_name = _("shift")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


REST_CODE = "rest"
"""The roster code for a day off; not a ``Shift`` row."""


class Group(TimestampedModel):
    """An attendance group: who follows which calendar, shift or roster and clock-in rules."""

    class Schedule(models.TextChoices):
        FIXED = "fixed", _("Same shift every working day")
        ROSTER = "roster", _("Rotating roster")

    class OvertimeBasis(models.TextChoices):
        APPROVAL = "approval", _("Approved requests only")
        PUNCHES = "punches", _("Detected from punches")

    class Settlement(models.TextChoices):
        PAY = "pay", _("Overtime pay")
        COMP_TIME = "comp_time", _("Time off in lieu")

    name = models.CharField(_("name"), max_length=100, unique=True)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="groups",
                                 verbose_name=_("calendar"))
    schedule = models.CharField(_("schedule"), max_length=10, choices=Schedule.choices,
                                default=Schedule.FIXED)
    shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="groups", verbose_name=_("shift"))
    cycle = models.JSONField(_("roster cycle"), default=list, blank=True,
                             help_text=_("Shift codes in order; rest for a day off."))
    cycle_anchor = models.DateField(_("cycle starts on"), null=True, blank=True)
    sites: models.ManyToManyField[Site, Any] = models.ManyToManyField(
        "Site", blank=True, related_name="groups", verbose_name=_("sites"))
    allow_geofence = models.BooleanField(_("punch by location"), default=True)
    allow_network = models.BooleanField(_("punch from the museum network"), default=True)
    allow_device = models.BooleanField(_("punch from a registered device"), default=True)
    allow_unverified = models.BooleanField(
        _("accept punches that cannot be verified"), default=False,
        help_text=_("They are kept and marked unverified for the manager to review."))
    overtime_basis = models.CharField(_("overtime counts"), max_length=10,
                                      choices=OvertimeBasis.choices,
                                      default=OvertimeBasis.APPROVAL)
    workday_overtime = models.CharField(_("workday overtime"), max_length=10,
                                        choices=Settlement.choices, default=Settlement.PAY)
    rest_day_overtime = models.CharField(_("rest-day overtime"), max_length=10,
                                         choices=Settlement.choices,
                                         default=Settlement.COMP_TIME)
    minimum_overtime_minutes = models.PositiveSmallIntegerField(
        _("overtime from (minutes)"), default=30)
    make_up_limit = models.PositiveSmallIntegerField(
        _("make-up punches a month"), default=3,
        help_text=_("How many make-up punch requests a person may make each month."))

    class Meta:
        verbose_name = _("attendance group")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's group (one at a time); ``roster_offset`` staggers a team on one cycle."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="attendance_membership")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    roster_offset = models.PositiveSmallIntegerField(_("position in the cycle"), default=0)
    joined_on = models.DateField(_("joined the group"), null=True, blank=True)

    class Meta:
        verbose_name = _("group membership")


class RosterCell(models.Model):
    """One cell of the monthly roster grid: a person's shift code on a date, overriding
    the cycle. Swaps rewrite two cells and keep the swap's reference."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    date = models.DateField(_("date"))
    shift_code = models.CharField(_("shift"), max_length=30)
    note = models.CharField(_("note"), max_length=200, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("roster cell")
        constraints = [models.UniqueConstraint(fields=["person", "date"],
                                               name="attendance_roster_cell_once")]


class Site(TimestampedModel):
    """A place where punching in is allowed: a circle on the map and network ranges."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    radius_m = models.PositiveIntegerField(_("radius (metres)"), default=300)
    networks = models.JSONField(_("network ranges"), default=list, blank=True,
                                help_text=_("CIDR ranges such as 10.20.0.0/16."))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("site")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """A phone or browser a person registered for punching; the key is kept hashed."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="attendance_devices")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    registered_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registered device")
        ordering = ["-registered_at"]


class PunchImport(models.Model):
    """One CSV file of punches from a door-access or time-clock system."""

    file_name = models.CharField(max_length=200)
    source_system = models.CharField(_("system"), max_length=100, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    imported_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("punch import")
        ordering = ["-imported_at"]


class Punch(models.Model):
    """A clock-in record, never edited (insert-only in the database)."""

    class Source(models.TextChoices):
        WEB = "web", _("Browser or phone")
        IMPORT = "import", _("Time clock import")
        CORRECTION = "correction", _("Make-up punch")

    class Verification(models.TextChoices):
        GEOFENCE = "geofence", _("Location")
        NETWORK = "network", _("Museum network")
        DEVICE = "device", _("Registered device")
        TIME_CLOCK = "time_clock", _("Time clock")
        APPROVAL = "approval", _("Approved make-up punch")
        UNVERIFIED = "unverified", _("Not verified")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    at = models.DateTimeField(_("time"))
    source = models.CharField(max_length=12, choices=Source.choices)
    verification = models.CharField(max_length=12, choices=Verification.choices)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    distance_m = models.PositiveIntegerField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    batch = models.ForeignKey(PunchImport, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="punches")
    terminal = models.CharField(max_length=100, blank=True)
    request_number = models.CharField(max_length=32, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("punch")
        ordering = ["person", "at"]
        indexes = [models.Index(fields=["person", "at"], name="attendance_punch_person_at"),
                   models.Index(fields=["at"], name="attendance_punch_at")]


class Employment(models.Model):
    """What annual leave depends on: when the person joined and when their cumulative
    working life started (Regulations on Paid Annual Leave art. 3)."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="attendance_employment")
    joined_on = models.DateField(_("joined the museum"))
    service_start = models.DateField(_("started working"))
    left_on = models.DateField(_("left the museum"), null=True, blank=True)

    class Meta:
        verbose_name = _("employment dates")


class LeaveType(models.Model):
    """A kind of leave: how it is counted and whether a balance limits it."""

    class Unit(models.TextChoices):
        DAY = "day", _("Days")
        HOUR = "hour", _("Hours")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50)
    unit = models.CharField(_("unit"), max_length=4, choices=Unit.choices, default=Unit.DAY)
    calendar_days = models.BooleanField(
        _("counts calendar days"), default=False,
        help_text=_("Maternity leave counts every day; other leave only working days."))
    has_balance = models.BooleanField(_("limited by a balance"), default=False)
    paid = models.BooleanField(_("paid"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("leave type")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.code


class LedgerEntry(models.Model):
    """One line of a person's balance of one leave type (insert-only)."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("Granted")
        ACCRUAL = "accrual", _("Earned")
        DEDUCTION = "deduction", _("Taken")
        RESTORATION = "restoration", _("Given back")
        CARRY_OVER = "carry_over", _("Carried over")
        EXPIRY = "expiry", _("Expired")
        ADJUSTMENT = "adjustment", _("Adjusted by HR")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    leave_type = models.ForeignKey(LeaveType, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    on = models.DateField()
    amount = models.DecimalField(max_digits=8, decimal_places=2,
                                 help_text=_("Signed: what this line adds to the balance."))
    reference = models.CharField(max_length=64, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("leave balance entry")
        ordering = ["person", "leave_type", "on", "id"]
        indexes = [models.Index(fields=["person", "leave_type", "on"],
                                name="attendance_ledger_person")]
        # A year's grant, a request's deduction or restoration, a carry-over and a month's
        # comp-time accrual happen once: the job and HR's button racing cannot double them.
        constraints = [models.UniqueConstraint(
            fields=["person", "leave_type", "reference", "kind"],
            condition=models.Q(kind__in=["grant", "deduction", "restoration", "carry_over",
                                         "accrual"]) & ~models.Q(reference=""),
            name="attendance_ledger_once")]


class RequestStatus(models.TextChoices):
    """Where a mirrored approval request stands (leave, trips, overtime, make-up punches)."""

    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")


class Absence(models.Model):
    """Leave or a business trip, mirrored from its approval request."""

    class Kind(models.TextChoices):
        LEAVE = "leave", _("Leave")
        TRIP = "trip", _("Business trip")

    Status = RequestStatus

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    leave_type = models.ForeignKey(LeaveType, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    start = models.DateField()
    end = models.DateField()
    start_half = models.CharField(max_length=2, blank=True)
    end_half = models.CharField(max_length=2, blank=True)
    amount = models.DecimalField(max_digits=8, decimal_places=2, default=0,
                                 help_text=_("Days or hours, in the leave type's unit."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    request_id = models.PositiveIntegerField(unique=True)
    request_number = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("leave or trip")
        ordering = ["-start"]
        indexes = [models.Index(fields=["person", "start"], name="attendance_absence_person")]


class Overtime(models.Model):
    """Overtime asked for through an approval, mirrored from its request."""

    Status = RequestStatus

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    work_date = models.DateField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    compensation = models.CharField(max_length=10, choices=Group.Settlement.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    request_id = models.PositiveIntegerField(unique=True)
    request_number = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("overtime request")
        ordering = ["-work_date"]


class PunchCorrection(models.Model):
    """A make-up punch request (补卡); on approval it adds a punch of source correction."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    work_date = models.DateField()
    at = models.DateTimeField()
    direction = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=RequestStatus.choices,
                              default=RequestStatus.PENDING)
    request_id = models.PositiveIntegerField(unique=True)
    request_number = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("make-up punch")
        ordering = ["-work_date"]


class DayResult(models.Model):
    """One person's judged working date; rewritten whenever its facts change."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    date = models.DateField()
    department_id = models.IntegerField(null=True, blank=True)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    day_kind = models.CharField(max_length=10)
    shift_code = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=24)
    late_minutes = models.PositiveIntegerField(default=0)
    early_minutes = models.PositiveIntegerField(default=0)
    worked_minutes = models.PositiveIntegerField(default=0)
    overtime_minutes = models.PositiveIntegerField(default=0)
    overtime_class = models.CharField(max_length=10, blank=True)
    overtime_settlement = models.CharField(max_length=10, blank=True)
    leave_minutes = models.PositiveIntegerField(default=0)
    leave_days = models.DecimalField(max_digits=4, decimal_places=2, default=0)
    leave_type = models.CharField(max_length=30, blank=True)
    trip_minutes = models.PositiveIntegerField(default=0)
    missing_punches = models.PositiveSmallIntegerField(default=0)
    serious_late = models.BooleanField(default=False)
    check_in = models.DateTimeField(null=True, blank=True)
    check_out = models.DateTimeField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("daily result")
        constraints = [models.UniqueConstraint(fields=["person", "date"],
                                               name="attendance_day_result_once")]
        indexes = [models.Index(fields=["date", "department_id"],
                                name="attendance_day_department")]


class Month(models.Model):
    """A payroll month; once closed its summaries are frozen."""

    first_day = models.DateField(unique=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    people = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("attendance month")
        ordering = ["-first_day"]


class MonthSummary(models.Model):
    """One person's month, frozen when the month closes (payroll reads this)."""

    month = models.ForeignKey(Month, on_delete=models.CASCADE, related_name="summaries")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    department_id = models.IntegerField(null=True, blank=True)
    group_name = models.CharField(max_length=100, blank=True)
    # Signed: a correction from a closed month may take back more than this month holds.
    scheduled_days = models.SmallIntegerField(default=0)
    worked_days = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    late_count = models.SmallIntegerField(default=0)
    late_minutes = models.IntegerField(default=0)
    early_count = models.SmallIntegerField(default=0)
    early_minutes = models.IntegerField(default=0)
    absent_days = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    missing_punches = models.SmallIntegerField(default=0)
    trip_days = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    leave = models.JSONField(default=dict, blank=True)
    overtime = models.JSONField(default=dict, blank=True)
    comp_time_hours = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    corrections = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("monthly summary")
        constraints = [models.UniqueConstraint(fields=["month", "person"],
                                               name="attendance_summary_once")]


class Correction(models.Model):
    """A change to a day in a closed month, carried into the next open month with its trace."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    day = models.DateField(_("day corrected"))
    closed_month = models.DateField()
    applies_to = models.DateField(_("month it is paid in"))
    changes = models.JSONField(default=dict)
    cause = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("correction of a closed month")
        ordering = ["applies_to", "person", "day"]


class ExportLayout(TimestampedModel):
    """A saved column layout of the payroll export."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    columns = models.JSONField(_("columns"), default=list)
    is_default = models.BooleanField(_("default"), default=False)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("export layout")
        ordering = ["name"]
