"""Live sensor payloads: SenML, Taihe JSON, LoRaWAN uplinks and the MQTT topic scheme.

Pure Python (Django only for translated messages and the error class): each parser turns one
payload into :class:`LiveReading` values or raises :class:`PayloadInvalid` naming every bad
place. Storage, authentication and transport are the caller's.
"""

from .json_readings import parse_json_readings
from .lorawan import (
    DEFAULT_FIELD_MAP,
    FieldSpec,
    Uplink,
    parse_chirpstack_uplink,
    parse_things_stack_uplink,
)
from .readings import CANONICAL_UNITS, QUANTITIES, LiveReading, PayloadInvalid
from .senml import parse_senml
from .topics import (
    SensorStatus,
    SensorTopic,
    build_topic,
    decode_readings_message,
    decode_status_message,
    parse_topic,
    subscription_filter,
)

__all__ = [
    "CANONICAL_UNITS",
    "DEFAULT_FIELD_MAP",
    "QUANTITIES",
    "FieldSpec",
    "LiveReading",
    "PayloadInvalid",
    "SensorStatus",
    "SensorTopic",
    "Uplink",
    "build_topic",
    "decode_readings_message",
    "decode_status_message",
    "parse_chirpstack_uplink",
    "parse_json_readings",
    "parse_senml",
    "parse_things_stack_uplink",
    "parse_topic",
    "subscription_filter",
]
