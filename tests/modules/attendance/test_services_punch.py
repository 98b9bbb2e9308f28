"""Punching: verification by geofence, network or device, ``do_punch`` and the time-clock
CSV import. The clock is frozen (FROZEN_NOW: Friday 20 November 2026, 20:00 in Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from taihe.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from taihe.kernel.testing.events import captured_events
from taihe.modules.attendance import services
from taihe.modules.attendance.models import (
    DayResult,
    Device,
    Group,
    Punch,
    PunchImport,
    Site,
)
from tests.factories import PersonFactory
from tests.modules.attendance.conftest import local

GATE_LATITUDE = 39.912560
GATE_LONGITUDE = 116.397130
METRES_PER_DEGREE = 111_195.08
"""Metres per degree of latitude on the mean Earth radius the service uses."""


def north_of_gate(metres: float) -> float:
    return GATE_LATITUDE + metres / METRES_PER_DEGREE


def verify(group: Group, person: Any, **proof: Any) -> services.Verification:
    given: dict[str, Any] = {"latitude": None, "longitude": None, "accuracy": None,
                             "ip": None, "device_key": None, **proof}
    return services.verify_punch(group, person.pk, **given)


# --- verify_punch -------------------------------------------------------------------------


@pytest.mark.parametrize(("metres", "accuracy", "distance"), [
    pytest.param(0, None, 0, id="at the centre"),
    pytest.param(100, 20, 100, id="100 m in, 20 m accuracy"),
    pytest.param(270, 25, 270, id="just inside with its accuracy"),
])
def test_inside_the_geofence(member: Any, office: Group, site: Site, metres: float,
                             accuracy: float | None, distance: int) -> None:
    proof = verify(office, member, latitude=north_of_gate(metres), longitude=GATE_LONGITUDE,
                   accuracy=accuracy)
    assert (proof.method, proof.site, proof.distance, proof.device) == \
        ("geofence", site, distance, None)


def test_outside_the_geofence_names_the_distance(member: Any, office: Group,
                                                 site: Site) -> None:
    with pytest.raises(ValidationFailed) as raised:
        verify(office, member, latitude=north_of_gate(500), longitude=GATE_LONGITUDE,
               accuracy=10)
    message = "You are 500 m from Meridian Gate; punches count within 300 m."
    assert (raised.value.code, str(raised.value.detail)) == ("outside_site", message)
    assert raised.value.fields == {"location": message}


@pytest.mark.parametrize(("metres", "accuracy"), [
    pytest.param(100, 600, id="fix vaguer than 500 m"),
    pytest.param(100, 250, id="centre inside, circle of uncertainty reaches outside"),
])
def test_poor_accuracy_asks_for_a_better_fix(member: Any, office: Group, site: Site,
                                             metres: float, accuracy: float) -> None:
    with pytest.raises(ValidationFailed) as raised:
        verify(office, member, latitude=north_of_gate(metres), longitude=GATE_LONGITUDE,
               accuracy=accuracy)
    assert raised.value.code == "outside_site"
    assert raised.value.fields == {"location": (
        f"Your position is only known to within {accuracy} m; step outside or turn on "
        "precise location and try again.")}


@pytest.mark.parametrize(("ip", "method"), [
    pytest.param("10.20.3.4", "network", id="inside the museum range"),
    pytest.param("10.20.255.255", "network", id="last address of the range"),
    pytest.param("10.21.0.1", None, id="next range"),
    pytest.param("2001:db8::1", None, id="IPv6 elsewhere"),
    pytest.param("not an address", None, id="garbage"),
    pytest.param("", None, id="none"),
])
def test_network_ranges(member: Any, office: Group, site: Site, ip: str,
                        method: str | None) -> None:
    if method is None:
        with pytest.raises(ValidationFailed) as raised:
            verify(office, member, ip=ip)
        assert raised.value.code == "unverified"
        return
    proof = verify(office, member, ip=ip)
    assert (proof.method, proof.site) == (method, site)


def test_a_bad_range_in_a_site_is_skipped(member: Any, office: Group, site: Site) -> None:
    Site.objects.filter(pk=site.pk).update(networks=["not a range", "192.168.8.0/24"])
    assert verify(office, member, ip="192.168.8.20").method == "network"


def test_network_not_allowed_for_the_group(member: Any, office: Group, site: Site) -> None:
    Group.objects.filter(pk=office.pk).update(allow_network=False)
    office.refresh_from_db()
    with pytest.raises(ValidationFailed):
        verify(office, member, ip="10.20.3.4")


def test_registered_device(member: Any, hr_person: Any, office: Group, site: Site,
                           clock: Any) -> None:
    # Given the member's registered phone
    device, key = services.do_register_device(member, "  My phone ", ip="10.20.0.5")
    assert (device.name, device.person_id, device.revoked_at) == ("My phone", member.pk, None)
    assert device.key_hash == services.hash_device_key(key) != key
    # Then its key proves a punch, but not someone else's
    proof = verify(office, member, device_key=key)
    assert (proof.method, proof.device) == ("device", device)
    with pytest.raises(ValidationFailed):
        verify(office, hr_person, device_key=key)
    with pytest.raises(ValidationFailed):
        verify(office, member, device_key=key + "x")
    # When the phone is revoked by its owner
    services.do_revoke_device(member, device.pk)
    # Then it proves nothing any more, and cannot be revoked twice
    with pytest.raises(ValidationFailed):
        verify(office, member, device_key=key)
    with pytest.raises(NotFound):
        services.do_revoke_device(member, device.pk)


def test_only_the_owner_or_hr_revokes_a_device(member: Any, hr_person: Any, site: Any,
                                               clock: Any) -> None:
    device, _key = services.do_register_device(member, "Phone", ip="10.20.0.5")
    colleague = PersonFactory(username="colleague", roles=["staff"])
    with pytest.raises(NotFound):
        services.do_revoke_device(colleague, device.pk)
    assert Device.objects.get(pk=device.pk).revoked_at is None
    services.do_revoke_device(hr_person, device.pk)
    assert Device.objects.get(pk=device.pk).revoked_at is not None


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_device_name_is_required(member: Any, name: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        services.do_register_device(member, name, ip="10.20.0.5")
    assert set(raised.value.fields) == {"name"}
    assert Device.objects.count() == 0


def test_device_registration_needs_the_punch_permission(outsider: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.do_register_device(outsider, "Phone", ip="10.20.0.5")
    assert Device.objects.count() == 0


def test_unverified_punches_when_the_group_accepts_them(member: Any, office: Group,
                                                        site: Site) -> None:
    Group.objects.filter(pk=office.pk).update(allow_unverified=True)
    office.refresh_from_db()
    proof = verify(office, member, latitude=north_of_gate(800), longitude=GATE_LONGITUDE,
                   accuracy=10)
    assert (proof.method, proof.site, proof.distance) == ("unverified", None, 800)
    assert verify(office, member).method == "unverified"


def test_nothing_to_verify_with(member: Any, office: Group, site: Site) -> None:
    with pytest.raises(ValidationFailed) as raised:
        verify(office, member)
    assert raised.value.code == "unverified"
    assert raised.value.fields == {"location": (
        "This punch cannot be verified: allow location access, connect to the museum "
        "network or use a registered device.")}


def test_a_group_without_sites_uses_every_active_site(member: Any, office_calendar: Any,
                                                      day_shift: Any, site: Site) -> None:
    # Given a group with no sites of its own, the gate and a closed storehouse
    group = Group.objects.create(name="Roaming", calendar=office_calendar, shift=day_shift)
    Site.objects.create(name="Old storehouse", latitude=Decimal("40.000000"),
                        longitude=Decimal("116.000000"), radius_m=300, is_active=False,
                        networks=["172.16.0.0/12"])
    # Then the active gate verifies, the inactive storehouse does not
    assert verify(group, member, latitude=north_of_gate(50), longitude=GATE_LONGITUDE,
                  accuracy=5).site == site
    with pytest.raises(ValidationFailed):
        verify(group, member, latitude=40.0, longitude=116.0, accuracy=5)
    with pytest.raises(ValidationFailed):
        verify(group, member, ip="172.16.0.9")


def test_a_group_whose_sites_are_closed_does_not_borrow_other_sites(
        member: Any, office: Group, site: Site) -> None:
    # Given the office group's only site closed, and another active site elsewhere
    Site.objects.filter(pk=site.pk).update(is_active=False)
    Site.objects.create(name="Research centre", latitude=Decimal("39.950000"),
                        longitude=Decimal("116.300000"), radius_m=300,
                        networks=["10.30.0.0/16"])
    # Then the other site's place and network prove nothing for the office group
    with pytest.raises(ValidationFailed):
        verify(office, member, latitude=39.95, longitude=116.3, accuracy=5)
    with pytest.raises(ValidationFailed):
        verify(office, member, ip="10.30.0.9")


# --- do_punch ---------------------------------------------------------------------------------


def test_punch_from_inside_the_geofence(member: Any, office: Group, site: Site, join: Any,
                                        clock: Any, run_commit_hooks: Any) -> None:
    # Given the member at 08:55 on Friday 20 November
    join(member, office)
    clock(local(date(2026, 11, 20), 8, 55))
    # When they punch from 100 m inside the gate's circle
    with captured_events() as events:
        punch = services.do_punch(member, latitude=north_of_gate(100),
                                  longitude=GATE_LONGITUDE, accuracy=12.4, ip="10.20.0.5")
    # Then the punch keeps how it was proven, and today is judged at once
    stored = Punch.objects.get()
    assert stored == punch
    assert (stored.person_id, stored.at, stored.source, stored.verification, stored.site_id,
            stored.distance_m, stored.accuracy_m, stored.ip_address) == (
        member.pk, local(date(2026, 11, 20), 8, 55), "web", "geofence", site.pk, 100, 12,
        "10.20.0.5")
    assert stored.latitude == Decimal(str(round(north_of_gate(100), 6)))
    today = DayResult.objects.get(person=member, date=date(2026, 11, 20))
    assert (today.status, today.check_in) == ("in_progress",
                                              local(date(2026, 11, 20), 8, 55))
    assert DayResult.objects.filter(person=member, date=date(2026, 11, 19)).exists()
    assert [(event.name, event.payload["person_id"], event.payload["verification"])
            for event in events] == [("attendance.punch.recorded.v1", member.pk, "geofence")]


def test_punch_from_a_registered_device_marks_it_used(member: Any, office: Group, site: Site,
                                                      join: Any, clock: Any) -> None:
    join(member, office)
    device, key = services.do_register_device(member, "Phone", ip="10.20.0.5")
    punch = services.do_punch(member, device_key=key)
    assert (punch.verification, punch.device_id) == ("device", device.pk)
    assert Device.objects.get(pk=device.pk).last_used_at is not None


@pytest.mark.parametrize(("proof", "field"), [
    pytest.param({"latitude": 91.0, "longitude": 116.0}, "latitude", id="latitude over 90"),
    pytest.param({"latitude": float("nan"), "longitude": 116.0}, "latitude",
                 id="latitude not a number"),
    pytest.param({"latitude": 39.9, "longitude": -181.0}, "longitude",
                 id="longitude under -180"),
    pytest.param({"latitude": 39.9, "longitude": float("inf")}, "longitude",
                 id="longitude infinite"),
    pytest.param({"latitude": 39.9, "longitude": 116.4, "accuracy": -1.0}, "accuracy",
                 id="negative accuracy"),
    pytest.param({"latitude": 39.9}, "location", id="latitude alone"),
    pytest.param({"longitude": 116.4}, "location", id="longitude alone"),
])
def test_punch_coordinates_are_validated(member: Any, office: Group, site: Site, join: Any,
                                         clock: Any, proof: dict[str, float],
                                         field: str) -> None:
    join(member, office)
    with pytest.raises(ValidationFailed) as raised:
        services.do_punch(member, ip="10.20.0.5", **proof)
    assert list(raised.value.fields) == [field]
    assert Punch.objects.count() == 0


def test_punch_outside_stores_nothing(member: Any, office: Group, site: Site, join: Any,
                                      clock: Any) -> None:
    join(member, office)
    with captured_events() as events, pytest.raises(ValidationFailed):
        services.do_punch(member, latitude=north_of_gate(1000), longitude=GATE_LONGITUDE,
                          accuracy=10)
    assert (Punch.objects.count(), DayResult.objects.count(), events) == (0, 0, [])


def test_punch_without_a_group_is_a_conflict(member: Any, site: Site, clock: Any) -> None:
    with pytest.raises(Conflict) as raised:
        services.do_punch(member, ip="10.20.0.5")
    assert raised.value.code == "no_group"
    assert Punch.objects.count() == 0


def test_punch_needs_the_permission(outsider: Any, office: Group, join: Any,
                                    clock: Any) -> None:
    join(outsider, office)
    with pytest.raises(PermissionDenied):
        services.do_punch(outsider, ip="10.20.0.5")
    assert Punch.objects.count() == 0


# --- Time-clock import ---------------------------------------------------------------------------


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    text = "\n".join(lines) + "\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def test_import_stores_punches_and_judges_their_days(hr_person: Any, member: Any,
                                                     office: Group, join: Any,
                                                     clock: Any) -> None:
    # Given a time-clock export of Monday 2 November for the member
    join(member, office)
    content = csv_bytes("person,time,terminal", "member,2026-11-02 08:55,East gate",
                        "member,2026/11/02 17:35:10,East gate")
    # When HR imports it
    with captured_events() as events:
        outcome = services.do_import_punches(hr_person, "gate.csv", content,
                                             source_system="ZKTeco")
    # Then both punches are stored as time-clock punches of one batch, and Monday is judged
    assert (outcome.added, outcome.duplicates) == (2, 0)
    batch = PunchImport.objects.get()
    assert (batch.file_name, batch.source_system, batch.imported_by_id, batch.rows,
            batch.added, batch.duplicates) == ("gate.csv", "ZKTeco", hr_person.pk, 2, 2, 0)
    assert list(Punch.objects.values_list("at", "source", "verification", "terminal",
                                          "batch_id")) == [
        (local(date(2026, 11, 2), 8, 55), "import", "time_clock", "East gate", batch.pk),
        (datetime(2026, 11, 2, 9, 35, 10, tzinfo=UTC), "import", "time_clock", "East gate",
         batch.pk)]
    assert DayResult.objects.get(person=member, date=date(2026, 11, 2)).status == "on_time"
    assert [(event.name, event.payload["added"], event.payload["duplicates"])
            for event in events] == [("attendance.punches.imported.v1", 2, 0)]


def test_import_skips_duplicates(hr_person: Any, member: Any, office: Group, join: Any,
                                 clock: Any) -> None:
    join(member, office)
    services.do_import_punches(hr_person, "monday.csv", csv_bytes(
        "person,time", "member,2026-11-02 08:55"))
    outcome = services.do_import_punches(hr_person, "week.csv", csv_bytes(
        "person,time", "member,2026-11-02 08:55", "member,2026-11-02 17:35",
        "member,2026-11-02 17:35"))
    assert (outcome.added, outcome.duplicates) == (1, 2)
    assert Punch.objects.count() == 2


def test_import_reads_what_excel_in_a_chinese_locale_saves(hr_person: Any, member: Any,
                                                           clock: Any) -> None:
    # Given a time clock export saved by Excel as GB18030, with a terminal named in Chinese
    content = "person,time,terminal\nmember,2026-11-02 08:55,午门东侧\n".encode("gb18030")
    # When it is imported, then the punch and its terminal read right
    assert services.do_import_punches(hr_person, "gate.csv", content).added == 1
    assert Punch.objects.get().terminal == "午门东侧"


def test_import_reads_a_bom_capitalised_headers_and_offsets(hr_person: Any, member: Any,
                                                            clock: Any) -> None:
    content = csv_bytes(" Person , TIME ", "member,2026-11-02T00:55:00+00:00",
                        "member,2026-11-02T17:35", bom=True)
    outcome = services.do_import_punches(hr_person, "gate.csv", content)
    assert outcome.added == 2
    assert list(Punch.objects.values_list("at", flat=True)) == [
        local(date(2026, 11, 2), 8, 55), local(date(2026, 11, 2), 17, 35)]


def test_import_reports_every_bad_row_and_stores_nothing(hr_person: Any, member: Any,
                                                         clock: Any) -> None:
    # Given a file with a good row and one problem of each kind
    content = csv_bytes(
        "person,time",
        "member,2026-11-02 08:55",
        ",2026-11-02 09:00",
        "member,yesterday",
        "nobody,2026-11-02 09:00",
        "member,2026-11-21 09:00",
        "ghost,not a time")
    # When HR imports it
    with pytest.raises(ValidationFailed) as raised:
        services.do_import_punches(hr_person, "bad.csv", content)
    # Then every problem is named by row and column, and nothing was stored
    assert str(raised.value.detail) == "Nothing was imported: 6 problems."
    assert raised.value.fields == {
        "row 3, person": "Empty.",
        "row 4, time": "Not a date and time such as 2026-11-02 08:57.",
        "row 5, person": "No person with the user name nobody.",
        "row 6, time": "In the future.",
        "row 7, person": "No person with the user name ghost.",
        "row 7, time": "Not a date and time such as 2026-11-02 08:57.",
    }
    assert (Punch.objects.count(), PunchImport.objects.count(), DayResult.objects.count()) \
        == (0, 0, 0)


@pytest.mark.parametrize(("content", "fields"), [
    pytest.param(b"who,when\nmember,2026-11-02 08:55\n",
                 {"file": "Missing columns: person, time"}, id="wrong columns"),
    pytest.param(b"person,time\n", {"file": "The file has no rows."}, id="no rows"),
    pytest.param(b"person,time\nmember,\x81\x20\xff\n",
                 {"file": "Save the file as UTF-8 CSV."}, id="not text"),
])
def test_import_refuses_unreadable_files(hr_person: Any, member: Any, clock: Any,
                                         content: bytes, fields: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed) as raised:
        services.do_import_punches(hr_person, "x.csv", content)
    assert raised.value.fields == fields
    assert PunchImport.objects.count() == 0


def test_import_needs_the_rules_permission(member: Any, clock: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.do_import_punches(member, "x.csv", csv_bytes("person,time",
                                                              "member,2026-11-02 08:55"))
    assert Punch.objects.count() == 0


def test_import_of_someone_outside_groups_stores_punches_only(hr_person: Any, member: Any,
                                                              clock: Any) -> None:
    outcome = services.do_import_punches(hr_person, "x.csv", csv_bytes(
        "person,time", "member,2026-11-02 08:55"))
    assert (outcome.added, Punch.objects.count(), DayResult.objects.count()) == (1, 1, 0)


def test_a_device_is_registered_only_from_the_museum_network(member: Any, office: Group,
                                                             join: Any) -> None:
    # Given the member at home (an address outside every site's ranges)
    join(member, office)
    # When they register their phone, then it is refused and nothing is stored
    with pytest.raises(ValidationFailed) as raised:
        services.do_register_device(member, "Phone", ip="203.0.113.7")
    assert raised.value.code == "outside_network"
    assert "museum's network" in raised.value.fields["name"]
    assert Device.objects.count() == 0
