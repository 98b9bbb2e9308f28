"""Climate risk end to end in headless Chromium (Debian's package, never a downloaded build),
issue 5's "done means": the conservator opens the climate-risk overview and sees the objects
most at risk and why, opens a watercolour's catalogue page, reads its "Climate risk" panel
(risks with numbers and sources, strategies ranked with reasons), turns a strategy into a care
task in one click and finds the task on the care tasks page; a staff member without
``conservation.risk.view`` sees no panel on the same page. Any console error or uncaught page
error fails."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import TAIHE, Browsers

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OBJECT_NUMBER = "E2E-RISK-1"
TITLE = "Lotus pond"
PLACE_CODE = "E2E-DAMP"

# Beside the served demo museum, through the services (as production writes them): a damp
# room with a logger reading 20 °C and 85 % RH every hour for eleven days (the conservation
# tests' ``store_readings`` is this same ingest path; pytest fixtures do not reach the server's
# process), a watercolour there whose materials are read from its medium text, and then every
# place with sensors assessed. Paper's mould bands come from the rule base: RH above 75 % all of
# the time makes damp the worst agent.
MUSEUM_AT_RISK = """
import datetime as dt, json
from django.utils import timezone
from taihe.modules.catalog import services as catalog_services
from taihe.modules.conservation import material_rules, services
from taihe.modules.conservation.models import IngestBatch
from taihe.modules.conservation.risk.services import do_assess_all
from taihe.modules.directory.models import Person

registrar = Person.objects.get(username="registrar")
conservator = Person.objects.get(username="conservator")
place = catalog_services.do_save_location(registrar, catalog_services.LocationInput(
    code="{place_code}", name={{"en": "Damp basement room", "zh-Hans": "潮湿地下室"}},
    kind="room"))
sensor = services.do_create_sensor(conservator, services.SensorData(
    code="{place_code}-LOGGER", name="Basement logger", location_id=place.pk))
last = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
hours = 11 * 24
services.ingest([
    services.Incoming(sensor.code, quantity, last - dt.timedelta(hours=hours - 1 - i), value, i)
    for i in range(hours)
    for quantity, value in (("temperature", 20.0), ("relative_humidity", 85.0))],
    source=IngestBatch.Source.HTTP)
watercolour = catalog_services.do_create_object(registrar, catalog_services.ObjectInput(
    object_number="{number}", title={{"en": "{title}"}},
    medium={{"en": "Watercolour on paper"}}))
