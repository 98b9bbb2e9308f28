"""MQTT subscriber against a real Mosquitto: ordering, broker restarts, sessions, redelivery.

Each test starts its own broker (a free port, a config and a persistence file in tmp_path), so
the system broker is never touched.
"""

from __future__ import annotations

import json
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from taihe.modules.conservation.live import (
    LiveReading,
    PayloadInvalid,
    build_topic,
    decode_readings_message,
    parse_topic,
    subscription_filter,
)
from taihe.modules.conservation.mqtt import BrokerAddress, Subscriber, parse_broker_url
from tests.conftest import service_missing

MOSQUITTO = "/usr/sbin/mosquitto"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
T0 = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
WAIT = 15.0  # seconds any one condition may take before the test fails


@pytest.fixture(autouse=True)
def _subscriber_logs_are_heard(monkeypatch: Any) -> None:
    """Another test in the same process (an in-process Celery worker's logging set-up) may
    have disabled existing loggers; these tests read the subscriber's log records."""
    monkeypatch.setattr(logging.getLogger("taihe.modules.conservation.mqtt"), "disabled", False)


# --- harness -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Broker:
    """A private Mosquitto that keeps its port and persistence file across restarts."""

    def __init__(self, directory: Path, *, anonymous: bool = True) -> None:
        self.directory = directory
        self.port = _free_port()
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"allow_anonymous {'true' if anonymous else 'false'}\n"
            "persistence true\n"
            f"persistence_location {directory}/\n"
            "persistence_file mosquitto.db\n"
            "autosave_interval 1\n"
            "max_queued_messages 10000\n"
            # Mosquitto started as root drops to this user; ours can write tmp_path.
            f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
            f"log_dest file {directory}/mosquitto.log\n"
            "log_type all\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}/"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"mosquitto exited: {self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise AssertionError(f"mosquitto did not listen on {self.port}: {self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=WAIT)
        self.process = None

    def log(self) -> str:
        path = self.directory / "mosquitto.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else "(no log)"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if not os.access(MOSQUITTO, os.X_OK):
        found = shutil.which("mosquitto")
        service_missing("Mosquitto", f"{MOSQUITTO} not found (PATH has {found or 'none'}); "
                        "install Debian's package: apt-get install mosquitto")
    server = Broker(tmp_path)
    server.start()
    yield server
    server.stop()


class Recorder:
    """A handler that records what it was given and lets a test wait for a condition."""

    def __init__(self, react: Callable[[str, bytes], None] | None = None) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.states: list[str] = []
        self._react = react
        self._changed = threading.Condition()

    def handle(self, topic: str, payload: bytes) -> None:
        with self._changed:
            self.calls.append((topic, payload))
            self._changed.notify_all()
        if self._react is not None:
            self._react(topic, payload)

    def on_state(self, state: str) -> None:
        with self._changed:
            self.states.append(state)
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[Recorder], bool]) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout=WAIT)


class Running:
    """A Subscriber running on its own thread until stopped."""

    def __init__(self, subscriber: Subscriber) -> None:
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=subscriber.run, args=(self.stop_event,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=WAIT)
        assert not self.thread.is_alive()


@pytest.fixture
def start_subscriber() -> Iterator[Callable[..., tuple[Running, Recorder]]]:
    running: list[Running] = []

    def start(
        url: str, client_id: str, recorder: Recorder | None = None
    ) -> tuple[Running, Recorder]:
        recorder = recorder or Recorder()
        subscriber = Subscriber(
            url,
            recorder.handle,
            topic_filter=subscription_filter("main", "readings"),
            client_id=client_id,
            on_state=recorder.on_state,
            reconnect_min=0.05,
            reconnect_max=0.5,
        )
        run = Running(subscriber)
        running.append(run)
        return run, recorder

    yield start
    for run in running:
        run.stop_event.set()
    for run in running:
        run.thread.join(timeout=WAIT)


