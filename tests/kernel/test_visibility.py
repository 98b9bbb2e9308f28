"""Visibility scopes: everyone, departments (with their subtree), roles, groups, people."""

from __future__ import annotations

import pytest

from taihe.kernel.authz import Visibility, set_visibility, visibility_of, visible_filter
from taihe.modules.directory.models import Group, Role
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pieces(museum):
    """Five groups stand in for content objects of any model."""
    return {name: Group.objects.create(name=name) for name in
            ("public", "conservation", "curators", "committee", "personal")}


def test_each_audience_kind_admits_exactly_its_people(museum, pieces):
    lab_person = PersonFactory(department=museum["lab"])
    guard = PersonFactory(department=museum["security"], roles=["curator"])
    committee_member = PersonFactory(department=museum["security"])
    committee = Group.objects.create(name="acquisitions committee")
    committee.members.add(committee_member)
    loner = PersonFactory(department=None)
    set_visibility(pieces["public"], Visibility.public())
    set_visibility(pieces["conservation"],
                   Visibility(department_ids=frozenset({museum["conservation"].pk})))
    set_visibility(pieces["curators"],
                   Visibility(role_ids=frozenset({Role.objects.get(code="curator").pk})))
    set_visibility(pieces["committee"], Visibility(group_ids=frozenset({committee.pk})))
    set_visibility(pieces["personal"], Visibility(person_ids=frozenset({loner.pk})))
    everything = Group.objects.filter(pk__in=[p.pk for p in pieces.values()])

    def names(person):
        return sorted(visible_filter(person, everything).values_list("name", flat=True))

    # A department audience reaches its sub-departments (the lab is inside Conservation).
    assert names(lab_person) == ["conservation", "public"]
    assert names(guard) == ["curators", "public"]
    assert names(committee_member) == ["committee", "public"]
    assert names(loner) == ["personal", "public"]


def test_visibility_round_trips_and_replaces(museum, pieces):
    target = pieces["public"]
    chosen = Visibility(department_ids=frozenset({museum["lab"].pk}),
                        person_ids=frozenset({7, 9}))
    set_visibility(target, chosen)
    assert visibility_of(target) == chosen
    set_visibility(target, Visibility.public())
    assert visibility_of(target) == Visibility.public()


def test_content_without_audience_is_seen_by_nobody_unless_also_admits(museum, pieces):
    author = PersonFactory(department=museum["lab"])
    rows = Group.objects.filter(pk=pieces["personal"].pk)
    assert list(visible_filter(author, rows)) == []
    from django.db.models import Q

    assert list(visible_filter(author, rows, also=Q(name="personal"))) == [pieces["personal"]]


def test_admits_matches_the_query(museum, pieces):
    person = PersonFactory(department=museum["lab"])
    from taihe.kernel.authz import actor_for

    visibility = Visibility(department_ids=frozenset({museum["root"].pk}))
    set_visibility(pieces["public"], visibility)
    assert visibility.admits(actor_for(person))
    assert list(visible_filter(person, Group.objects.all())) == [pieces["public"]]
