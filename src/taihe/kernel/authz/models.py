from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class VisibilityRule(models.Model):
    """One audience of a piece of content: everyone, a department (and its subtree),
    a role, a group, or a named person. A piece is visible when any of its rules matches."""

    class Kind(models.TextChoices):
        EVERYONE = "everyone", _("Everyone")
        DEPARTMENT = "department", _("Department")
        ROLE = "role", _("Role")
        GROUP = "group", _("Group")
        PERSON = "person", _("Person")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    target_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        app_label = "kernel"
        indexes = [
            models.Index(fields=["content_type", "kind", "target_id"]),
            models.Index(fields=["content_type", "object_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind", "target_id"],
                name="kernel_visibility_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="everyone", target_id__isnull=True)
                | (~models.Q(kind="everyone") & models.Q(target_id__isnull=False)),
                name="kernel_visibility_target_matches_kind",
            ),
        ]
