"""Taihe's MQTT topic scheme for live sensors, and decoding of the messages on it.

Topics (one sensor per topic, so a broker ACL can confine a device to its own topics)::

    taihe/<site>/sensors/<sensor code>/readings   readings: SenML JSON pack or Taihe JSON
    taihe/<site>/sensors/<sensor code>/status     device status, typically retained, and the
                                                  device's MQTT "last will"

``<site>`` and ``<sensor code>`` are single topic levels: letters, digits and ``- _ . :``, so
never ``/`` or the MQTT wildcards ``+`` and ``#`` (MQTT 3.1.1 §4.7.1: wildcards are not
allowed in topic names). Publish with QoS 1 (heritage.md §4.4).

**Readings payload**: a JSON array is a SenML pack (RFC 8428, see ``senml.py``); a JSON object
is the Taihe JSON format (``json_readings.py``). Names and ``sensor`` fields default to the
topic's sensor, and a payload naming any other sensor is rejected: a device may only write its
own readings.

**Status payload**: a JSON object
``{"time": "<ISO 8601 with offset>", "state": "online"|"offline"|"fault", "battery": 3.05,
"battery_unit": "V"|"%EL", "detail": "<text>"}``; every key is optional but at least one of
``state`` and ``battery`` is required. A last-will message is typically
``{"state": "offline"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from django.utils.translation import gettext_lazy as _

from .json_readings import parse_json_readings
from .readings import (
    BATTERY,
    DEFAULT_MAX_FUTURE,
    LiveReading,
    PayloadInvalid,
    check_not_future,
    check_now,
    check_sensor_code,
    make_reading,
    number,
    parse_timestamp,
)
from .senml import DEFAULT_MAX_BYTES, load_json, parse_senml

ROOT: Final = "taihe"
SENSORS: Final = "sensors"
READINGS: Final = "readings"
STATUS: Final = "status"
TopicKind = Literal["readings", "status"]
STATES: Final = ("online", "offline", "fault")
DETAIL_MAX_LENGTH: Final = 500


@dataclass(frozen=True, slots=True)
class SensorTopic:
    """A parsed topic name: which site and sensor, readings or status."""

    site: str
    sensor: str
    kind: TopicKind

    @property
    def name(self) -> str:
        """The topic name this value stands for."""
        return build_topic(self.site, self.sensor, self.kind)


@dataclass(frozen=True, slots=True)
class SensorStatus:
    """A decoded status message.

    Attributes:
        sensor: the topic's sensor.
        time: when the device sent it, or ``None`` (a last will carries no time).
        state: ``online``, ``offline``, ``fault`` or ``None``.
        battery: the battery reading, if any (needs ``time``).
        detail: free text from the device, at most 500 characters.
    """

    sensor: str
    time: datetime | None
    state: str | None
    battery: LiveReading | None
    detail: str


def _level(value: str, what: str) -> str:
    try:
        return check_sensor_code(value)
    except ValueError as error:
        raise ValueError(
            _("Invalid %(what)s in topic: %(error)s") % {"what": what, "error": error}
        ) from None


def build_topic(site: str, sensor: str, kind: TopicKind = "readings") -> str:
    """Return ``taihe/<site>/sensors/<sensor>/<kind>``.

    Raises:
        ValueError: the site or sensor code is not a valid single topic level (for instance it
            holds ``/``, ``+`` or ``#``), or ``kind`` is unknown.
    """
    if kind not in (READINGS, STATUS):
        raise ValueError(f"kind must be 'readings' or 'status', got {kind!r}")
    return f"{ROOT}/{_level(site, 'site')}/{SENSORS}/{_level(sensor, 'sensor')}/{kind}"


def subscription_filter(site: str | None = None, kind: TopicKind | None = None) -> str:
    """The MQTT topic filter for every sensor of one site (or of all sites) and kind(s).

    Raises:
        ValueError: ``site`` is not a valid topic level.
    """
    site_level = "+" if site is None else _level(site, "site")
    return f"{ROOT}/{site_level}/{SENSORS}/+/{'+' if kind is None else kind}"


def parse_topic(topic: str) -> SensorTopic:
    """Parse a topic name of the scheme.

    Raises:
        ValueError: with a translated message: not of the form
            ``taihe/<site>/sensors/<sensor>/readings|status``, or a level holds characters a
            code may not (wildcards included).
    """
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != ROOT or parts[2] != SENSORS:
        raise ValueError(
            _("Topic %(topic)r is not taihe/<site>/sensors/<sensor>/readings or …/status.")
            % {"topic": topic}
        )
    kind = parts[4]
    if kind not in (READINGS, STATUS):
        raise ValueError(
            _("Topic %(topic)r ends in %(kind)r; expected readings or status.")
            % {"topic": topic, "kind": kind}
        )
    return SensorTopic(
        site=_level(parts[1], "site"),
        sensor=_level(parts[3], "sensor"),
        kind=READINGS if kind == READINGS else STATUS,
    )


def decode_readings_message(
    topic: SensorTopic,
    payload: bytes,
    *,
    now: datetime,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> list[LiveReading]:
    """Decode a message on a ``…/readings`` topic (SenML array or Taihe JSON object).

    Raises:
        PayloadInvalid: the payload is invalid in either format, or names a sensor other than
            the topic's.
    """
    document = load_json(payload, max_bytes)
    readings: list[LiveReading]
    if isinstance(document, list):
        readings = parse_senml(
            document, now=now, default_sensor=topic.sensor, max_future=max_future
        )
    else:
        readings = parse_json_readings(
            document, now=now, default_sensor=topic.sensor, max_future=max_future
        )
    others = sorted({r.sensor for r in readings} - {topic.sensor})
    if others:
        raise PayloadInvalid(
            _("Readings for sensor %(other)s were published on the topic of sensor %(sensor)s.")
            % {"other": others[0], "sensor": topic.sensor}
        )
    return readings


def decode_status_message(
    topic: SensorTopic,
    payload: bytes,
    *,
    now: datetime,
    max_bytes: int = 64 * 1024,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> SensorStatus:
    """Decode a message on a ``…/status`` topic (module docstring).

    Raises:
        PayloadInvalid: not a JSON object, an unknown key or state, an invalid time or
            battery value, a battery value without a time, or neither state nor battery.
    """
    now = check_now(now)
    document = load_json(payload, max_bytes)
    if not isinstance(document, Mapping):
        raise PayloadInvalid(_("A status message must be a JSON object."))
    fields: dict[str, Any] = {}
    unknown = sorted(set(document) - {"time", "state", "battery", "battery_unit", "detail"})
    for key in unknown:
        fields[key] = _("Unknown field.")
    time: datetime | None = None
    if "time" in document:
        try:
            time = parse_timestamp(document["time"])
            check_not_future(time, now, max_future)
        except ValueError as error:
            fields["time"] = error
    state = document.get("state")
    if state is not None and state not in STATES:
        fields["state"] = _("Expected one of %(states)s.") % {"states": ", ".join(STATES)}
    detail = document.get("detail", "")
    if not isinstance(detail, str) or len(detail) > DETAIL_MAX_LENGTH:
        fields["detail"] = _("Expected text of at most %(max)d characters.") % {
            "max": DETAIL_MAX_LENGTH
        }
    battery: LiveReading | None = None
    if "battery" in document:
        unit = document.get("battery_unit", "V")
        if "time" not in document:
            fields["battery"] = _("A battery value needs a time.")
        elif time is not None:
            try:
                unit_text = unit if isinstance(unit, str) else str(unit)
                value = number(document["battery"])
                battery = make_reading(topic.sensor, BATTERY, time, value, unit_text)
            except ValueError as error:
                fields["battery"] = error
    elif state is None and not fields:
        fields["state"] = _("Give a state or a battery value.")
    if fields:
        first = next(iter(fields))
        raise PayloadInvalid(
            _("Invalid status message at %(field)s: %(message)s")
            % {"field": first, "message": fields[first]},
            fields=fields,
        )
    return SensorStatus(
        sensor=topic.sensor,
        time=time,
        state=state,
        battery=battery,
        detail=detail if isinstance(detail, str) else "",
    )
