"""Install the museum's built-in approvals after every migrate: each one missing is created
and published as version 1. Existing ones are never touched, so HR's edits stay."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from taihe.modules.workflows.builtin import CANCELLATION_CODE, TEMPLATES
from taihe.modules.workflows.models import Process, ProcessVersion


def install_builtin() -> list[str]:
    """Create the built-in approvals that do not exist yet; return their codes."""
    created = []
    with transaction.atomic():
        for template in TEMPLATES:
            if Process.objects.filter(code=template["code"]).exists():
                continue
            process = Process.objects.create(
                code=template["code"], name_zh=template["name_zh"],
                name_en=template["name_en"], description=template.get("description", ""),
                category=template.get("category", ""), icon=template.get("icon", "approval"),
                subject_code=template.get("subject_code", ""), is_builtin=True,
                draft_form=template["form"], draft_definition=template["definition"])
            version = ProcessVersion.objects.create(process=process, number=1,
                                                    form=template["form"],
                                                    definition=template["definition"],
                                                    note="Built-in template")
            process.current_version = version
            process.save(update_fields=["current_version"])
            created.append(process.code)
        cancellation = Process.objects.filter(code=CANCELLATION_CODE).first()
        if cancellation is not None and created:
            (Process.objects.filter(code__in=created, cancellation_process__isnull=True)
             .exclude(pk=cancellation.pk).update(cancellation_process=cancellation))
    return created


def on_post_migrate(sender: Any, **kwargs: Any) -> None:
    using = kwargs.get("using", "default")
    if using != "default":
        return
    install_builtin()
