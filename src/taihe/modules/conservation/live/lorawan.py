"""LoRaWAN network-server uplinks → LiveReadings.

Two JSON shapes (heritage.md §4.4):

- **The Things Stack v3** uplink (webhook body or MQTT ``v3/{app}@{tenant}/devices/{id}/up``):
  ``end_device_ids.device_id`` / ``dev_eui``, ``received_at``,
  ``uplink_message.f_cnt``, ``uplink_message.decoded_payload``. The Things Stack omits fields
  whose value is ``0``, ``""`` or ``false`` (its "Data Formats" page), so a missing ``f_cnt``
  means frame 0.
- **ChirpStack v4** integration event ``up`` (HTTP ``?event=up`` or MQTT
  ``application/{id}/device/{devEui}/event/up``): ``deviceInfo.devEui`` / ``deviceName``,
  ``time``, ``fCnt``, ``object`` (the codec's output; absent without a codec).

The decoded payload is device-specific; :data:`DEFAULT_FIELD_MAP` maps the field names of
common museum-grade sensors (Dragino LHT65/LHT52 ``TempC_SHT``, ``Hum_SHT``, ``BatV``;
Milesight EM300 ``temperature``, ``humidity``, ``battery`` in %; Elsys ERS ``light``,
``co2``, ``vdd`` in mV) to quantities. Unmapped fields are listed in ``ignored_fields``.

Unlike a SenML batch, an uplink cannot be corrected and resent by its device, so a mapped field
with an impossible value (a probe fault) is dropped and reported in ``rejected_fields`` while
the uplink's other values are kept. An uplink without a decoded payload or without a device or
time is rejected whole.

Duplicates: network servers retry webhooks, and a gateway outage can replay frames, so each
result carries ``f_cnt`` and :attr:`Uplink.dedup_key` ``(sensor, f_cnt)``; the store also keys
readings on (sensor, quantity, time). Frame counters restart at 0 when a device rejoins, so
``dedup_key`` is only meaningful within one session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from django.utils.translation import gettext_lazy as _

from .readings import (
    BATTERY,
    CO2,
    DEFAULT_MAX_FUTURE,
    ILLUMINANCE,
    RELATIVE_HUMIDITY,
    TEMPERATURE,
    VOC,
    LiveReading,
    PayloadInvalid,
    check_not_future,
    check_now,
    check_sensor_code,
    make_reading,
    number,
    parse_timestamp,
)
from .senml import DEFAULT_MAX_BYTES, load_json


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one decoded-payload field becomes a reading: ``value * scale`` in ``unit``."""

    quantity: str
    unit: str
    scale: float = 1.0


DEFAULT_FIELD_MAP: Final[Mapping[str, FieldSpec]] = {
    "temperature": FieldSpec(TEMPERATURE, "Cel"),
    "temp": FieldSpec(TEMPERATURE, "Cel"),
    "TempC_SHT": FieldSpec(TEMPERATURE, "Cel"),  # Dragino LHT65 / LHT52 internal SHT sensor
    "humidity": FieldSpec(RELATIVE_HUMIDITY, "%RH"),
    "relative_humidity": FieldSpec(RELATIVE_HUMIDITY, "%RH"),
    "Hum_SHT": FieldSpec(RELATIVE_HUMIDITY, "%RH"),  # Dragino LHT65 / LHT52
    "lux": FieldSpec(ILLUMINANCE, "lx"),
    "illuminance": FieldSpec(ILLUMINANCE, "lx"),
    "light": FieldSpec(ILLUMINANCE, "lx"),  # Elsys ERS: lux
    "co2": FieldSpec(CO2, "ppm"),
    "tvoc": FieldSpec(VOC, "ppb"),
    "BatV": FieldSpec(BATTERY, "V"),  # Dragino: battery volts
    "battery": FieldSpec(BATTERY, "%EL"),  # Milesight: remaining battery in %
    "vdd": FieldSpec(BATTERY, "V", 0.001),  # Elsys: supply voltage in mV
}