class Publisher:
    """A QoS 1 publisher with its own persistent session that retries until acknowledged."""

    def __init__(self, port: int, client_id: str) -> None:
        self.connected = threading.Event()
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 600
        self.client.connect_async("127.0.0.1", port, clean_start=False, properties=properties)
        self.client.loop_start()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if not reason.is_failure:
            self.connected.set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any,
                       props: Any) -> None:
        self.connected.clear()

    def publish(self, topic: str, payload: bytes) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if not self.connected.wait(timeout=deadline - time.monotonic()):
                break
            info = self.client.publish(topic, payload, qos=1)
            try:
                info.wait_for_publish(timeout=1.0)
            except RuntimeError:  # the connection dropped before the message was queued
                continue
            if info.is_published():
                return
        raise AssertionError(f"publish to {topic} was not acknowledged within {WAIT} s")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker: Broker) -> Iterator[Publisher]:
    client = Publisher(broker.port, "test-publisher")
    yield client
    client.close()


TOPIC = build_topic("main", "GAL1-CASE3")


def reading_payload(sequence: int) -> bytes:
    """A Taihe JSON readings message whose time encodes ``sequence`` (T0 + sequence s)."""
    time_text = (T0 + timedelta(seconds=sequence)).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"readings": [{"time": time_text, "temperature": 20 + sequence / 1000}]}
    ).encode()


def sequence_of(topic: str, payload: bytes) -> int:
    (reading,) = decode_readings_message(parse_topic(topic), payload, now=NOW)
    return int((reading.time - T0).total_seconds())


# --- 1. round trip ------------------------------------------------------------------------


def test_readings_arrive_decodable_and_in_order(
    broker: Broker, publisher: Publisher, start_subscriber: Any
) -> None:
    # given a subscriber on the site's readings topics
    run, recorder = start_subscriber(broker.url, "ingest-roundtrip")
    assert recorder.wait_for(lambda r: "connected" in r.states)
    # when a sensor publishes 20 readings messages
    for sequence in range(20):
        publisher.publish(TOPIC, reading_payload(sequence))
    assert recorder.wait_for(lambda r: len(r.calls) >= 20)
    run.stop()
    # then the handler got each once, in order, and the decoders accept every payload
    assert [topic for topic, _ in recorder.calls] == [TOPIC] * 20
    decoded = [decode_readings_message(parse_topic(t), p, now=NOW) for t, p in recorder.calls]
    assert decoded == [
        [LiveReading("GAL1-CASE3", "temperature", T0 + timedelta(seconds=n), 20 + n / 1000, "Cel")]
        for n in range(20)
    ]
    assert recorder.states == ["connecting", "connected", "disconnected", "stopped"]


# --- 2. broker restart mid-stream ---------------------------------------------------------


