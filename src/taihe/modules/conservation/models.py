"""Environmental monitoring: quantities, specifications, sensors, readings, rollups, alerts.

Readings live in a time-series table built by the kernel adapter (``kernel.db.timeseries``):
clustered on (sensor, quantity, time) on SQLite, monthly range partitions on PostgreSQL.
``time`` columns of the series tables are whole seconds since the Unix epoch, UTC.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from taihe.kernel.db.models import TimestampedModel
from taihe.modules.conservation.specifications import EnvironmentSpec

READING_COLUMNS: list[tuple[str, str]] = [
    ("sensor_id", "integer"), ("quantity_id", "smallint"), ("time", "bigint"), ("value", "float"),
]


class Quantity(models.Model):
    """A measured quantity. Rows mirror the code registry ``ingest.QUANTITIES`` (seeded after
    every migrate); the small integer id keeps the readings table narrow."""

    id = models.SmallAutoField(primary_key=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    unit = models.CharField(_("unit"), max_length=16)
    minimum = models.FloatField(_("lowest possible value"), null=True, blank=True)
    maximum = models.FloatField(_("highest possible value"), null=True, blank=True)

    class Meta:
        verbose_name = _("measured quantity")
        verbose_name_plural = _("measured quantities")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code

    def possible(self, value: float) -> bool:
        return (math.isfinite(value)
                and (self.minimum is None or value >= self.minimum)
                and (self.maximum is None or value <= self.maximum))


class Specification(TimestampedModel):
    """An environmental specification (heritage.md §3.4): bands as data, never as code.

    Presets are loaded from ``specifications.PRESETS`` and cannot be edited; a museum copies
    one into a custom specification to change it."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.JSONField(_("name"), default=dict)
    t_min = models.FloatField(_("lowest temperature (°C)"), null=True, blank=True)
    t_max = models.FloatField(_("highest temperature (°C)"), null=True, blank=True)
    rh_min = models.FloatField(_("lowest relative humidity (%)"), null=True, blank=True)
    rh_max = models.FloatField(_("highest relative humidity (%)"), null=True, blank=True)
    max_t_change_24h = models.FloatField(_("largest temperature change in 24 h (K)"),
                                         null=True, blank=True)
    max_rh_change_24h = models.FloatField(_("largest RH change in 24 h (% RH)"),
                                          null=True, blank=True)
    lux_max = models.FloatField(_("highest illuminance (lx)"), null=True, blank=True)
    annual_lux_hours_max = models.FloatField(_("annual light dose limit (lx·h)"),
                                             null=True, blank=True)
    uv_max = models.FloatField(_("highest UV (µW/lm)"), null=True, blank=True)
    ashrae_class = models.CharField(_("ASHRAE class"), max_length=4, blank=True)
    source = models.TextField(_("source"), blank=True)
    is_preset = models.BooleanField(_("published preset"), default=False)

    class Meta:
        verbose_name = _("environmental specification")
        verbose_name_plural = _("environmental specifications")
        ordering = ["-is_preset", "code"]

    def __str__(self) -> str:
        return self.code

    def as_spec(self) -> EnvironmentSpec:
        return EnvironmentSpec(
            code=self.code, name=dict(self.name), t_min=self.t_min, t_max=self.t_max,
            rh_min=self.rh_min, rh_max=self.rh_max, max_rh_change_24h=self.max_rh_change_24h,
            max_t_change_24h=self.max_t_change_24h, lux_max=self.lux_max,
            annual_lux_hours_max=self.annual_lux_hours_max, uv_max=self.uv_max,
            source=self.source, ashrae_class=self.ashrae_class or None)


class PlaceEnvironment(TimestampedModel):
    """What a place in the location tree must keep to, and who answers for it. A place
    without a row inherits from the nearest enclosing place that has one."""

    location = models.OneToOneField("catalog.Location", on_delete=models.CASCADE,
                                    primary_key=True, related_name="+",
                                    verbose_name=_("place"))
    specification = models.ForeignKey(Specification, on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="places",
                                      verbose_name=_("specification"))
    responsible = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                         verbose_name=_("responsible people"))

    class Meta:
        verbose_name = _("place environment")
        verbose_name_plural = _("place environments")


