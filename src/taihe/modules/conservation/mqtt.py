"""MQTT transport for live sensor readings: a subscriber that loses nothing the broker accepted.

The subscriber hands every message to a callable ``handle(topic, payload)`` (the lead wires one
that decodes with :mod:`.live.topics` and stores) and acknowledges it only after ``handle``
returned. The guarantees come from MQTT itself:

- **Persistent session, MQTT 5.** We connect with Clean Start = 0 and a Session Expiry Interval
  (MQTT 5.0 §3.1.2.4, §3.1.2.11.2) under a stable client id, and subscribe with QoS 1, so the
  broker queues messages while we are away and resends unacknowledged ones when we come back
  (§4.4). We chose MQTT 5 over 3.1.1 with ``clean_session=0`` because (a) the session expiry
  bounds how long a broker keeps queueing for an ingest service that was removed, where a 3.1.1
  session lives until an operator deletes it; (b) the "Retain Handling" subscription option
  (§3.8.3.1) stops the broker from resending every retained ``…/status`` message on each
  reconnect; (c) reason codes name the cause when the broker refuses or drops us ("not
  authorized", "session taken over"). Mosquitto ≥ 1.6 and EMQX speak MQTT 5.
- **Acknowledge after storing** (``manual_ack``): a crash between receipt and storage means
  redelivery, not loss. The store is idempotent on (sensor, time), so duplicates are harmless.
- **Poison messages:** ``handle`` raising :class:`~taihe.kernel.errors.ValidationFailed` (e.g.
  ``live.PayloadInvalid``) means the message can never be stored; it is acknowledged and
  logged, or the broker would redeliver it forever. Any other exception means "cannot store
  now": the message is not acknowledged and the connection is dropped; after a back-off we
  reconnect and the broker redelivers it, followed by everything behind it, in order.

Messages are handled one at a time, in the order received, on the thread that calls
:meth:`Subscriber.run`; paho's network loop runs on that thread too. A ``handle`` call must
therefore finish within 1.5 keep-alive periods (90 s), or the broker drops the connection and
redelivers the message.

Broker settings that matter (Mosquitto names): ``persistence true`` so sessions and queued
messages survive a broker restart; ``max_queued_messages`` (default 1000 per client) bounds how
many messages the broker keeps for us while we are away: size it to sensors × readings per
hour × hours of tolerated outage.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from taihe.kernel.errors import ValidationFailed

logger = logging.getLogger(__name__)

DEFAULT_CLIENT_ID: Final = "taihe-ingest"
DEFAULT_PORT: Final = 1883
DEFAULT_TLS_PORT: Final = 8883
# Long enough to cover a holiday closure of the ingest service (the Spring Festival and
# National Day "golden weeks" are 7-8 days), short enough that a decommissioned installation
# stops costing the broker memory within weeks.
DEFAULT_SESSION_EXPIRY: Final = 14 * 24 * 3600
# MQTT 5.0 §3.1.2.11.2: 0xFFFFFFFF means the session never expires.
MAX_SESSION_EXPIRY: Final = 0xFFFFFFFF
KEEPALIVE_SECONDS: Final = 60
# How long the loop waits for network traffic before looking at the stop event again.
POLL_SECONDS: Final = 0.25
# How long a stopping subscriber waits for its DISCONNECT to be written.
STOP_GRACE_SECONDS: Final = 2.0

# MQTT 5.0 §3.14.2.1, reason code 0x8E.
_SESSION_TAKEN_OVER: Final = 0x8E
_URL_OPTIONS: Final = ("client_id", "session_expiry")

State = Literal["connecting", "connected", "disconnected", "refused", "stopped"]
CONNECTING: Final = "connecting"
CONNECTED: Final = "connected"
DISCONNECTED: Final = "disconnected"
REFUSED: Final = "refused"
STOPPED: Final = "stopped"


@dataclass(frozen=True)
class BrokerAddress:
    """Where and how to connect, parsed from a broker URL by :func:`parse_broker_url`.

    Attributes:
        host: broker host name or IP address.
        port: TCP port (1883 for ``mqtt://``, 8883 for ``mqtts://`` unless given).
        username: user name, or ``None`` to connect anonymously.
        password: password, or ``None``; never shown in ``repr``.
        tls: connect with TLS, verifying the broker against the system's trusted CAs.
        client_id: the client id from the URL, or ``None`` (the subscriber then uses its
            argument or ``taihe-ingest``).
        session_expiry: seconds the broker keeps our session and queued messages after we
            disconnect (MQTT 5 Session Expiry Interval).
    """

    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    tls: bool
    client_id: str | None
    session_expiry: int = DEFAULT_SESSION_EXPIRY


def parse_broker_url(url: str) -> BrokerAddress:
    """Parse ``mqtt://user:pass@host:1883/?client_id=taihe-ingest&session_expiry=1209600``.

    ``mqtts://`` means TLS (default port 8883). User name and password are percent-decoded.
    The messages of the errors never repeat the password.

    Raises:
        ValueError: naming what is wrong: the scheme is not ``mqtt`` or ``mqtts``, no host, a
            port outside 1-65535, a path or fragment, a password without a user name, an
            unknown or repeated query option, an empty ``client_id``, or a ``session_expiry``
            that is not a whole number of seconds in 1-4294967295.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(
            "MQTT broker URL must start with mqtt:// or mqtts://, "
            f"got {parts.scheme + '://' if parts.scheme else 'no scheme'}"
        )
    if not parts.hostname:
        raise ValueError("MQTT broker URL has no host (expected mqtt://host:port/)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("MQTT broker URL has an invalid port (expected 1-65535)") from None
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"MQTT broker URL port must be 1-65535, got {port}")
    tls = parts.scheme == "mqtts"
    if parts.path not in ("", "/"):
        raise ValueError(f"MQTT broker URL must not have a path, got {parts.path!r}")
    if parts.fragment:
        raise ValueError("MQTT broker URL must not have a #fragment")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and username is None:
        raise ValueError("MQTT broker URL has a password but no user name")
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(options) - set(_URL_OPTIONS))
    if unknown:
        raise ValueError(
            f"MQTT broker URL has unknown option(s) {', '.join(unknown)}; "
            f"known: {', '.join(_URL_OPTIONS)}"
        )
    repeated = sorted(key for key, values in options.items() if len(values) > 1)
    if repeated:
        raise ValueError(f"MQTT broker URL repeats option(s) {', '.join(repeated)}")
    client_id: str | None = None
    if "client_id" in options:
        client_id = _check_client_id(options["client_id"][0])
    session_expiry = DEFAULT_SESSION_EXPIRY
    if "session_expiry" in options:
        text = options["session_expiry"][0]
        if not text.isdigit() or not 1 <= int(text) <= MAX_SESSION_EXPIRY:
            raise ValueError(
                "MQTT broker URL session_expiry must be a whole number of seconds "
                f"1-{MAX_SESSION_EXPIRY}, got {text!r}"
            )
        session_expiry = int(text)
    return BrokerAddress(
        host=parts.hostname,
        port=port if port is not None else (DEFAULT_TLS_PORT if tls else DEFAULT_PORT),
        username=username,
        password=password,
        tls=tls,
        client_id=client_id,
        session_expiry=session_expiry,
    )


