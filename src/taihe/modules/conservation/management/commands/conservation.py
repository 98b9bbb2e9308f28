"""``taihe conservation``: import logger files, subscribe to MQTT, evaluate alerts, rebuild
rollups and apply the readings retention.

Scripts read one line of JSON on stdout; everything meant for a person (progress, rejected
rows, connection state, errors) goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from taihe.kernel.errors import PermissionDenied, ValidationFailed
from taihe.modules.conservation import alerts, services, store
from taihe.modules.conservation.ingest import FORMATS, LoggerFileError
from taihe.modules.conservation.ingest.timestamps import DateOrder, zone_from_argument
from taihe.modules.conservation.live import subscription_filter
from taihe.modules.conservation.models import DailyRollup, HourlyRollup, Sensor
from taihe.modules.conservation.mqtt import Subscriber

# Enough to see what kind of fault a file has; the whole list is kept on the import batch.
REJECTED_SHOWN = 50
USAGE_ERROR = 2


def _plain(text: str) -> str:
    return text


class ProgressBar:
    """``done/total`` readings stored, redrawn on one line; silent unless the stream is a
    terminal, so scripts read only the final JSON line."""

    WIDTH = 30

    def __init__(self, label: str, stream: OutputWrapper) -> None:
        self.label, self.stream = label, stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.drawn = False

    def start(self) -> None:
        self._draw(_("%(file)s: reading the file…") % {"file": self.label})

    def __call__(self, done: int, total: int) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        filled = int(self.WIDTH * min(done / total, 1.0)) if total else self.WIDTH
        bar = "█" * filled + "·" * (self.WIDTH - filled)
        self._draw(_("%(file)s %(bar)s %(done)s/%(total)s readings  %(rate)s/s") % {
            "file": self.label, "bar": bar, "done": done, "total": total,
            "rate": f"{done / elapsed:,.0f}"})

    def _draw(self, text: str) -> None:
        if not self.enabled:
            return
        self.stream.write(f"\r\x1b[2K{text}", style_func=_plain, ending="")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("", style_func=_plain)
            self.drawn = False


def store_message(topic: str, payload: bytes) -> None:
    """The MQTT handler: drop a database connection that broke or aged out while the
    subscriber waited (a long-running process sees no request boundaries), then store."""
    close_old_connections()
    services.do_receive_mqtt(topic, payload)


def _positive_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        days = 0
    if days < 1:
        raise argparse.ArgumentTypeError(_("give a whole number of days, 1 or more"))
    return days


class Command(BaseCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = _(
            "Environmental monitoring: `taihe conservation import FILE… --sensor CODE`, "
            "`taihe conservation mqtt [--url URL] [--site SITE]`, `taihe conservation "
            "evaluate`, `taihe conservation rollups --rebuild`, `taihe conservation retention "
            "[--days N]`.")
        # Set by SIGINT/SIGTERM, or by whoever runs `mqtt` on another thread.
        self.stop_event = threading.Event()

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        imports = actions.add_parser("import", help=_("store the readings of data-logger files"))
        imports.add_argument("files", nargs="+", type=Path, metavar="FILE")
        imports.add_argument("--sensor", required=True, metavar="CODE",
                             help=_("the sensor whose readings the files hold; created when "
                                    "the code is new"))
        formats = ", ".join(f"{name} ({FORMATS[name].label})" for name in sorted(FORMATS))
        imports.add_argument("--format", default="auto", choices=["auto", *sorted(FORMATS)],
                             metavar="auto|NAME",
                             help=_("the file format: auto (recognise it) or one of %(formats)s")
                             % {"formats": formats})
        imports.add_argument("--timezone", metavar="TZ",
                             help=_("time zone of times the file gives without one: an IANA "
                                    "name such as Asia/Shanghai, or UTC+08:00"))
        imports.add_argument("--date-order", choices=[order.value for order in DateOrder],
                             help=_("the order of day, month and year where every date in the "
                                    "file is ambiguous"))
        imports.add_argument("--dry-run", action="store_true",
                             help=_("check and report, store nothing"))
        imports.add_argument("--as", dest="username", metavar="USERNAME",
                             help=_("the person recorded as importing (default: the first "
                                    "administrator account)"))

        subscribes = actions.add_parser("mqtt", help=_("store readings published to an MQTT "
                                                       "broker until stopped"))
        subscribes.add_argument("--url", metavar="URL",
                                help=_("broker address, e.g. mqtt://user:password@host:1883/ "
                                       "(default: TAIHE_MQTT_URL)"))
        subscribes.add_argument("--site", metavar="SITE",
                                help=_("only this site's sensors (default: every site)"))

        actions.add_parser("evaluate", help=_("evaluate the alert rules of every sensor now"))

        rollups = actions.add_parser("rollups", help=_("the hourly and daily summaries"))
        rollups.add_argument("--rebuild", action="store_true", required=True,
                             help=_("recompute every summary from the stored readings"))

        retention = actions.add_parser("retention", help=_("delete raw readings older than the "
                                                           "retention period (summaries stay)"))
        retention.add_argument("--days", type=_positive_days, metavar="N",
                               help=_("keep N days (default: TAIHE_READINGS_RETENTION_DAYS)"))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        getattr(self, f"do_{action}")(options)

    def actor(self, username: str | None) -> Any:
        people = get_user_model().objects.filter(is_active=True)
        if username:
            person = people.filter(username=username).first()
            if person is None:
                raise CommandError(_("No active person has the username %(username)r.")
                                   % {"username": username}, returncode=USAGE_ERROR)
            return person
        person = people.filter(is_superuser=True).order_by("pk").first()
        if person is None:
            raise CommandError(_("Name the person doing this with --as USERNAME (there is no "
                                 "administrator account; `taihe createadmin` makes one)."),
                               returncode=USAGE_ERROR)
        return person

    # --- import -------------------------------------------------------------------------------

    def do_import(self, options: dict[str, Any]) -> None:
        sensor_code: str = options["sensor"]
        if not services.SENSOR_CODE.match(sensor_code):
            raise CommandError(_("--sensor %(code)r is not a sensor code: use 1–64 letters, "
                                 "digits, dots, dashes or underscores.") % {"code": sensor_code},
                               returncode=USAGE_ERROR)
        if options["timezone"]:
            try:
                zone_from_argument(options["timezone"])
            except LoggerFileError as error:
                raise CommandError(str(error), returncode=USAGE_ERROR) from error
        actor = self.actor(options["username"])
        paths: list[Path] = options["files"]
        totals = {"stored": 0, "duplicates": 0, "rejected": 0}
        failed: list[Path] = []
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError as error:
                self.stderr.write(_("%(file)s: cannot read the file: %(problem)s") % {
                    "file": path, "problem": error.strerror or error})
                failed.append(path)
                continue
            bar = ProgressBar(path.name, self.stderr)
            bar.start()
            try:
                outcome = services.do_import_file(
                    actor, data, path.name, sensor_code=sensor_code,
                    file_format=options["format"], time_zone=options["timezone"],
                    date_order=options["date_order"], create_sensor=True,
                    dry_run=options["dry_run"], progress=bar)
            except PermissionDenied as error:
                bar.close()
                self._finish(totals, options["dry_run"])
                raise CommandError(_("%(person)s may not import readings or create sensors: "
                                     "%(detail)s") % {"person": actor.get_username(),
                                                      "detail": error.detail}) from error
            except ValidationFailed as error:
                bar.close()
                problem = "; ".join(error.fields.values()) or str(error.detail)
                self.stderr.write(_("%(file)s: %(problem)s") % {"file": path,
                                                                 "problem": problem})
                failed.append(path)
                continue
            bar.close()
            for key, value in outcome.summary().items():
                totals[key] += value
            self._report(path, outcome, several=len(paths) > 1)
        self._finish(totals, options["dry_run"])
        if failed:
            raise CommandError(ngettext(
                "%(count)d file was not imported: %(files)s",
                "%(count)d files were not imported: %(files)s", len(failed)) % {
                    "count": len(failed), "files": ", ".join(str(path) for path in failed)})

    def _report(self, path: Path, outcome: services.IngestOutcome, *, several: bool) -> None:
        for warning in outcome.warnings:
            self.stderr.write(_("%(file)s: %(warning)s") % {"file": path, "warning": warning},
                              style_func=self.style.WARNING)
        if outcome.rejected and several:
            self.stderr.write(_("%(file)s:") % {"file": path})
        for row, field, reason in outcome.rejected[:REJECTED_SHOWN]:
            self.stderr.write(_("row %(row)s, %(field)s: %(reason)s") % {
                "row": row, "field": field, "reason": reason})
        hidden = len(outcome.rejected) - REJECTED_SHOWN
        if hidden > 0:
            self.stderr.write(_("and %(count)d more") % {"count": hidden})

    def _finish(self, totals: dict[str, int], dry_run: bool) -> None:
        result: dict[str, Any] = dict(totals)
        if dry_run:
            result["dry_run"] = True
            self.stderr.write(_("Dry run: nothing was stored; \"stored\" counts the valid "
                                "readings, those already stored included."), style_func=_plain)
        self.stdout.write(json.dumps(result))

    # --- mqtt ---------------------------------------------------------------------------------

    def do_mqtt(self, options: dict[str, Any]) -> None:
        url = options["url"] or getattr(settings, "TAIHE_MQTT_URL", None)
        if not url:
            raise CommandError(_("No MQTT broker to subscribe to: give --url "
                                 "mqtt://host:1883/ or set TAIHE_MQTT_URL."),
                               returncode=USAGE_ERROR)
        try:
            topic_filter = subscription_filter(options["site"])
            subscriber = Subscriber(url, store_message, topic_filter=topic_filter,
                                    on_state=self._state_reporter(topic_filter))
        except ValueError as error:
            raise CommandError(str(error), returncode=USAGE_ERROR) from error
        restore = self._stop_on_signals()
        try:
            subscriber.run(self.stop_event)
        finally:
            restore()
            connections.close_all()

    def _state_reporter(self, topic_filter: str) -> Callable[[str], None]:
        labels = {
            "connecting": _("connecting"),
            "connected": _("connected; storing readings from %(filter)s")
            % {"filter": topic_filter},
            "disconnected": _("disconnected; connecting again shortly"),
            "refused": _("refused by the broker (see the log for the reason)"),
            "stopped": _("stopped"),
        }

        def report(state: str) -> None:
            moment = timezone.localtime().isoformat(timespec="seconds")
            self.stderr.write(_("%(time)s MQTT: %(state)s") % {
                "time": moment, "state": labels.get(state, state)}, style_func=_plain)

        return report

    def _stop_on_signals(self) -> Callable[[], None]:
        """SIGINT/SIGTERM stop the subscriber after the message in hand; a second one
        interrupts at once. Signals can only be caught on the main thread."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def stop(signum: int, frame: FrameType | None) -> None:
            if self.stop_event.is_set():
                raise KeyboardInterrupt
            self.stderr.write(_("Stopping (press Ctrl+C again to stop at once)…"),
                              style_func=_plain)
            self.stop_event.set()

        previous = {number: signal.signal(number, stop)
                    for number in (signal.SIGINT, signal.SIGTERM)}

        def restore() -> None:
            for number, handler in previous.items():
                signal.signal(number, handler)

        return restore

    # --- maintenance --------------------------------------------------------------------------

    def do_evaluate(self, options: dict[str, Any]) -> None:
        sensor_ids = list(Sensor.objects.exclude(status=Sensor.Status.RETIRED)
                          .order_by("pk").values_list("pk", flat=True))
        opened: list[int] = []
        for sensor_id in sensor_ids:
            opened.extend(alerts.evaluate_sensor(sensor_id))
        self.stdout.write(json.dumps({"sensors": len(sensor_ids), "opened": len(opened)}))

    def do_rollups(self, options: dict[str, Any]) -> None:
        # One transaction: charts and counts never see the summaries half rebuilt.
        with transaction.atomic():
            store.rebuild_rollups()
        self.stdout.write(json.dumps({"readings": store.reading_count(),
                                      "hourly": HourlyRollup.objects.count(),
                                      "daily": DailyRollup.objects.count()}))

    def do_retention(self, options: dict[str, Any]) -> None:
        days: int = options["days"] or int(
            getattr(settings, "TAIHE_READINGS_RETENTION_DAYS", 0) or 0)
        if days <= 0:
            self.stderr.write(_("Retention is off (TAIHE_READINGS_RETENTION_DAYS is 0): every "
                                "reading is kept. Give --days N to delete older ones."),
                              style_func=_plain)
        deleted = services.apply_retention(days) if days > 0 else 0
        self.stdout.write(json.dumps({"deleted": deleted, "days": days}))