class Sensor(TimestampedModel):
    """A data logger or live sensor."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In service")
        INACTIVE = "inactive", _("Out of service")
        RETIRED = "retired", _("Retired")

    code = models.CharField(_("code"), max_length=64, unique=True,
                            help_text=_("Letters, digits, dot, dash and underscore; used in "
                                        "MQTT topics, file imports and the API."))
    name = models.CharField(_("name"), max_length=200, blank=True)
    manufacturer = models.CharField(_("manufacturer"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    serial = models.CharField(_("serial number"), max_length=100, blank=True, db_index=True)
    quantities = models.JSONField(_("measured quantities"), default=list)
    logging_interval_seconds = models.PositiveIntegerField(_("logging interval (seconds)"),
                                                           default=300)
    location = models.ForeignKey("catalog.Location", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("location"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.ACTIVE)
    battery_volts = models.FloatField(_("battery (V)"), null=True, blank=True)
    battery_percent = models.FloatField(_("battery (%)"), null=True, blank=True)
    last_reading_at = models.DateTimeField(_("last reading"), null=True, blank=True)
    last_values = models.JSONField(_("latest values"), default=dict,
                                   help_text=_("Quantity code → [epoch seconds, value]."))
    token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    token_hint = models.CharField(_("token ends with"), max_length=8, blank=True,
                                  editable=False)
    lorawan_device_eui = models.CharField(_("LoRaWAN device EUI"), max_length=16, blank=True,
                                          db_index=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(
            fields=["lorawan_device_eui"], condition=~models.Q(lorawan_device_eui=""),
            name="conservation_one_sensor_per_device_eui")]

    def __str__(self) -> str:
        return self.code


class SensorPlacement(models.Model):
    """Where a sensor was, from when until when: the location history."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="placements")
    location = models.ForeignKey("catalog.Location", on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(_("placed"))
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["sensor", "placed_at"]
        constraints = [models.UniqueConstraint(fields=["sensor"],
                                               condition=models.Q(removed_at__isnull=True),
                                               name="conservation_one_open_placement")]


class Calibration(models.Model):
    """A calibration check: ``offset`` is added to every reading of ``quantity`` taken from
    ``effective_from`` until the next calibration of the same quantity."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="calibrations")
    quantity = models.ForeignKey(Quantity, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateTimeField(_("applies from"))
    offset = models.FloatField(_("offset"))
    reference = models.CharField(_("reference instrument or certificate"), max_length=200,
                                 blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["sensor", "quantity", "effective_from"]
        constraints = [models.UniqueConstraint(fields=["sensor", "quantity", "effective_from"],
                                               name="conservation_one_calibration_per_moment")]


class Reading(models.Model):
    """One stored value (calibrated). The table is created by the kernel time-series adapter;
    write it only through ``store``."""

    pk = models.CompositePrimaryKey("sensor_id", "quantity_id", "time")
    sensor_id = models.IntegerField()
    quantity_id = models.SmallIntegerField()
    time = models.BigIntegerField()
    value = models.FloatField()

    class Meta:
        db_table = "conservation_reading"
        ordering = ["sensor_id", "quantity_id", "time"]


class HourlyRollup(models.Model):
    """min/max/sum/count of a sensor's quantity for one UTC hour, kept in step with readings."""

    pk = models.CompositePrimaryKey("sensor_id", "quantity_id", "hour")
    sensor_id = models.IntegerField()
    quantity_id = models.SmallIntegerField()
    hour = models.BigIntegerField()
    minimum = models.FloatField()
    maximum = models.FloatField()
    total = models.FloatField()
    count = models.IntegerField()

    class Meta:
        ordering = ["sensor_id", "quantity_id", "hour"]


class DailyRollup(models.Model):
    """The same for one museum-local day (``day`` = epoch seconds of local midnight)."""

    pk = models.CompositePrimaryKey("sensor_id", "quantity_id", "day")
    sensor_id = models.IntegerField()
    quantity_id = models.SmallIntegerField()
    day = models.BigIntegerField()
    minimum = models.FloatField()
    maximum = models.FloatField()
    total = models.FloatField()
    count = models.IntegerField()

    class Meta:
        ordering = ["sensor_id", "quantity_id", "day"]


class IngestBatch(models.Model):
    """One arrival of readings (a file, an HTTP push, a LoRaWAN uplink batch, an MQTT
    stretch): what was stored, skipped and rejected, and why."""

    class Source(models.TextChoices):
        FILE = "file", _("Logger file")
        HTTP = "http", _("HTTP push")
        MQTT = "mqtt", _("MQTT")
        LORAWAN = "lorawan", _("LoRaWAN")
        DEMO = "demo", _("Demo data")

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    file_format = models.CharField(_("format"), max_length=32, blank=True)
    sensors = models.JSONField(_("sensors"), default=list)
    stored = models.PositiveIntegerField(_("stored"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    rejected_rows = models.JSONField(_("rejected rows"), default=list,
                                     help_text=_("[row, field, reason], at most 1,000."))
    first_time = models.DateTimeField(null=True, blank=True)
    last_time = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]


class AlertRule(TimestampedModel):
    """An alert rule as data. ``kind`` picks the engine rule class (``alerting.rules``);
    ``parameters`` are its arguments. Scope: one sensor, every sensor in a place (and the
    places inside it), or every sensor when both are empty."""

    class Kind(models.TextChoices):
        BAND = "band", _("Outside a band")
        RATE = "rate", _("Changes too fast")
        SILENCE = "silence", _("Sensor silent")
        BATTERY = "battery", _("Battery low")
        METRIC = "metric", _("Metric threshold")

    class Severity(models.TextChoices):
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parameters = models.JSONField(_("parameters"), default=dict)
    use_specification = models.BooleanField(
        _("band from the place's specification"), default=False,
        help_text=_("For band rules: take the limits from the specification of the sensor's "
                    "place instead of the numbers given here."))
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices,
                                default=Severity.WARNING)
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="alert_rules", verbose_name=_("sensor"))
    location = models.ForeignKey("catalog.Location", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="+", verbose_name=_("place"))
    notify = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                    verbose_name=_("tell"))
    escalate_after_minutes = models.PositiveIntegerField(
        _("escalate after (minutes)"), default=30,
        help_text=_("If nobody acknowledges within this time, tell the escalation list."))
    escalate_to = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                         verbose_name=_("escalate to"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AlertRuleState(models.Model):
    """The engine state of one rule for one sensor, carried between batches."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states")
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="+")
    state = models.JSONField(default=dict)
    evaluated_to = models.BigIntegerField(default=0,
                                          help_text="Epoch seconds of the last reading seen.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "sensor"],
                                               name="conservation_one_state_per_rule_sensor")]


class Alert(models.Model):
    """An alert: opened by the engine, acknowledged and resolved by people."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    sensor = models.ForeignKey(Sensor, on_delete=models.PROTECT, related_name="alerts")
    location = models.ForeignKey("catalog.Location", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+")
    kind = models.CharField(max_length=16, choices=AlertRule.Kind.choices)
    severity = models.CharField(max_length=16, choices=AlertRule.Severity.choices)
    summary = models.CharField(_("summary"), max_length=300)
    condition_since = models.DateTimeField(_("condition began"))
    opened_at = models.DateTimeField(_("opened"))
    value = models.FloatField(_("value"), null=True, blank=True)
    condition_cleared_at = models.DateTimeField(_("condition cleared"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.OPEN)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    escalation_level = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["status", "opened_at"])]


class AlertEntry(models.Model):
    """The alert's history, append-only: opened, notified, escalated, acknowledged,
    commented, condition cleared, resolved."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        NOTIFIED = "notified", _("Notified")
        ESCALATED = "escalated", _("Escalated")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        COMMENTED = "commented", _("Comment")
        CLEARED = "cleared", _("Condition cleared")
        RESOLVED = "resolved", _("Resolved")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    text = models.TextField(blank=True)
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["at", "id"]

