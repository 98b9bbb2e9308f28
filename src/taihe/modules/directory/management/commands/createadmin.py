from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction


class Command(BaseCommand):
    help = "Create an administrator (Django admin operator with every permission)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--name", default="", help="display name (Chinese or English)")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-env", default="TAIHE_ADMIN_PASSWORD",
                            help="read the password from this environment variable if set")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import password_validation
        from django.core.exceptions import ValidationError

        from taihe.modules.directory.models import Person, Role, RoleAssignment

        username = options["username"].strip()
        if Person.objects.filter(username__iexact=username).exists():
            raise CommandError(f"a person with username {username!r} already exists")
        password = os.environ.get(options["password_env"]) or ""
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords differ")
        try:
            password_validation.validate_password(password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        with transaction.atomic():
            person = Person.objects.create_superuser(
                username, password, name_zh=options["name"] or username,
                name_en=options["name"] or username, email=options["email"])
            role = Role.objects.filter(code="administrator").first()
            if role:
                RoleAssignment.objects.get_or_create(person=person, role=role, department=None)
        self.stdout.write(f"administrator {username} created")
