"""The conservation charts (static/conservation/charts.js) in headless Chromium, Debian's
package, never a downloaded build. A small http.server thread serves the static files, test
pages and a deterministic series endpoint that answers in the JSON shape the server uses."""

from __future__ import annotations

import json
import math
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import service_missing

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
STATIC = Path(__file__).resolve().parents[3] / "src/taihe/modules/conservation/static"
MUSEUM_ZONE = ZoneInfo("Asia/Shanghai")
START = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
END = START + 7 * 86400
GAP = (START + 3 * 86400 + 6 * 3600, START + 3 * 86400 + 14 * 3600)
ERROR_TEXT = "The readings could not be loaded."
EMPTY_TEXT = "No readings in this period."
SPECS: dict[str, dict[str, Any]] = {
    "temperature": {"unit": "°C", "label": "Temperature", "low": 18.0, "high": 22.0},
    "relative_humidity": {"unit": "%", "label": "Relative humidity", "low": 45.0, "high": 55.0},
}


def _mean(quantity: str, moment: int) -> float | None:
    if GAP[0] <= moment < GAP[1]:
        return None
    if quantity == "temperature":
        return round(20 + 3 * math.sin(2 * math.pi * (moment - START) / 86400), 1)
    return round(50 + 7 * math.sin(2 * math.pi * (moment - START) / (3 * 86400)), 1)


