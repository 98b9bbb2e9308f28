"""The workbench home page: my apps, my to-dos and my latest notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from taihe.kernel import shell


@login_required
def home(request: HttpRequest) -> HttpResponse:
    tiles = []
    for tile in shell.apps_for(request.user):
        try:
            tiles.append({"tile": tile, "url": reverse(tile.url_name)})
        except NoReverseMatch:  # a module registered a tile for a page it does not serve
            continue
    hour = timezone.localtime().hour
    greeting = "morning" if 5 <= hour < 12 else "afternoon" if 12 <= hour < 18 else "evening"
    return render(request, "workbench/home.html", {
        "tiles": tiles, "todos": shell.todos_for(request.user), "greeting": greeting,
        "today": timezone.localdate(),
    })