def test_broker_restart_during_a_publish_stream_loses_nothing(
    broker: Broker, publisher: Publisher, start_subscriber: Any
) -> None:
    # given a publisher thread sending 500 numbered messages, and a subscriber whose store
    # stalls at message 150 until the broker is down, so that the broker holds a backlog for
    # it (unacknowledged and queued messages) when it stops
    total = 500
    halfway = threading.Event()
    broker_stopped = threading.Event()
    failures: list[BaseException] = []

    def stall(topic: str, payload: bytes) -> None:
        if sequence_of(topic, payload) == 150:
            broker_stopped.wait(timeout=WAIT)

    run, recorder = start_subscriber(broker.url, "ingest-restart", Recorder(stall))
    assert recorder.wait_for(lambda r: "connected" in r.states)

    def publish_all() -> None:
        try:
            for sequence in range(total):
                if sequence == 200:
                    halfway.set()
                if sequence == 300:
                    # the stop must land inside the stream, not after it
                    broker_stopped.wait(timeout=WAIT)
                publisher.publish(TOPIC, reading_payload(sequence))
        except BaseException as error:
            failures.append(error)

    stream = threading.Thread(target=publish_all, daemon=True)
    stream.start()
    # when the broker is stopped (SIGTERM) mid-stream and started on the same port and config
    assert halfway.wait(timeout=WAIT)
    assert recorder.wait_for(lambda r: any(sequence_of(t, p) == 150 for t, p in r.calls))
    broker.stop()
    broker_stopped.set()
    broker.start()
    stream.join(timeout=WAIT * 2)
    assert not stream.is_alive()
    assert failures == []
    # then every sequence number arrived at least once (duplicates allowed, loss not)
    assert recorder.wait_for(
        lambda r: {sequence_of(t, p) for t, p in r.calls} == set(range(total))
        and r.states[-1] == "connected"
    ), broker.log()
    run.stop()
    received = [sequence_of(t, p) for t, p in recorder.calls]
    assert set(received) == set(range(total))
    # and message 150, handled but not acknowledged when the broker went, came again
    assert received.count(150) == 2
    # and the subscriber noticed the outage and came back by itself
    states = recorder.states
    assert states[:3] == ["connecting", "connected", "disconnected"]
    assert states[3:-3] == ["connecting", "disconnected"] * (len(states[3:-3]) // 2) + [
        "connecting"
    ]
    assert states[-3:] == ["connected", "disconnected", "stopped"]


# --- 3. persistent session ----------------------------------------------------------------


def test_messages_published_while_stopped_arrive_when_started_again(
    broker: Broker, publisher: Publisher, start_subscriber: Any
) -> None:
    # given a subscriber that connected once (creating its session) and was stopped
    first, first_recorder = start_subscriber(broker.url, "ingest-session")
    assert first_recorder.wait_for(lambda r: "connected" in r.states)
    first.stop()
    assert first_recorder.states[-1] == "stopped"
    # when readings are published while no subscriber runs
    for sequence in range(10):
        publisher.publish(TOPIC, reading_payload(sequence))
    # then a new subscriber with the same client id receives them all, in order
    second, second_recorder = start_subscriber(broker.url, "ingest-session")
    assert second_recorder.wait_for(lambda r: len(r.calls) >= 10)
    second.stop()
    assert [sequence_of(t, p) for t, p in second_recorder.calls] == list(range(10))
    assert first_recorder.calls == []


def test_a_different_client_id_does_not_get_another_sessions_messages(
    broker: Broker, publisher: Publisher, start_subscriber: Any
) -> None:
    # given a session for "ingest-a", stopped, and messages queued for it
    first, first_recorder = start_subscriber(broker.url, "ingest-a")
    assert first_recorder.wait_for(lambda r: "connected" in r.states)
    first.stop()
    for sequence in range(3):
        publisher.publish(TOPIC, reading_payload(sequence))
    # when "ingest-b" connects for the first time, then a live message is published
    other, other_recorder = start_subscriber(broker.url, "ingest-b")
    assert other_recorder.wait_for(lambda r: "connected" in r.states)
    publisher.publish(TOPIC, reading_payload(99))
    assert other_recorder.wait_for(lambda r: len(r.calls) >= 1)
    other.stop()
    # then it sees only the live message: queued messages belong to the session, not the topic
    assert [sequence_of(t, p) for t, p in other_recorder.calls] == [99]


# --- 4. redelivery and poison messages ----------------------------------------------------