def _series(quantity: str, start: int, end: int) -> dict[str, Any]:
    """Hourly aggregates over long ranges, 15-minute raw readings over two days or less."""
    step, resolution = (3600, "hour") if end - start > 2 * 86400 else (900, "raw")
    spread = 0.6 if resolution == "hour" else 0.0
    times = list(range(-(-start // step) * step, end, step))
    means = [_mean(quantity, moment) for moment in times]
    spec = SPECS[quantity]
    excursions: list[list[int]] = []
    for moment, value in zip(times, means, strict=True):
        outside = value is not None and not spec["low"] <= value <= spec["high"]
        if outside and excursions and excursions[-1][1] == moment:
            excursions[-1][1] = moment + step
        elif outside:
            excursions.append([moment, moment + step])

    def shifted(offset: float) -> list[float | None]:
        return [None if v is None else round(v + offset, 1) for v in means]

    return {"sensor": "GAL-01-T", "quantity": quantity, "unit": spec["unit"],
            "label": spec["label"], "resolution": resolution,
            "start": datetime.fromtimestamp(start, UTC).isoformat().replace("+00:00", "Z"),
            "end": datetime.fromtimestamp(end, UTC).isoformat().replace("+00:00", "Z"),
            "t": times, "mean": means, "min": shifted(-spread), "max": shifted(spread),
            "band": {"low": spec["low"], "high": spec["high"]}, "excursions": excursions}


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _iso(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Site:
    base: str
    pages: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)

    def series_requests(self) -> list[dict[str, str]]:
        return [r for r in self.requests if r["path"] == "/series"]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path in ("/series", "/broken", "/empty"):
                site.requests.append({"path": url.path, **query})
            if url.path == "/series":
                payload = _series(query["quantity"], _epoch(query["start"]), _epoch(query["end"]))
                self._send(200, "application/json", json.dumps(payload).encode())
            elif url.path == "/empty":
                payload = _series(query["quantity"], _epoch(query["start"]),
                                  _epoch(query["start"]))
                self._send(200, "application/json", json.dumps(payload).encode())
            elif url.path == "/broken":
                self._send(500, "text/plain", b"server error")
            elif url.path.startswith("/static/"):
                path = (STATIC / url.path.removeprefix("/static/")).resolve()
                if STATIC.resolve() not in path.parents or not path.is_file():
                    self._send(404, "text/plain", b"not found")
                    return
                kind = {".js": "text/javascript", ".css": "text/css"}.get(path.suffix,
                                                                          "text/plain")
                self._send(200, f"{kind}; charset=utf-8", path.read_bytes())
            elif url.path in site.pages:
                self._send(200, "text/html; charset=utf-8", site.pages[url.path].encode())
            else:
                self._send(404, "text/plain", b"not found")

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture(scope="module")
def served() -> Iterator[Site]:
    site = Site(base="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def site(served: Site) -> Site:
    served.pages.clear()
    served.requests.clear()
    return served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        service_missing("Chromium", "install Debian's package: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # A browser zone far from the museum's, so a chart that ignored data-time-zone would show.
    context = browser.new_context(viewport={"width": 1000, "height": 900},
                                  timezone_id="America/New_York", locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.problems = problems
    yield page
    context.close()
    assert problems == [], problems


def _chart(url: str = "/series?sensor=GAL-01", quantities: str = "temperature,relative_humidity",
           start: int = START, end: int = END, element_id: str = "chart") -> str:
    return (f'<div id="{element_id}" data-taihe-chart data-series-url="{url}"'
            f' data-quantities="{quantities}" data-start="{_iso(start)}" data-end="{_iso(end)}"'
            f' data-time-zone="Asia/Shanghai" data-label="GAL-01 readings"'
            f' data-error-text="{ERROR_TEXT}" data-empty-text="{EMPTY_TEXT}"'
            f' data-reset-text="Reset zoom" data-band-text="Specification"'
            f' data-excursion-text="Outside specification"></div>')


def _page(body: str) -> str:
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>charts</title>"
            "<link rel='stylesheet' href='/static/conservation/vendor/uPlot-1.6.32.min.css'>"
            "<link rel='stylesheet' href='/static/conservation/charts.css'>"
            "<style>body { font-family: system-ui, sans-serif; margin: 24px; }</style></head>"
            f"<body>{body}"
            "<script src='/static/conservation/vendor/uPlot-1.6.32.iife.min.js'></script>"
            "<script src='/static/conservation/charts.js'></script></body></html>")


def _open(page: Any, site: Site, body: str) -> None:
    site.pages["/page"] = _page(body)
    page.goto(f"{site.base}/page")
    _settled(page)


def _settled(page: Any) -> None:
    page.wait_for_function("() => document.querySelectorAll('[aria-busy]').length === 0")


def _panel(page: Any, quantity: str, chart: str = "#chart") -> Any:
    return page.locator(f"{chart} .taihe-chart__panel[data-quantity={quantity}]")


def _legend(page: Any, quantity: str, chart: str = "#chart") -> list[str]:
    rows = _panel(page, quantity, chart).locator(".u-legend .u-series")
    return [f"{rows.nth(i).locator('th').inner_text().strip()}"
            f" {rows.nth(i).locator('.u-value').inner_text().strip()}"
            for i in range(rows.count())]


def _drag(page: Any, quantity: str, start_fraction: float, end_fraction: float) -> None:
    box = _panel(page, quantity).locator(".u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start_fraction, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end_fraction, y, steps=8)
    page.mouse.up()


def test_each_quantity_gets_a_chart_asked_for_at_its_pixel_width(site: Site, page: Any) -> None:
    # Given a page with a temperature and a humidity chart over one week
    _open(page, site, _chart())

    # Then each quantity has a drawn canvas and an image role named for it
    assert _panel(page, "temperature").locator("canvas").count() == 1
    assert _panel(page, "relative_humidity").locator("canvas").count() == 1
    assert page.get_by_role("img", name="GAL-01 readings: Temperature (°C)").count() == 1
    assert page.get_by_role("img", name="GAL-01 readings: Relative humidity (%)").count() == 1
    # and each series was asked for once, for the page's range, one point per pixel
    width = page.evaluate(
        "() => document.querySelector('.taihe-chart__plot').clientWidth")
    asked = sorted(site.series_requests(), key=lambda r: r["quantity"])
    assert asked == [
        {"path": "/series", "sensor": "GAL-01", "quantity": quantity, "start": _iso(START),
         "end": _iso(END), "points": str(width)}
        for quantity in ("relative_humidity", "temperature")]
    assert 800 <= width <= 960
    # and the key names the specification band and the excursions
    assert _panel(page, "temperature").locator(".taihe-chart__key").inner_text().split("\n") == [
        "Specification: 18.0–22.0 °C", "Outside specification"]


def test_the_legend_shows_the_value_under_the_cursor_with_unit_in_museum_time(
        site: Site, page: Any) -> None:
    # Given the week chart
    _open(page, site, _chart())

    # When the cursor rests over the temperature chart
    box = _panel(page, "temperature").locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] / 2)

    # Then the legend shows time in Shanghai, mean, min and max of that hour with unit
    time_row, mean_row, min_row, max_row = _legend(page, "temperature")
    shown = time_row.removeprefix("Time").strip()
    local = datetime.strptime(shown, "%Y-%m-%d %H:%M").replace(tzinfo=MUSEUM_ZONE)
    mean = _mean("temperature", int(local.timestamp()))
    assert mean is not None
    assert mean_row == f"Temperature {mean:.1f} °C"
    assert min_row == f"Min {mean - 0.6:.1f} °C"
    assert max_row == f"Max {mean + 0.6:.1f} °C"
    # and the synced humidity chart shows the same moment with its own unit
    humidity = _legend(page, "relative_humidity")
    humidity_mean = _mean("relative_humidity", int(local.timestamp()))
    assert humidity_mean is not None
    assert humidity[0] == time_row
    assert humidity[1] == f"Relative humidity {humidity_mean:.1f} %"


def test_gaps_stay_gaps(site: Site, page: Any) -> None:
    # Given the week chart, whose temperature has no readings for eight hours on day four
    _open(page, site, _chart())

    # When the canvas columns in the gap and in the readings are read
    def line_pixels(moment: int) -> int:
        return int(page.evaluate(
            """([fraction]) => {
              const panel = document.querySelector(
                '#chart .taihe-chart__panel[data-quantity=temperature]');
              const canvas = panel.querySelector('canvas');
              const over = panel.querySelector('.u-over').getBoundingClientRect();
              const frame = canvas.getBoundingClientRect();
              const scale = canvas.width / frame.width;
              const x = Math.round((over.left - frame.left + over.width * fraction) * scale);
              const pixels = canvas.getContext('2d').getImageData(x, 0, 1, canvas.height).data;
              let count = 0;
              for (let i = 0; i < pixels.length; i += 4) {
                // the mean line's #c0392b, opaque; compositing may move a channel by one
                if (Math.abs(pixels[i] - 192) <= 2 && Math.abs(pixels[i + 1] - 57) <= 2 &&
                    Math.abs(pixels[i + 2] - 43) <= 2 && pixels[i + 3] >= 250) { count++; }
              }
              return count;
            }""", [(moment - START) / (END - START)]))

    # Then the mean line is drawn where there are readings and nothing joins across the gap
    assert line_pixels(START + 36 * 3600) > 0
    assert line_pixels((GAP[0] + GAP[1]) // 2) == 0


def test_drag_select_zooms_in_and_reset_restores(site: Site, page: Any) -> None:
    # Given the week chart
    _open(page, site, _chart())
    reset = page.get_by_role("button", name="Reset zoom")
    assert reset.is_hidden()
    site.requests.clear()

    # When a fifth of the temperature chart is drag-selected
    _drag(page, "temperature", 0.30, 0.50)
    _settled(page)

    # Then both quantities are asked for again over the same, narrower range
    zoomed = site.series_requests()
    assert sorted(r["quantity"] for r in zoomed) == ["relative_humidity", "temperature"]
    assert zoomed[0]["start"] == zoomed[1]["start"]
    assert zoomed[0]["end"] == zoomed[1]["end"]
    start, end = _epoch(zoomed[0]["start"]), _epoch(zoomed[0]["end"])
    assert START < start < end < END
    assert abs((end - start) - 0.2 * (END - START)) < 0.02 * (END - START)
    # and the finer raw readings are drawn: no min and max rows any more
    page.mouse.move(0, 0)
    assert len(_legend(page, "temperature")) == 2
    assert reset.is_visible()

    # When reset is pressed
    site.requests.clear()
    reset.click()
    _settled(page)

    # Then the page's whole range is asked for again and the button goes away
    assert sorted((r["quantity"], r["start"], r["end"]) for r in site.series_requests()) == [
        ("relative_humidity", _iso(START), _iso(END)), ("temperature", _iso(START), _iso(END))]
    assert reset.is_hidden()
    assert len(_legend(page, "temperature")) == 4

    # When zoomed again and the humidity chart is double-clicked
    _drag(page, "relative_humidity", 0.6, 0.7)
    _settled(page)
    assert reset.is_visible()
    site.requests.clear()
    _panel(page, "relative_humidity").locator(".u-over").dblclick()
    _settled(page)

    # Then the whole range is back
    assert sorted((r["quantity"], r["start"], r["end"]) for r in site.series_requests()) == [
        ("relative_humidity", _iso(START), _iso(END)), ("temperature", _iso(START), _iso(END))]
    assert reset.is_hidden()


def test_a_live_point_extends_only_a_chart_that_reaches_now(site: Site, page: Any) -> None:
    # Given a chart of the last day and a chart of a past week
    now = int(time.time())
    _open(page, site, _chart(quantities="temperature", start=now - 86400, end=now,
                             element_id="today") + _chart(element_id="chart"))

    # When a reading arrives over the websocket for both
    point = {"quantity": "temperature", "time": now + 30, "value": 25.5}
    appended = page.evaluate(
        """([point]) => [
          TaiheCharts.live(document.getElementById('today'), point),
          TaiheCharts.live(document.getElementById('chart'), point)]""", [point])

    # Then only the chart reaching now takes it, as its newest point
    assert appended == [True, False]
    box = _panel(page, "temperature", "#today").locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2)
    assert _legend(page, "temperature", "#today")[1] == "Temperature 25.5 °C"


def test_a_failed_request_shows_the_error_text(site: Site, page: Any) -> None:
    # Given a chart whose series answers HTTP 500
    _open(page, site, _chart(url="/broken", quantities="temperature"))

    # Then the translated error text is shown as an alert and no chart is drawn
    assert page.get_by_role("alert").inner_text() == ERROR_TEXT
    assert page.locator("#chart canvas").count() == 0
    assert [r["quantity"] for r in site.requests] == ["temperature"]


def test_a_period_without_readings_says_so(site: Site, page: Any) -> None:
    # Given a chart whose series has no readings
    _open(page, site, _chart(url="/empty", quantities="temperature"))

    # Then the translated empty text is shown and no chart is drawn
    message = _panel(page, "temperature").locator(".taihe-chart__message")
    assert message.inner_text() == EMPTY_TEXT
    assert page.locator("#chart canvas").count() == 0


def test_sparklines_draw_a_point_per_value_and_colour_out_of_band_ones(
        site: Site, page: Any) -> None:
    # Given two sparklines, one with a gap, with a 18–22 band
    _open(page, site,
          "<span id='full' data-sparkline data-values='[20, 21, 23.5, 19]'"
          " data-low='18' data-high='22'></span>"
          "<span id='gappy' data-sparkline data-values='[19.5, 21, 22.5, null, 17.2, 20]'"
          " data-low='18' data-high='22' data-label='Temperature, last 24 hours'></span>")

    # Then every value has a point, and only the ones outside the band are coloured
    full = page.locator("#full svg circle")
    assert full.count() == 4
    assert [full.nth(i).get_attribute("class") for i in range(4)] == [
        "taihe-sparkline__point", "taihe-sparkline__point",
        "taihe-sparkline__point is-out", "taihe-sparkline__point"]
    assert full.nth(2).get_attribute("fill") == "#a11d1d"
    assert full.nth(0).get_attribute("fill") == "currentColor"
    # and a missing value leaves a gap: no point, and the line starts again after it
    gappy = page.locator("#gappy svg")
    assert gappy.locator("circle").count() == 5
    assert gappy.locator("circle.is-out").count() == 2
    assert gappy.locator("path").get_attribute("d").count("M") == 2
    assert page.get_by_role("img", name="Temperature, last 24 hours").count() == 1


def test_content_swapped_in_by_htmx_is_drawn(site: Site, page: Any) -> None:
    # Given a page whose chart and sparkline arrive later, the way an htmx swap brings them
    _open(page, site, "<div id='slot'></div>")
    assert site.series_requests() == []

    # When htmx reports the swap
    page.evaluate(
        """([html]) => {
          const slot = document.getElementById('slot');
          slot.innerHTML = html;
          slot.dispatchEvent(new CustomEvent('htmx:afterSwap', {bubbles: true,
                                                                detail: {elt: slot}}));
        }""",
        [_chart(quantities="temperature") + "<span data-sparkline data-values='[1, 2]'></span>"])
    _settled(page)

    # Then both are drawn, the chart once
    assert _panel(page, "temperature").locator("canvas").count() == 1
    assert page.locator("[data-sparkline] svg circle").count() == 2
    page.evaluate("() => document.body.dispatchEvent(new CustomEvent('htmx:afterSwap',"
                  " {bubbles: true, detail: {}}))")
    assert [r["quantity"] for r in site.series_requests()] == ["temperature"]


def test_charts_follow_the_page_width(site: Site, page: Any) -> None:
    # Given the week chart in a 1000 px wide window
    _open(page, site, _chart(quantities="temperature"))
    canvas = _panel(page, "temperature").locator("canvas")
    wide = canvas.bounding_box()["width"]

    # When the window narrows by 300 px
    page.set_viewport_size({"width": 700, "height": 900})
    page.wait_for_function(
        "([wide]) => document.querySelector('#chart canvas').getBoundingClientRect().width"
        " === wide - 300", arg=[wide])

    # Then the chart narrowed with it, without asking for the series again
    assert canvas.bounding_box()["width"] == wide - 300
    assert len(site.series_requests()) == 1
