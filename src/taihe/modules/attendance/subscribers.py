"""Attendance follows the approvals it depends on: leave, business trips, overtime and
make-up punches (durable subscribers, idempotent)."""

from __future__ import annotations

from taihe.kernel.events import subscribe
from taihe.modules.attendance import services


def _follow(outcome: str):  # type: ignore[no-untyped-def]
    def handler(event: object) -> None:
        if str(getattr(event, "subject_code", "")).startswith("attendance."):
            services.do_follow_request(int(getattr(event, "approval_id")), outcome)
    return handler


for _outcome in ("submitted", "returned", "approved", "rejected", "withdrawn", "cancelled"):
    subscribe(f"workflows.request.{_outcome}.v1",
              name=f"attendance.follow_{_outcome}")(_follow(_outcome))