def _check_client_id(client_id: str) -> str:
    # An empty id asks the broker for a random one, which makes a persistent session
    # impossible to resume (MQTT 5.0 §3.1.3.1).
    if not client_id.strip():
        raise ValueError("MQTT client_id must not be empty: a persistent session needs a stable id")
    if len(client_id.encode()) > 65535 or any(ord(c) < 0x20 for c in client_id):
        raise ValueError("MQTT client_id must be at most 65535 bytes without control characters")
    return client_id


def _check_topic_filter(topic_filter: str) -> str:
    # MQTT 5.0 §4.7.1: "#" only as the whole last level, "+" only as a whole level.
    levels = topic_filter.split("/")
    valid = bool(topic_filter) and "\x00" not in topic_filter
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            valid = False
        if "+" in level and level != "+":
            valid = False
    if not valid:
        raise ValueError(f"Invalid MQTT topic filter {topic_filter!r}")
    return topic_filter


class _Connection:
    """What one network connection has seen; a fresh one per connect attempt."""

    def __init__(self) -> None:
        self.subscribe_mid: int | None = None
        self.subscribed = False
        self.store_failed = False
        self.taken_over = False


class Subscriber:
    """Subscribes to ``topic_filter`` and feeds every message to ``handle``, acknowledging after.

    Args:
        url: broker URL, see :func:`parse_broker_url`.
        handle: called as ``handle(topic, payload)`` once per delivery, in order, on the thread
            that runs :meth:`run`. Raise ``ValidationFailed`` for a message that can never be
            stored (it is acknowledged and dropped); any other exception means "try again
            later" (the message is redelivered after a reconnect).
        topic_filter: the subscription, e.g. ``live.subscription_filter()``.
        client_id: overrides the URL's ``client_id``; default ``taihe-ingest``. It names the
            broker session: two processes must never share one (the broker would keep
            disconnecting one for the other).
        on_state: told ``connecting``, ``connected`` (subscribed), ``disconnected``,
            ``refused`` (credentials or subscription refused) and ``stopped`` as they happen;
            called on the run thread, and its exceptions are logged and ignored.
        reconnect_min: first delay in seconds before reconnecting; doubles on each consecutive
            failure up to ``reconnect_max``.
        reconnect_max: longest delay in seconds between reconnect attempts.

    Raises:
        ValueError: an invalid URL, client id, topic filter or back-off range.
    """

    def __init__(
        self,
        url: str,
        handle: Callable[[str, bytes], None],
        *,
        topic_filter: str,
        client_id: str | None = None,
        on_state: Callable[[str], None] | None = None,
        reconnect_min: float = 0.5,
        reconnect_max: float = 30.0,
    ) -> None:
        self.address = parse_broker_url(url)
        self.client_id = _check_client_id(
            client_id if client_id is not None else self.address.client_id or DEFAULT_CLIENT_ID
        )
        self.topic_filter = _check_topic_filter(topic_filter)
        if not 0 < reconnect_min <= reconnect_max:
            raise ValueError(
                f"Need 0 < reconnect_min <= reconnect_max, got {reconnect_min}, {reconnect_max}"
            )
        self._handle = handle
        self._on_state = on_state
        self._reconnect_min = reconnect_min
        self._reconnect_max = reconnect_max
        self._state: str | None = None
        self._failures = 0
        self._store_failing = False
        self._had_session = False
        self._connection = _Connection()
        self._client = self._make_client()

    def run(self, stop: threading.Event) -> None:
        """Connect, subscribe and handle messages until ``stop`` is set; reconnect on loss.

        Returns within about a quarter of a second of ``stop`` being set (plus the running
        ``handle`` call), after a clean MQTT disconnect. The broker keeps the session, so
        messages published until the next :meth:`run` are queued for us.
        """
        try:
            while not stop.is_set():
                self._set_state(CONNECTING)
                self._run_connection(stop)
                if stop.is_set():
                    break
                # The exponent is capped so that days of outage cannot overflow the float.
                exponent = min(self._failures - 1, 62)
                delay = min(self._reconnect_max, self._reconnect_min * 2**exponent)
                logger.info("MQTT %s: reconnecting in %.2f s", self._where(), delay)
                stop.wait(delay)
        finally:
            self._set_state(STOPPED)

    # --- one connection ---------------------------------------------------------------------

    def _run_connection(self, stop: threading.Event) -> None:
        self._connection = _Connection()
        failures_before = self._failures
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.address.session_expiry
        try:
            self._client.connect(
                self.address.host,
                self.address.port,
                keepalive=KEEPALIVE_SECONDS,
                clean_start=False,
                properties=properties,
            )
        except OSError as error:  # refused, unreachable, DNS, TLS handshake (ssl.SSLError)
            self._failures += 1
            logger.warning("MQTT %s: cannot connect: %s", self._where(), error)
            self._set_state(DISCONNECTED)
            return
        while not stop.is_set():
            if self._client.loop(timeout=POLL_SECONDS) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                break
        if stop.is_set():
            self._disconnect_gracefully()
        if self._connection.taken_over:
            # Two clients sharing an id take the session from each other in turn; without this
            # the successful subscribes would keep the back-off at its minimum.
            self._failures = failures_before
        # A connection that worked resets the count while it runs (subscribed, or a message
        # stored), so its loss is retried after reconnect_min; a store that keeps failing
        # does not reset it, so the retries slow down to reconnect_max.
        self._failures += 1
        self._set_state(DISCONNECTED)

    def _disconnect_gracefully(self) -> None:
        if self._client.disconnect() != MQTTErrorCode.MQTT_ERR_SUCCESS:
            return
        iterations = int(STOP_GRACE_SECONDS / POLL_SECONDS)
        for _ in range(iterations):
            if self._client.loop(timeout=POLL_SECONDS) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return
            if not self._client.is_connected():
                return

    # --- paho callbacks (all on the run thread) ---------------------------------------------

    def _make_client(self) -> paho.Client:
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        client.enable_logger(logging.getLogger(f"{__name__}.paho"))
        if self.address.username is not None:
            client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            client.tls_set()
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        return client

    def _on_connect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            logger.error("MQTT %s: broker refused the connection: %s", self._where(), reason)
            self._set_state(REFUSED)
            return
        if flags.session_present:
            logger.info("MQTT %s: connected, resuming the broker's session", self._where())
        elif self._had_session:
            logger.warning(
                "MQTT %s: connected, but the broker had no session for us (it expired, or the "
                "broker restarted without persistence): messages published while we were away "
                "may be lost",
                self._where(),
            )
        else:
            logger.info("MQTT %s: connected, new session", self._where())
        # Subscribe on every connect, session or not: a broker may have lost the session.
        # Retain Handling 1 (MQTT 5.0 §3.8.3.1): retained messages only when the subscription
        # is new, not again on every reconnect.
        options = SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB)
        result, mid = client.subscribe(self.topic_filter, options=options)
        if result != MQTTErrorCode.MQTT_ERR_SUCCESS:
            logger.error("MQTT %s: could not send SUBSCRIBE: %s", self._where(), result)
            client.disconnect()
            return
        self._connection.subscribe_mid = mid

    def _on_subscribe(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        if mid != self._connection.subscribe_mid:
            return
        reason = reasons[0]
        if reason.is_failure:
            logger.error(
                "MQTT %s: broker refused the subscription to %s: %s",
                self._where(),
                self.topic_filter,
                reason,
            )
            self._set_state(REFUSED)
            client.disconnect()
            return
        if reason.value < 1:
            logger.warning(
                "MQTT %s: broker granted QoS 0 for %s: messages can be lost on a disconnect",
                self._where(),
                self.topic_filter,
            )
        self._connection.subscribed = True
        self._had_session = True
        if not self._store_failing:
            self._failures = 0
        self._set_state(CONNECTED)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        if self._connection.store_failed:
            # Behind a message we could not store: leave it unacknowledged so the broker
            # redelivers it after the reconnect, in order.
            return
        try:
            topic = message.topic
        except UnicodeDecodeError:
            logger.warning("MQTT %s: dropped a message whose topic is not UTF-8", self._where())
            client.ack(message.mid, message.qos)
            return
        try:
            self._handle(topic, message.payload)
        except ValidationFailed as error:
            logger.warning(
                "MQTT %s: rejected message on %s (acknowledged, not stored): %s %s",
                self._where(),
                topic,
                error,
                error.fields or "",
            )
        except Exception:
            self._connection.store_failed = True
            self._store_failing = True
            logger.exception(
                "MQTT %s: could not handle message on %s (%s); not acknowledged, reconnecting "
                "so the broker redelivers it",
                self._where(),
                topic,
                "redelivery" if message.dup else "first delivery",
            )
            if message.qos == 0:
                logger.error("MQTT %s: the message was sent with QoS 0 and is lost", self._where())
            client.disconnect()
            return
        else:
            self._store_failing = False
            self._failures = 0
        client.ack(message.mid, message.qos)

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if flags.is_disconnect_packet_from_server and reason.value == _SESSION_TAKEN_OVER:
            self._connection.taken_over = True
            logger.error(
                "MQTT %s: another client connected with our client id %r and took over the "
                "session; give every process its own client_id",
                self._where(),
                self.client_id,
            )
        elif flags.is_disconnect_packet_from_server or reason.is_failure:
            logger.warning("MQTT %s: disconnected: %s", self._where(), reason)
        else:
            logger.info("MQTT %s: disconnected", self._where())

    # --- helpers ----------------------------------------------------------------------------

    def _where(self) -> str:
        return f"{self.address.host}:{self.address.port} ({self.client_id})"

    def _set_state(self, state: State) -> None:
        if state == self._state:
            return
        self._state = state
        if self._on_state is None:
            return
        try:
            self._on_state(state)
        except Exception:
            logger.exception("MQTT %s: on_state(%r) raised", self._where(), state)