@dataclass(frozen=True, slots=True)
class Uplink:
    """The readings of one uplink and what it takes to recognise a replay.

    Attributes:
        sensor: the sensor code (device ID or DevEUI, as chosen).
        dev_eui: the device's DevEUI if the network server sent it.
        f_cnt: the uplink frame counter.
        received_at: when the network server received the frame (UTC); every reading's time.
        readings: one reading per mapped field with a usable value.
        ignored_fields: decoded fields with no mapping, sorted.
        rejected_fields: (field, reason) for mapped fields whose values were unusable.
    """

    sensor: str
    dev_eui: str | None
    f_cnt: int
    received_at: datetime
    readings: tuple[LiveReading, ...]
    ignored_fields: tuple[str, ...]
    rejected_fields: tuple[tuple[str, str], ...]

    @property
    def dedup_key(self) -> tuple[str, int]:
        """``(sensor, f_cnt)``: two uplinks with the same key are one frame delivered twice."""
        return (self.sensor, self.f_cnt)


def parse_things_stack_uplink(
    payload: bytes | str | Mapping[str, Any],
    *,
    now: datetime,
    field_map: Mapping[str, FieldSpec] = DEFAULT_FIELD_MAP,
    sensor_from: Literal["device_id", "dev_eui"] = "device_id",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> Uplink:
    """Parse a The Things Stack v3 uplink message.

    Args:
        payload: the webhook body (JSON text) or the decoded object.
        now: the server's current time (aware), bounding how far ahead ``received_at`` may be.
        field_map: decoded-payload field → :class:`FieldSpec`.
        sensor_from: use ``end_device_ids.device_id`` or ``dev_eui`` as the sensor code.
        max_bytes: the largest JSON text accepted.
        max_future: how far ahead of ``now`` the reception time may be.

    Raises:
        PayloadInvalid: not an uplink, no device, no time, no decoded payload (no payload
            formatter configured), or an invalid frame counter; ``fields`` names the field.
    """
    now = check_now(now)
    message = _object(payload, max_bytes)
    ids = _mapping(message, "end_device_ids", "end_device_ids")
    uplink = _mapping(message, "uplink_message", "uplink_message")
    dev_eui = ids.get("dev_eui") if isinstance(ids.get("dev_eui"), str) else None
    sensor_field = (
        "end_device_ids.device_id" if sensor_from == "device_id" else "end_device_ids.dev_eui"
    )
    sensor = _sensor(ids.get(sensor_from), sensor_field)
    time_text = message.get("received_at", uplink.get("received_at"))
    received_at = _time(time_text, "received_at", now, max_future)
    f_cnt = _frame_counter(uplink.get("f_cnt", 0), "uplink_message.f_cnt")
    decoded = uplink.get("decoded_payload")
    if not isinstance(decoded, Mapping):
        raise PayloadInvalid(
            _("The uplink has no decoded payload; set a payload formatter for this device."),
            fields={"uplink_message.decoded_payload": _("Required.")},
        )
    return _uplink(sensor, dev_eui, f_cnt, received_at, decoded, field_map)


def parse_chirpstack_uplink(
    payload: bytes | str | Mapping[str, Any],
    *,
    now: datetime,
    field_map: Mapping[str, FieldSpec] = DEFAULT_FIELD_MAP,
    sensor_from: Literal["dev_eui", "device_name"] = "dev_eui",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> Uplink:
    """Parse a ChirpStack v4 ``up`` event (JSON encoding).

    Args:
        payload: the event body (JSON text) or the decoded object.
        now: the server's current time (aware), bounding how far ahead ``time`` may be.
        field_map: decoded-object field → :class:`FieldSpec`.
        sensor_from: use ``deviceInfo.devEui`` or ``deviceInfo.deviceName`` as the sensor code
            (device names may hold spaces, which sensor codes may not).
        max_bytes: the largest JSON text accepted.
        max_future: how far ahead of ``now`` the event time may be.

    Raises:
        PayloadInvalid: not an up event, no device, no time, no ``object`` (no codec in the
            device profile), or an invalid frame counter; ``fields`` names the field.
    """
    now = check_now(now)
    event = _object(payload, max_bytes)
    info = _mapping(event, "deviceInfo", "deviceInfo")
    dev_eui = info.get("devEui") if isinstance(info.get("devEui"), str) else None
    key = "devEui" if sensor_from == "dev_eui" else "deviceName"
    sensor = _sensor(info.get(key), f"deviceInfo.{key}")
    received_at = _time(event.get("time"), "time", now, max_future)
    # Protobuf's JSON mapping may leave out a zero counter, as The Things Stack does.
    f_cnt = _frame_counter(event.get("fCnt", 0), "fCnt")
    decoded = event.get("object")
    if not isinstance(decoded, Mapping):
        raise PayloadInvalid(
            _("The event has no decoded object; set a codec in the device profile."),
            fields={"object": _("Required.")},
        )
    return _uplink(sensor, dev_eui, f_cnt, received_at, decoded, field_map)


def _object(payload: bytes | str | Mapping[str, Any], max_bytes: int) -> Mapping[str, Any]:
    document = load_json(payload, max_bytes) if isinstance(payload, bytes | str) else payload
    if not isinstance(document, Mapping):
        raise PayloadInvalid(_("The uplink must be a JSON object."))
    return document


def _mapping(parent: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if not isinstance(value, Mapping):
        raise PayloadInvalid(
            _("Field %(field)s is missing or not an object.") % {"field": where},
            fields={where: _("Required.")},
        )
    return value


def _sensor(value: object, where: str) -> str:
    try:
        return check_sensor_code(value)
    except ValueError as error:
        raise PayloadInvalid(error, fields={where: error}) from None


def _time(value: object, where: str, now: datetime, max_future: timedelta) -> datetime:
    try:
        time = parse_timestamp(value)
        check_not_future(time, now, max_future)
    except ValueError as error:
        raise PayloadInvalid(error, fields={where: error}) from None
    return time


def _frame_counter(value: object, where: str) -> int:
    # LoRaWAN FCnt is a 32-bit unsigned counter (LoRaWAN 1.0.4 §4.3.1.5).
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        error = _("Frame counter %(value)r is not a whole number 0 to 2^32-1.") % {"value": value}
        raise PayloadInvalid(error, fields={where: error})
    return value


def _uplink(
    sensor: str,
    dev_eui: str | None,
    f_cnt: int,
    received_at: datetime,
    decoded: Mapping[str, Any],
    field_map: Mapping[str, FieldSpec],
) -> Uplink:
    readings: list[LiveReading] = []
    rejected: list[tuple[str, str]] = []
    ignored: list[str] = []
    for field_name, raw in decoded.items():
        spec = field_map.get(field_name)
        if spec is None:
            ignored.append(str(field_name))
            continue
        if any(r.quantity == spec.quantity for r in readings):
            # Two fields for one quantity (e.g. "temp" and "temperature") would store two
            # values at one instant; the first in the payload wins.
            rejected.append(
                (
                    str(field_name),
                    str(
                        _("Another field already gave %(quantity)s.") % {"quantity": spec.quantity}
                    ),
                )
            )
            continue
        try:
            value = number(raw) * spec.scale
            readings.append(make_reading(sensor, spec.quantity, received_at, value, spec.unit))
        except ValueError as error:
            rejected.append((str(field_name), str(error)))
    return Uplink(
        sensor=sensor,
        dev_eui=dev_eui,
        f_cnt=f_cnt,
        received_at=received_at,
        readings=tuple(readings),
        ignored_fields=tuple(sorted(ignored)),
        rejected_fields=tuple(rejected),
    )