catalog_services.do_move_objects(registrar, [watercolour.pk], place.pk, reason="storage")
material_rules.classify_objects([watercolour.pk])
assessed = do_assess_all()
print(json.dumps({{"object_id": watercolour.pk, "place_id": place.pk, "assessed": assessed}}))
"""


@pytest.fixture
def browsers(browser: Any, server: str) -> Iterator[Browsers]:
    crowd = Browsers(browser, server)
    yield crowd
    crowd.close()
    assert crowd.problems == [], crowd.problems


@pytest.fixture
def watercolour(server: str, demo_env: dict[str, str]) -> dict[str, int]:
    """The assessed watercolour in the damp room: ``object_id``, ``place_id``, ``assessed``."""
    script = MUSEUM_AT_RISK.format(place_code=PLACE_CODE, number=OBJECT_NUMBER, title=TITLE)
    output = subprocess.run(
        [*TAIHE, "shell", "-c", script],
        env=demo_env,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    ).stdout
    built: dict[str, int] = json.loads(output.strip().splitlines()[-1])
    return built


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_conservator_reads_the_risk_and_makes_a_care_task_and_staff_sees_no_panel(
    server: str, browsers: Browsers, watercolour: dict[str, int]
) -> None:
    expect = _expect()
    object_id, place_id = watercolour["object_id"], watercolour["place_id"]
    assert watercolour["assessed"] >= 1
    object_url = f"{server}/catalog/objects/{object_id}/"

    # Given the conservator on the climate-risk overview
    conservator = browsers.page_for("conservator")
    conservator.goto(f"{server}/conservation/risk/")
    expect(conservator.locator("h1")).to_have_text("Climate risk")
    # Then the objects most at risk are listed, each with why
    rows = conservator.locator("section[aria-labelledby=objects-title] tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 1
    for index in range(rows.count()):
        assert rows.nth(index).locator("td").nth(2).inner_text().strip() != ""

    # When they show only the damp room
    conservator.select_option("select[name=place]", str(place_id))
    conservator.get_by_role("button", name="Show").click()
    conservator.wait_for_url(re.compile(rf"place={place_id}"))
    # Then the watercolour is there, at the top score, damp mould being why
    row = conservator.locator(f"tr[data-object='{object_id}']")
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_contain_text(f"{OBJECT_NUMBER} {TITLE}")
    expect(row.locator("td").nth(0)).to_contain_text(PLACE_CODE)
    expect(row.locator("td").nth(1)).to_have_text("1.00")
    assert "mould" in row.locator("td").nth(2).inner_text().lower()
    assert row.locator("td").nth(3).inner_text().strip() not in ("", "—")

    # When they open the object's catalogue page from the row
    row.get_by_role("link", name=OBJECT_NUMBER).click()
    conservator.wait_for_url(object_url)
    # Then the page has its "Climate risk" panel: the damp risk first, with numbers and sources
    panel = conservator.locator("[data-panel='conservation.climate_risk']")
    expect(panel).to_have_count(1)
    expect(panel.get_by_role("heading", name="Climate risk")).to_be_visible()
    expect(panel).to_contain_text(PLACE_CODE)
    risks = panel.locator("table.risk-agents tbody tr")
    assert risks.count() >= 2
    damp = panel.locator("tr[data-agent=damp_mould]")
    expect(damp).to_have_count(1)
    assert risks.first.get_attribute("data-agent") in ("damp_mould", "critical_rh")
    expect(damp.locator("td").nth(1)).to_have_text("1.00")
    why = damp.locator("td").nth(2).inner_text()
    assert re.search(r"\d", why), why
    assert damp.locator("td").nth(3).locator("cite").count() >= 1
    assert damp.locator("td").nth(3).inner_text().strip() != ""
    # and the strategies, most effective first, each with reasons and a one-click button
    strategies = panel.locator("ol.risk-strategies > li")
    assert strategies.count() >= 1
    removed = [
        float(text)
        for text in re.findall(
            r"removes ([\d.]+) of the risk", panel.locator("ol.risk-strategies").inner_text()
        )
    ]
    assert removed == sorted(removed, reverse=True), removed
    for index in range(strategies.count()):
        assert strategies.nth(index).locator("ul > li").count() >= 1
    task_strategy = strategies.filter(
        has=conservator.get_by_role("button", name="Create a care task")
    ).first
    expect(task_strategy).to_be_visible()
    strategy_title = task_strategy.locator("strong").first.inner_text().strip()
    assert strategy_title

    # When the conservator clicks the strategy's "Create a care task"
    task_strategy.get_by_role("button", name="Create a care task").click()
    # Then they are back on the object's page, told the task is made (no approval started)
    conservator.wait_for_url(object_url)
    expect(conservator.locator("main")).to_contain_text(
        f"Care task created: {strategy_title}: {TITLE}"
    )
    expect(conservator.locator("main")).not_to_contain_text("Approval request")

    # And the care tasks page lists the open task for the watercolour in the damp room
    conservator.goto(f"{server}/conservation/risk/tasks/")
    task = conservator.locator("tr[data-task]", has_text=f"{strategy_title}: {TITLE}")
    expect(task).to_have_count(1)
    expect(task.locator("td").nth(0)).to_have_text(OBJECT_NUMBER)
    expect(task.locator("td").nth(1)).to_contain_text(PLACE_CODE)
    expect(task.locator("select[name=status]")).to_have_value("open")
    expect(task.locator("th")).not_to_contain_text("Approval request")

    # Given a staff member without conservation.risk.view on the same object page
    staff = browsers.page_for("staff")
    staff.goto(object_url)
    # Then the object is shown, without the "Climate risk" panel
    expect(staff.locator("main")).to_contain_text(OBJECT_NUMBER)
    expect(staff.locator("main")).to_contain_text("Watercolour on paper")
    expect(staff.locator("[data-panel='conservation.climate_risk']")).to_have_count(0)
    expect(staff.locator("main")).not_to_contain_text("Climate risk")
