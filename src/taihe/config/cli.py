"""The ``taihe`` command: Django's management commands with Taihe's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taihe.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        args = ["help", "--commands"]
        print("Taihe: serve, migrate, demo, worker, scheduler, createadmin, doctor, dump, "
              "restore, db copy --to URL, audit verify\n")
    execute_from_command_line(["taihe", *args])


if __name__ == "__main__":
    main()
