"""The demo museum's monitoring: sensors where the catalog's demo places are, readings that
match the generator, rollups in step, the year's incidents raising alerts, and loading twice
changing nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from taihe.modules.catalog import demo as catalog_demo
from taihe.modules.conservation import demo, store
from taihe.modules.conservation.models import (
    Alert,
    AlertRule,
    HourlyRollup,
    PlaceEnvironment,
    Reading,
    Sensor,
)
from taihe.modules.directory import demo as directory_demo
from taihe.modules.notifications.models import Notification

pytestmark = pytest.mark.django_db

# The lamp is left on from the first Friday after 35 % of the range until the Tuesday after:
# ten days from Sunday 8 March 2026 hold it (Friday 13th to Tuesday 17th).
DAYS = 10
END = dt.datetime(2026, 3, 18, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def museum_demo() -> None:
    directory_demo.load(lambda line: None)
    catalog_demo.load_collection(lambda line: None, objects=20, images=0)


def test_the_demo_places_sensors_fills_a_period_raises_the_lamp_alert_once(
        museum_demo: None) -> None:
    summary = demo.load_monitoring(lambda line: None, days=DAYS, now=END)
    specs = demo.demo_sensors()
    assert summary["sensors"] == len(specs) == Sensor.objects.count() == 37
    # every sensor hangs where its demo place is, and has readings up to the end
    for spec in specs:
        sensor = Sensor.objects.get(code=spec.code)
        assert sensor.location is not None and sensor.location.code == spec.place
        assert sensor.last_reading_at is not None
        assert END - sensor.last_reading_at <= dt.timedelta(minutes=5)
    # rows stored equal what the summary says, and the rollups count every one of them
    assert Reading.objects.count() == summary["readings"] == store.reading_count()
    assert sum(HourlyRollup.objects.values_list("count", flat=True)) == summary["readings"]
    # places carry specifications, and rules exist
    assert PlaceEnvironment.objects.filter(specification__code="TH-PAPER-CASE").count() == 3
    assert AlertRule.objects.count() == 5
    # the lamp left on in a painting case raised an illuminance alert; nobody was paged
    lamp = Alert.objects.filter(sensor__code="QD-2-G3-C02", kind="band")
    assert lamp.exists()
    assert "Illuminance" in lamp.first().summary
    assert not Notification.objects.exists()

    # loading again changes nothing
    before = (Sensor.objects.count(), Reading.objects.count(), Alert.objects.count())
    assert demo.load_monitoring(lambda line: None, days=DAYS, now=END)["created"] == 0
    assert (Sensor.objects.count(), Reading.objects.count(), Alert.objects.count()) == before
