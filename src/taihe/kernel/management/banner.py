"""What ``taihe serve`` prints first: where to go and how to sign in."""

from __future__ import annotations

from django.contrib.auth import get_user_model


def login_banner(url: str) -> str:
    from taihe.kernel import demo

    lines = ["", "=" * 72, f"  Taihe is running at {url}"]
    people = get_user_model().objects
    logins = demo.printed_logins()
    if logins and people.filter(username=logins[0][1]).exists():
        lines.append("  Demo museum sign-ins (password for all: "
                     f"{demo.DEMO_PASSWORD}):")
        for role, username in logins:
            lines.append(f"    {role:<14} {username}")
    elif not people.filter(is_superuser=True).exists():
        lines.append("  No administrator yet: run `taihe createadmin` (or `taihe demo`).")
    lines += ["  Stop with Ctrl+C.", "=" * 72, ""]
    return "\n".join(lines)