def test_transient_failure_is_redelivered_and_invalid_payload_is_acknowledged(
    broker: Broker, publisher: Publisher, start_subscriber: Any, caplog: Any
) -> None:
    caplog.set_level("INFO", logger="taihe.modules.conservation.mqtt")
    # given a handler that decodes (PayloadInvalid for the bad message) and whose store fails
    # once for sequence 1, as a locked database would
    outcomes: list[tuple[str, str]] = []
    failed_once: set[int] = set()

    def store(topic: str, payload: bytes) -> None:
        try:
            sequence = sequence_of(topic, payload)
        except PayloadInvalid:
            outcomes.append(("invalid", payload.decode()))
            raise
        if sequence == 1 and sequence not in failed_once:
            failed_once.add(sequence)
            outcomes.append(("failed", str(sequence)))
            raise RuntimeError("database is locked")
        outcomes.append(("stored", str(sequence)))

    run, recorder = start_subscriber(broker.url, "ingest-redelivery", Recorder(store))
    assert recorder.wait_for(lambda r: "connected" in r.states)
    # when an invalid message, then sequence 1 (fails once), then sequence 2 are published
    publisher.publish(TOPIC, b'{"readings": "nope"}')
    publisher.publish(TOPIC, reading_payload(1))
    publisher.publish(TOPIC, reading_payload(2))
    # (redelivery may precede the new SUBACK, so wait for both)
    assert recorder.wait_for(
        lambda r: ("stored", "2") in outcomes and r.states.count("connected") == 2
    )
    run.stop()
    # then sequence 1 came again after a reconnect, and the invalid message did not: had it
    # not been acknowledged, the broker would have redelivered it first, ahead of sequence 1
    assert outcomes == [
        ("invalid", '{"readings": "nope"}'),
        ("failed", "1"),
        ("stored", "1"),
        ("stored", "2"),
    ]
    assert recorder.states == [
        "connecting", "connected", "disconnected",
        "connecting", "connected", "disconnected", "stopped",
    ]
    rejected = [r for r in caplog.records if "rejected message" in r.getMessage()]
    assert [(r.levelname, TOPIC in r.getMessage()) for r in rejected] == [("WARNING", True)]
    failed = [r for r in caplog.records if "could not handle message" in r.getMessage()]
    assert [(r.levelname, r.exc_info is not None) for r in failed] == [("ERROR", True)]


def test_a_store_that_keeps_failing_is_retried_with_exponential_back_off(
    broker: Broker, publisher: Publisher, start_subscriber: Any, caplog: Any
) -> None:
    # given a store that is down, and one reading waiting
    def store(topic: str, payload: bytes) -> None:
        raise OSError("database unavailable")

    caplog.set_level("INFO", logger="taihe.modules.conservation.mqtt")
    run, recorder = start_subscriber(broker.url, "ingest-backoff", Recorder(store))
    assert recorder.wait_for(lambda r: "connected" in r.states)
    # when the reading is published
    publisher.publish(TOPIC, reading_payload(7))
    # then every redelivery fails and the pauses between reconnects double up to the maximum
    assert recorder.wait_for(lambda r: len(r.calls) >= 6)
    run.stop()
    delays = [r.args[1] for r in caplog.records if "reconnecting in" in r.msg]
    assert delays[:5] == [0.05, 0.1, 0.2, 0.4, 0.5]
    assert {sequence_of(t, p) for t, p in recorder.calls} == {7}


def test_a_broker_that_is_down_at_start_is_retried_until_it_comes_up(
    tmp_path: Path, start_subscriber: Any
) -> None:
    # given no broker listening yet (skips like the fixture when Mosquitto is absent)
    if not os.access(MOSQUITTO, os.X_OK):
        service_missing("Mosquitto", f"{MOSQUITTO} not found")
    late = Broker(tmp_path)
    try:
        run, recorder = start_subscriber(late.url, "ingest-late")
        assert recorder.wait_for(lambda r: r.states.count("disconnected") >= 2)
        # when the broker starts
        late.start()
        # then the subscriber connects by itself
        assert recorder.wait_for(lambda r: "connected" in r.states)
        run.stop()
        assert recorder.states[:4] == ["connecting", "disconnected", "connecting", "disconnected"]
        assert recorder.states[-3:] == ["connected", "disconnected", "stopped"]
    finally:
        late.stop()


