"""Live payload parsers: SenML, Taihe JSON, LoRaWAN uplinks, MQTT topics."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from taihe.modules.conservation.live import (
    LiveReading,
    PayloadInvalid,
    SensorTopic,
    build_topic,
    decode_readings_message,
    decode_status_message,
    parse_chirpstack_uplink,
    parse_json_readings,
    parse_senml,
    parse_things_stack_uplink,
    parse_topic,
    subscription_filter,
)

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
T0 = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # POSIX 1.7e9


# --- SenML -------------------------------------------------------------------------------


def test_senml_research_example_resolves_base_name_time_and_units() -> None:
    # given the heritage.md §4.4 example pack
    pack = (
        '[{"bn":"urn:dev:mac:0024befffe804ff1:","bt":1.7e9,"n":"temp","u":"Cel","v":21.4},'
        '{"n":"rh","u":"%RH","v":48.2,"t":60}]'
    )
    # when
    readings = parse_senml(pack, now=NOW)
    # then
    sensor = "urn:dev:mac:0024befffe804ff1"
    assert readings == [
        LiveReading(sensor, "temperature", T0, 21.4, "Cel"),
        LiveReading(sensor, "relative_humidity", T0 + timedelta(seconds=60), 48.2, "%RH"),
    ]


def test_senml_base_unit_base_value_relative_time_and_kelvin() -> None:
    pack = [
        {"bn": "CASE-3/", "bu": "lx", "bv": 10, "n": "illuminance", "v": 40, "t": -120},
        {"n": "temperature", "u": "K", "v": 293.15},
    ]
    readings = parse_senml(pack, now=NOW)
    assert readings[0] == LiveReading(
        "CASE-3", "illuminance", NOW - timedelta(minutes=2), 50.0, "lx"
    )
    # RFC 8428 §4.1: bv applies to every later record too: 10 + 293.15 K = 30 °C
    assert readings[1] == LiveReading("CASE-3", "temperature", NOW, readings[1].value, "Cel")
    assert readings[1].value == pytest.approx(30.0, abs=1e-9)
    assert len(readings) == 2


def test_senml_battery_units_and_default_sensor() -> None:
    pack = [{"n": "battery", "u": "%EL", "v": 87}, {"n": "bat", "u": "V", "v": 3.1}]
    readings = parse_senml(pack, now=NOW, default_sensor="S1")
    assert [(r.sensor, r.quantity, r.value, r.unit) for r in readings] == [
        ("S1", "battery", 87.0, "%EL"),
        ("S1", "battery", 3.1, "V"),
    ]


@pytest.mark.parametrize(
    ("pack", "where"),
    [
        (
            [
                {"bn": "S1/", "n": "temperature", "u": "Cel", "v": 20},
                {"n": "rh", "u": "Cel", "v": 4},
            ],
            "[1].u",
        ),
        ([{"bn": "S1/", "n": "rh", "u": "%RH", "v": 104}], "[0].v"),
        ([{"bn": "S1/", "n": "rh", "u": "%RH", "v": True}], "[0].v"),
        ([{"bn": "S1/", "n": "rh", "u": "%RH", "vs": "wet"}], "[0].v"),
        ([{"bn": "S1/", "n": "pressure", "u": "Pa", "v": 1}], "[0].n"),
        ([{"n": "temperature", "u": "Cel", "v": 1}], "[0].n"),
        ([{"bn": "S1/", "n": "rh", "u": "%RH", "v": 50, "bt": 1.9e9}], "[0].t"),
        ([{"bn": "S 1/", "n": "rh", "v": 50}], "[0].n"),
        ([{"bver": 11, "bn": "S1/", "n": "rh", "v": 50}], "[0].bver"),
        ([{"bn": "S1/", "n": "rh", "v": 50, "crit_": 1}], "[0].crit_"),
        ([{"bn": "S1/", "n": "rh", "v": 50}, 7], "[1]"),
    ],
)
def test_senml_rejects_bad_records_naming_index_and_field(pack: list[object], where: str) -> None:
    with pytest.raises(PayloadInvalid) as caught:
        parse_senml(pack, now=NOW)
    assert list(caught.value.fields) == [where]
    assert caught.value.status == 422


def test_senml_lists_every_bad_record() -> None:
    pack = [
        {"bn": "S1/", "n": "rh", "u": "%RH", "v": -1},
        {"n": "rh", "u": "%RH", "v": 50},
        {"n": "temperature", "u": "Cel", "v": 400},
    ]
    with pytest.raises(PayloadInvalid) as caught:
        parse_senml(pack, now=NOW)
    assert list(caught.value.fields) == ["[0].v", "[2].v"]
    assert str(caught.value.detail).startswith("2 problem(s) in the payload; first at [0].v:")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_senml_rejects_nan_and_infinity_literals(literal: str) -> None:
    with pytest.raises(PayloadInvalid, match=literal.lstrip("-")):
        parse_senml(f'[{{"bn":"S1/","n":"rh","v":{literal}}}]', now=NOW)


def test_senml_rejects_overflowing_number_and_limits() -> None:
    with pytest.raises(PayloadInvalid) as caught:
        parse_senml('[{"bn":"S1/","n":"rh","v":1e999}]', now=NOW)
    assert list(caught.value.fields) == ["[0].v"]
    with pytest.raises(PayloadInvalid, match="3 records; the limit is 2"):
        parse_senml([{"bn": "S1/", "n": "rh", "v": 1}] * 3, now=NOW, max_records=2)
    with pytest.raises(PayloadInvalid, match="the limit is 10"):
        parse_senml(b"[" + b" " * 20 + b"]", now=NOW, max_bytes=10)
    with pytest.raises(PayloadInvalid, match="JSON array"):
        parse_senml("{}", now=NOW)
    with pytest.raises(PayloadInvalid, match="not JSON"):
        parse_senml("[{", now=NOW)


def test_senml_accepts_time_within_clock_drift() -> None:
    readings = parse_senml([{"bn": "S1/", "n": "rh", "v": 50, "t": 240}], now=NOW)
    assert readings[0].time == NOW + timedelta(minutes=4)


# --- Taihe JSON ---------------------------------------------------------------------------


def test_json_wide_and_long_forms() -> None:
    payload = json.dumps(
        {
            "readings": [
                {
                    "sensor": "CASE-3",
                    "time": "2024-01-01T18:00:00+08:00",
                    "temperature": 20.1,
                    "relative_humidity": 48,
                },
                {
                    "sensor": "CASE-3",
                    "time": "2024-01-01T10:05:00Z",
                    "quantity": "voc",
                    "value": 0.25,
                    "unit": "ppm",
                },
            ]
        }
    )
    readings = parse_json_readings(payload, now=NOW)
    at = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert readings == [
        LiveReading("CASE-3", "temperature", at, 20.1, "Cel"),
        LiveReading("CASE-3", "relative_humidity", at, 48.0, "%RH"),
        LiveReading("CASE-3", "voc", at + timedelta(minutes=5), 250.0, "ppb"),
    ]


def test_json_top_level_sensor_is_the_default() -> None:
    payload = {"sensor": "G1", "readings": [{"time": "2024-01-01T10:00:00Z", "co2": 640}]}
    assert parse_json_readings(payload, now=NOW) == [
        LiveReading("G1", "co2", datetime(2024, 1, 1, 10, tzinfo=UTC), 640.0, "ppm")
    ]


def test_json_reports_each_problem_with_its_place() -> None:
    payload = {
        "readings": [
            {"sensor": "G1", "time": "2024-01-01T10:00:00", "temperature": 20},
            {"sensor": "G1", "time": "2024-01-01T10:00:00Z", "temprature": 20},
            {"time": "2024-01-01T10:00:00Z", "temperature": 20},
            {
                "sensor": "G1",
                "time": "2024-01-01T10:00:00Z",
                "quantity": "uv",
                "value": 5,
                "unit": "lx",
            },
            {"sensor": "G1", "time": "2024-01-02T10:00:00Z", "illuminance": -3},
        ]
    }
    with pytest.raises(PayloadInvalid) as caught:
        parse_json_readings(payload, now=NOW)
    assert list(caught.value.fields) == [
        "readings[0].time",
        "readings[1].temprature",
        "readings[1]",
        "readings[2].sensor",
        "readings[3].unit",
        "readings[4].time",
        "readings[4].illuminance",
    ]
    assert "no UTC offset" in caught.value.fields["readings[0].time"]


# --- LoRaWAN ------------------------------------------------------------------------------

# The Things Stack v3 uplink, shape from its "Data Formats" page (heritage.md §4.4); decoded
# payload as the Dragino LHT65 formatter writes it.
TTS_UPLINK = {
    "end_device_ids": {
        "device_id": "lht65-case-3",
        "application_ids": {"application_id": "museum-env"},
        "dev_eui": "A840417E11822BA0",
        "join_eui": "A000000000000100",
        "dev_addr": "260B1234",
    },
    "correlation_ids": ["as:up:01H0..."],
    "received_at": "2023-12-31T23:58:00.123456789Z",
    "uplink_message": {
        "f_port": 2,
        "f_cnt": 1234,
        "frm_payload": "y6QJHgILAX//f/8=",
        "decoded_payload": {
            "BatV": 3.05,
            "Bat_status": 3,
            "Ext_sensor": "Temperature Sensor",
            "Hum_SHT": 53.3,
            "TempC_DS": 327.67,
            "TempC_SHT": 24.54,
        },
        "rx_metadata": [{"gateway_ids": {"gateway_id": "gw-1"}, "rssi": -71}],
        "received_at": "2023-12-31T23:57:59.9Z",
    },
}

# ChirpStack v4 "up" event (integration.proto UplinkEvent, JSON mapping); Milesight EM300-TH
# codec output.
CHIRPSTACK_UP = {
    "deduplicationId": "3ac7e3c4-4401-4b8d-9386-a5c902f9202d",
    "time": "2023-12-31T23:58:00.775023242+00:00",
    "deviceInfo": {
        "tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242",
        "tenantName": "ChirpStack",
        "applicationId": "17c82e96-be03-4f38-aef3-f83d48582d97",
        "applicationName": "Museum",
        "deviceProfileName": "EM300-TH",
        "deviceName": "Store 2 shelf 4",
        "devEui": "24e124136b502217",
    },
    "devAddr": "00189440",
    "dr": 5,
    "fCnt": 77,
    "fPort": 85,
    "data": "AXVkA2c0AQRoXw==",
    "object": {"battery": 100.0, "temperature": 30.8, "humidity": 47.5},
    "rxInfo": [],
}


def test_things_stack_uplink_maps_decoded_fields() -> None:
    uplink = parse_things_stack_uplink(TTS_UPLINK, now=NOW)
    at = datetime(2023, 12, 31, 23, 58, 0, 123456, tzinfo=UTC)
    assert uplink.sensor == "lht65-case-3"
    assert uplink.dev_eui == "A840417E11822BA0"
    assert uplink.dedup_key == ("lht65-case-3", 1234)
    assert uplink.received_at == at
    assert uplink.readings == (
        LiveReading("lht65-case-3", "battery", at, 3.05, "V"),
        LiveReading("lht65-case-3", "relative_humidity", at, 53.3, "%RH"),
        LiveReading("lht65-case-3", "temperature", at, 24.54, "Cel"),
    )
    assert uplink.ignored_fields == ("Bat_status", "Ext_sensor", "TempC_DS")
    assert uplink.rejected_fields == ()


def test_things_stack_missing_f_cnt_is_frame_zero_and_dev_eui_as_sensor() -> None:
    message = json.loads(json.dumps(TTS_UPLINK))
    del message["uplink_message"]["f_cnt"]
    uplink = parse_things_stack_uplink(json.dumps(message), now=NOW, sensor_from="dev_eui")
    assert uplink.dedup_key == ("A840417E11822BA0", 0)


def test_things_stack_impossible_value_is_dropped_and_reported() -> None:
    message = json.loads(json.dumps(TTS_UPLINK))
    message["uplink_message"]["decoded_payload"]["Hum_SHT"] = 120.5
    uplink = parse_things_stack_uplink(message, now=NOW)
    assert [r.quantity for r in uplink.readings] == ["battery", "temperature"]
    assert [field for field, _reason in uplink.rejected_fields] == ["Hum_SHT"]


def test_things_stack_without_formatter_is_rejected() -> None:
    message = json.loads(json.dumps(TTS_UPLINK))
    del message["uplink_message"]["decoded_payload"]
    with pytest.raises(PayloadInvalid) as caught:
        parse_things_stack_uplink(message, now=NOW)
    assert list(caught.value.fields) == ["uplink_message.decoded_payload"]


def test_chirpstack_up_event() -> None:
    uplink = parse_chirpstack_uplink(json.dumps(CHIRPSTACK_UP).encode(), now=NOW)
    at = datetime(2023, 12, 31, 23, 58, 0, 775023, tzinfo=UTC)
    assert uplink.dedup_key == ("24e124136b502217", 77)
    assert uplink.readings == (
        LiveReading("24e124136b502217", "battery", at, 100.0, "%EL"),
        LiveReading("24e124136b502217", "temperature", at, 30.8, "Cel"),
        LiveReading("24e124136b502217", "relative_humidity", at, 47.5, "%RH"),
    )


def test_chirpstack_device_name_with_spaces_is_not_a_sensor_code() -> None:
    with pytest.raises(PayloadInvalid) as caught:
        parse_chirpstack_uplink(CHIRPSTACK_UP, now=NOW, sensor_from="device_name")
    assert list(caught.value.fields) == ["deviceInfo.deviceName"]


def test_chirpstack_bad_counter_and_future_time() -> None:
    event = {**CHIRPSTACK_UP, "fCnt": -1}
    with pytest.raises(PayloadInvalid) as caught:
        parse_chirpstack_uplink(event, now=NOW)
    assert list(caught.value.fields) == ["fCnt"]
    event = {**CHIRPSTACK_UP, "time": "2024-01-01T13:00:00Z"}
    with pytest.raises(PayloadInvalid) as caught:
        parse_chirpstack_uplink(event, now=NOW)
    assert list(caught.value.fields) == ["time"]


# --- MQTT topics ----------------------------------------------------------------------------


def test_topic_round_trip_and_filters() -> None:
    topic = build_topic("palace", "CASE-3", "readings")
    assert topic == "taihe/palace/sensors/CASE-3/readings"
    assert parse_topic(topic) == SensorTopic("palace", "CASE-3", "readings")
    assert parse_topic("taihe/palace/sensors/CASE-3/status").kind == "status"
    assert subscription_filter() == "taihe/+/sensors/+/+"
    assert subscription_filter("palace", "readings") == "taihe/palace/sensors/+/readings"


@pytest.mark.parametrize(
    "topic",
    [
        "taihe/palace/sensors/+/readings",
        "taihe/palace/sensors/#/readings",
        "taihe/palace/sensors/CASE-3/values",
        "taihe/palace/devices/CASE-3/readings",
        "taihe/palace/sensors/CASE/3/readings",
        "other/palace/sensors/CASE-3/readings",
    ],
)
def test_topic_rejects_wildcards_and_other_shapes(topic: str) -> None:
    with pytest.raises(ValueError, match="(?i)topic"):
        parse_topic(topic)


@pytest.mark.parametrize("sensor", ["CASE+3", "CASE#", "a/b", ""])
def test_build_topic_rejects_invalid_sensor_codes(sensor: str) -> None:
    with pytest.raises(ValueError, match="sensor"):
        build_topic("palace", sensor)


def test_readings_message_in_either_format_and_sensor_confinement() -> None:
    topic = parse_topic("taihe/palace/sensors/CASE-3/readings")
    senml = b'[{"n":"temperature","u":"Cel","v":20.5,"t":-60}]'
    assert decode_readings_message(topic, senml, now=NOW) == [
        LiveReading("CASE-3", "temperature", NOW - timedelta(minutes=1), 20.5, "Cel")
    ]
    taihe_json = b'{"readings":[{"time":"2024-01-01T11:00:00Z","relative_humidity":51}]}'
    assert decode_readings_message(topic, taihe_json, now=NOW) == [
        LiveReading("CASE-3", "relative_humidity", NOW - timedelta(hours=1), 51.0, "%RH")
    ]
    other = b'[{"bn":"CASE-4/","n":"temperature","u":"Cel","v":20.5}]'
    with pytest.raises(PayloadInvalid, match="CASE-4"):
        decode_readings_message(topic, other, now=NOW)


def test_status_message_last_will_and_battery() -> None:
    topic = parse_topic("taihe/palace/sensors/CASE-3/status")
    will = decode_status_message(topic, b'{"state":"offline"}', now=NOW)
    assert (will.state, will.time, will.battery) == ("offline", None, None)
    status = decode_status_message(
        topic, b'{"time":"2024-01-01T11:59:00Z","state":"online","battery":2.9}', now=NOW
    )
    assert status.battery == LiveReading("CASE-3", "battery", NOW - timedelta(minutes=1), 2.9, "V")
    with pytest.raises(PayloadInvalid) as caught:
        decode_status_message(topic, b'{"battery":2.9,"state":"sleepy","x":1}', now=NOW)
    assert sorted(caught.value.fields) == ["battery", "state", "x"]
