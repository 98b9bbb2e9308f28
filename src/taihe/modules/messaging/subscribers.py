"""What messaging does when other modules report changes.

- A conservation alert opened or escalated: every bot fed ``conservation.alerts`` posts a
  short line with a link to the alert. The line names no place or sensor: it is read by the
  whole group, while the card under it shows each reader only what they may see.
- The directory changed who is in a department: the department groups are brought in line
  (one ``messaging.departments.sync`` job, queued once for a burst of changes).

Both are durable subscribers: the kernel delivers each event at least once and records the
delivery in the handler's transaction, so the posted line is written exactly once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from taihe.kernel.events import subscribe
from taihe.kernel.jobs import enqueue
from taihe.modules.conservation import api as conservation
from taihe.modules.messaging import bots

ALERT_FEED = "conservation.alerts"
DEPARTMENT_EVENTS = (
    "directory.person.created.v1",
    "directory.person.updated.v1",
    "directory.person.deactivated.v1",
    "directory.department.created.v1",
    "directory.department.updated.v1",
    "directory.department.moved.v1",
    "directory.department.merged.v1",
    "directory.department.closed.v1",
    "directory.orgchart.imported.v1",
)
# An org-chart edit arrives as many events at once; waiting a little lets one sync answer
# them all (a job waiting with the same arguments is not queued twice).
SYNC_DELAY_SECONDS = 30.0


def _in_every_language(sentence: Any) -> str:
    """The line in each shipped language, the museum's first ("新的环境警报 / New
    environmental alert"): a bot's message is stored once for readers of both."""
    codes = [settings.LANGUAGE_CODE, *(code for code, _name in settings.LANGUAGES)]
    texts: list[str] = []
    for code in dict.fromkeys(code.lower() for code in codes):
        with translation.override(code):
            text = sentence()
        if text not in texts:
            texts.append(text)
    return " / ".join(texts)


def alert_line(event: Any) -> str:
    """The feed's text for an opened or escalated alert (no place, no sensor)."""
    if event.name == "conservation.alert.escalated.v1":
        return _in_every_language(lambda: _(
            "Environmental alert #%(id)d is still unacknowledged (escalation %(level)d)")
            % {"id": event.alert_id, "level": event.level})
    return _in_every_language(lambda: _("New environmental alert #%(id)d (%(severity)s)")
                              % {"id": event.alert_id,
                                 "severity": conservation.severity_label(event.severity)})


@subscribe("conservation.alert.opened.v1", name="messaging.conservation_alert")
def conservation_alert_opened(event: Any) -> None:
    """Post the new alert to the groups fed ``conservation.alerts``."""
    bots.post_to_feed(ALERT_FEED, alert_line(event),
                      links=[conservation.alert_url(event.alert_id)])


@subscribe("conservation.alert.escalated.v1", name="messaging.conservation_alert_escalated")
def conservation_alert_escalated(event: Any) -> None:
    """Post that nobody has acknowledged the alert yet."""
    bots.post_to_feed(ALERT_FEED, alert_line(event),
                      links=[conservation.alert_url(event.alert_id)])


def _department_changed(event: Any) -> None:
    from taihe.modules.messaging.jobs import sync_department_groups

    enqueue(sync_department_groups, delay_seconds=SYNC_DELAY_SECONDS, unique=True)


for _event_name in DEPARTMENT_EVENTS:
    subscribe(_event_name, name=f"messaging.department_groups.{_event_name}")(
        _department_changed)
