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
        FORECAST = "forecast", _("Forecast early warning")

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



# --- Prediction, risk and strategies (issue 5) ---------------------------------------------
# Pure logic lives in ``science`` (forecast, anomalies) and ``materials`` (rule base,
# classifier); these tables keep what was computed from which inputs, so every
# recommendation can be reproduced and shows its sources.


class Agent(models.TextChoices):
    """Agents of deterioration the climate assessment scores (CCI's ten agents, with
    "incorrect RH" split the way CCI splits it: damp, critical RH, fluctuations)."""

    RH_FLUCTUATION = "rh_fluctuation", _("RH fluctuation")
    DAMP_MOULD = "damp_mould", _("Damp and mould")
    CRITICAL_RH = "critical_rh", _("Critical RH")
    TEMPERATURE = "temperature", _("Incorrect temperature")
    LIGHT = "light", _("Light and UV")
    POLLUTANTS = "pollutants", _("Pollutants")
    PESTS = "pests", _("Pests")


class CciAgent(models.IntegerChoices):
    """The CCI ten agents of deterioration (canada.ca, "Agents of deterioration")."""

    PHYSICAL_FORCES = 1, _("Physical forces")
    THIEVES = 2, _("Thieves and vandals")
    FIRE = 3, _("Fire")
    WATER = 4, _("Water")
    PESTS = 5, _("Pests")
    POLLUTANTS = 6, _("Pollutants")
    LIGHT = 7, _("Light, UV and IR")
    TEMPERATURE = 8, _("Incorrect temperature")
    RELATIVE_HUMIDITY = 9, _("Incorrect relative humidity")
    DISSOCIATION = 10, _("Dissociation")