def test_a_refused_connection_is_reported_and_retried(
    tmp_path: Path, start_subscriber: Any
) -> None:
    # given a broker that refuses anonymous clients
    if not os.access(MOSQUITTO, os.X_OK):
        service_missing("Mosquitto", f"{MOSQUITTO} not found")
    strict = Broker(tmp_path, anonymous=False)
    strict.start()
    try:
        # when an anonymous subscriber connects
        run, recorder = start_subscriber(strict.url, "ingest-refused")
        assert recorder.wait_for(lambda r: r.states.count("refused") >= 2)
        run.stop()
    finally:
        strict.stop()
    # then it says so on every attempt and keeps trying, never handling anything
    assert recorder.states[:6] == [
        "connecting", "refused", "disconnected", "connecting", "refused", "disconnected",
    ]
    assert recorder.states[-1] == "stopped"
    assert recorder.calls == []


# --- 5. URLs ------------------------------------------------------------------------------


def test_parse_broker_url_reads_every_part() -> None:
    address = parse_broker_url(
        "mqtts://ingest%40museum:p%40ss%3Aword@Broker.Example:8884/"
        "?client_id=taihe-ingest&session_expiry=3600"
    )
    assert address == BrokerAddress(
        host="broker.example",
        port=8884,
        username="ingest@museum",
        password="p@ss:word",
        tls=True,
        client_id="taihe-ingest",
        session_expiry=3600,
    )
    assert "p@ss" not in repr(address)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://broker", BrokerAddress("broker", 1883, None, None, False, None)),
        ("mqtts://broker/", BrokerAddress("broker", 8883, None, None, True, None)),
        ("mqtt://user@[::1]:1884", BrokerAddress("::1", 1884, "user", None, False, None)),
    ],
)
def test_parse_broker_url_defaults(url: str, expected: BrokerAddress) -> None:
    assert parse_broker_url(url) == expected
    assert expected.session_expiry == 14 * 24 * 3600


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://user:s3cret@broker", "must start with mqtt:// or mqtts://, got http://"),
        ("broker:1883", "must start with mqtt:// or mqtts://, got broker://"),
        ("//broker", "must start with mqtt:// or mqtts://, got no scheme"),
        ("mqtt://", "has no host"),
        ("mqtt://user:s3cret@:1883", "has no host"),
        ("mqtt://broker:port", "has an invalid port"),
        ("mqtt://broker:70000", "has an invalid port"),
        ("mqtt://broker:0", "port must be 1-65535, got 0"),
        ("mqtt://broker/taihe", "must not have a path, got '/taihe'"),
        ("mqtt://broker/#x", "must not have a #fragment"),
        ("mqtt://:s3cret@broker", "has a password but no user name"),
        ("mqtt://broker/?clientid=a&qos=1", "unknown option(s) clientid, qos; known: client_id"),
        ("mqtt://broker/?client_id=a&client_id=b", "repeats option(s) client_id"),
        ("mqtt://broker/?client_id=", "client_id must not be empty"),
        ("mqtt://broker/?session_expiry=0", "session_expiry must be a whole number"),
        ("mqtt://broker/?session_expiry=-5", "session_expiry must be a whole number"),
        ("mqtt://broker/?session_expiry=4294967296", "session_expiry must be a whole number"),
    ],
)
def test_parse_broker_url_names_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        parse_broker_url(url)
    assert str(caught.value).startswith("MQTT")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"topic_filter": "taihe/#/readings"}, "Invalid MQTT topic filter"),
        ({"topic_filter": "taihe/a+/readings"}, "Invalid MQTT topic filter"),
        ({"topic_filter": ""}, "Invalid MQTT topic filter"),
        ({"topic_filter": "taihe/#", "client_id": " "}, "client_id must not be empty"),
        ({"topic_filter": "taihe/#", "reconnect_min": 0}, "0 < reconnect_min <= reconnect_max"),
        ({"topic_filter": "taihe/#", "reconnect_min": 5, "reconnect_max": 1},
         "0 < reconnect_min <= reconnect_max"),
    ],
)
def test_subscriber_rejects_bad_arguments(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Subscriber("mqtt://broker", lambda topic, payload: None, **arguments)