class MaterialRuleSet(models.Model):
    """One version of the material sensitivity rule base, in the shape of
    ``materials/rules.json`` (validated by ``materials.knowledge.RuleBase.from_dict``).
    Versions are never edited: a curator's change saves a new version and makes it current."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    data = models.JSONField(_("rules"))
    note = models.TextField(_("what changed"), blank=True)
    based_on = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("based on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        verbose_name = _("material rule base version")
        verbose_name_plural = _("material rule base versions")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["is_current"],
                                               condition=models.Q(is_current=True),
                                               name="conservation_one_current_ruleset")]


class ObjectMaterials(models.Model):
    """The structured materials of one catalogue object as the classifier read them from its
    medium text (and as a conservator confirmed or corrected them)."""

    class Source(models.TextChoices):
        CLASSIFIER = "classifier", _("Read from the medium text")
        PERSON = "person", _("Set by a person")

    object_id = models.IntegerField(_("object"), unique=True)
    text = models.TextField(_("medium text"), blank=True)
    materials = models.JSONField(
        _("materials"), default=list,
        help_text=_("[{key, confidence, matched, method, role}], most significant first."))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices,
                              default=Source.CLASSIFIER)
    rules_version = models.CharField(_("rule base version"), max_length=32, blank=True)
    classified_at = models.DateTimeField(_("classified"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")

    class Meta:
        verbose_name = _("object materials")
        verbose_name_plural = _("object materials")


class Forecast(models.Model):
    """A 72-hour forecast of one sensor's T and RH, with what it predicts (breaches of the
    place's specification, the mould index reaching 1 and 3)."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="forecasts")
    location = models.ForeignKey("catalog.Location", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    made_at = models.DateTimeField(_("made"))
    training_start = models.DateTimeField(_("trained from"))
    training_end = models.DateTimeField(_("trained to"))
    model = models.CharField(_("model"), max_length=100)
    data = models.JSONField(_("forecast"), help_text=_("science.forecast.ClimateForecast"))
    breaches = models.JSONField(_("predicted breaches"), default=list)
    mould = models.JSONField(_("mould projection"), default=dict)
    specification = models.JSONField(_("limits used"), default=dict)

    class Meta:
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")
        ordering = ["-made_at", "-id"]
        indexes = [models.Index(fields=["sensor", "made_at"])]


class Anomaly(models.Model):
    """Something odd in a sensor's series, with the evidence that explains it and what
    people did about it."""

    class Kind(models.TextChoices):
        STEP = "step", _("Step change")
        DRIFT = "drift", _("Drift")
        CONTROL_LOSS = "control_loss", _("Equipment stopped controlling")
        FLATLINE = "flatline", _("Flat-line")
        SPIKE = "spike", _("Spike")

    class Cause(models.TextChoices):
        EQUIPMENT = "equipment", _("Equipment")
        SENSOR = "sensor", _("Sensor")
        WEATHER = "weather", _("Weather")
        UNKNOWN = "unknown", _("Unknown")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")
        RESOLVED = "resolved", _("Resolved")

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="anomalies")
    location = models.ForeignKey("catalog.Location", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    quantity = models.CharField(_("quantity"), max_length=32)
    cause = models.CharField(_("likely cause"), max_length=16, choices=Cause.choices)
    started_at = models.DateTimeField(_("began"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    score = models.FloatField(_("score"))
    severity = models.CharField(_("severity"), max_length=16)
    explanation_code = models.CharField(max_length=64)
    evidence = models.JSONField(_("evidence"), default=dict)
    fingerprint = models.CharField(max_length=64, unique=True,
                                   help_text=_("sensor, kind, quantity and start: detecting "
                                               "again does not open it twice"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.OPEN)
    detected_at = models.DateTimeField(_("detected"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    maintenance_request = models.CharField(_("maintenance request"), max_length=32,
                                           blank=True, help_text=_("approval request number"))

    class Meta:
        verbose_name = _("anomaly")
        verbose_name_plural = _("anomalies")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "started_at"])]


class ClimateAssessment(models.Model):
    """A place's measured climate over a period and the risks it poses (one row per place,
    replaced on each run); ``inputs`` hold every number the risks were computed from."""

    location = models.OneToOneField("catalog.Location", on_delete=models.CASCADE,
                                    related_name="+")
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("to"))
    summary = models.JSONField(_("climate summary"), default=dict)
    score = models.FloatField(_("risk score"), default=0.0, db_index=True)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("climate assessment")
        verbose_name_plural = _("climate assessments")


class ObjectAssessment(models.Model):
    """One object's climate risk per agent and the strategies that would reduce it, with
    the inputs (materials, rule base version, its place's climate summary) they came from."""

    object_id = models.IntegerField(_("object"), unique=True)
    location = models.ForeignKey("catalog.Location", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    rules_version = models.CharField(_("rule base version"), max_length=32)
    inputs = models.JSONField(_("inputs"), default=dict)
    risks = models.JSONField(_("risk per agent"), default=list)
    strategies = models.JSONField(_("strategies"), default=list)
    score = models.FloatField(_("risk score"), default=0.0, db_index=True)
    top_agent = models.CharField(_("worst agent"), max_length=16, choices=Agent.choices,
                                 blank=True)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("object climate assessment")
        verbose_name_plural = _("object climate assessments")
        ordering = ["-score", "object_id"]


class Risk(TimestampedModel):
    """A risk in the ABC register (Michalski & Pedersoli, *The ABC Method*, CCI/ICCROM 2016):
    how often (A), how much value each affected item loses (B) and how much of the collection
    is affected (C), each on the method's 1–5 scale in half steps, with a low and a high
    estimate. Magnitude MR = A + B + C (3–15)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        TREATING = "treating", _("Being treated")
        ACCEPTED = "accepted", _("Accepted")
        CLOSED = "closed", _("Closed")

    agent = models.PositiveSmallIntegerField(_("agent"), choices=CciAgent.choices)
    title = models.CharField(_("risk"), max_length=200)
    scenario = models.TextField(_("scenario"), blank=True)
    location_ids = models.JSONField(_("places"), default=list)
    object_ids = models.JSONField(_("objects"), default=list)
    segment = models.CharField(_("collection segment"), max_length=200, blank=True)
    a_score = models.FloatField(_("A (frequency)"))
    a_low = models.FloatField(_("A, low estimate"), null=True, blank=True)
    a_high = models.FloatField(_("A, high estimate"), null=True, blank=True)
    b_score = models.FloatField(_("B (loss for each item)"))
    b_low = models.FloatField(_("B, low estimate"), null=True, blank=True)
    b_high = models.FloatField(_("B, high estimate"), null=True, blank=True)
    c_score = models.FloatField(_("C (items affected)"))
    c_low = models.FloatField(_("C, low estimate"), null=True, blank=True)
    c_high = models.FloatField(_("C, high estimate"), null=True, blank=True)
    magnitude = models.FloatField(_("magnitude (MR)"), db_index=True)
    evidence = models.JSONField(_("evidence"), default=dict,
                                help_text=_("suggested A and B from monitoring, with the "
                                            "numbers they came from"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.OPEN)
    review_on = models.DateField(_("review by"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["-magnitude", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(a_score__gte=1, a_score__lte=5)
                           & models.Q(b_score__gte=1, b_score__lte=5)
                           & models.Q(c_score__gte=1, c_score__lte=5)),
                name="conservation_risk_abc_range"),
        ]


class RiskTreatment(TimestampedModel):
    """A way to reduce a risk, with the reduction of MR it is expected to bring."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="treatments")
    description = models.TextField(_("treatment"))
    expected_reduction = models.FloatField(_("expected reduction of MR"))
    cost = models.CharField(_("cost"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PROPOSED)
    request_number = models.CharField(_("request"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("treatment")
        verbose_name_plural = _("treatments")
        ordering = ["-expected_reduction", "id"]


class CareTask(TimestampedModel):
    """A preservation task made from a strategy or an anomaly in one click: what to do,
    where, for which objects, why (the strategy's reasons and numbers), and who does it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("task"), max_length=200)
    detail = models.TextField(_("details"), blank=True)
    strategy = models.CharField(_("strategy"), max_length=64, blank=True)
    object_ids = models.JSONField(_("objects"), default=list)
    location = models.ForeignKey("catalog.Location", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    evidence = models.JSONField(_("evidence"), default=dict)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+",
                                 verbose_name=_("assigned to"))
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.OPEN)
    request_number = models.CharField(_("approval request"), max_length=32, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        ordering = ["status", "due_on", "-id"]
