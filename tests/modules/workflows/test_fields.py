"""Form fields: checking a form, cleaning a submission, showing the values (fake lookups)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from taihe.modules.workflows import fields


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


class FakeLookups:
    people = {1: "Ada", 2: "Bo"}
    departments = {10: "Lab"}
    locations = {20: "Store A"}
    objects = {30: "Vase"}
    attachments = {40: "quote.pdf", 41: "photo.jpg"}
    images = {41}

    def __init__(self) -> None:
        self.asked: list[tuple[str, list[int]]] = []

    def people_exist(self, ids: list[int]) -> set[int]:
        self.asked.append(("people", ids))
        return set(ids) & set(self.people)

    def departments_exist(self, ids: list[int]) -> set[int]:
        return set(ids) & set(self.departments)

    def locations_visible(self, ids: list[int]) -> set[int]:
        return set(ids) & set(self.locations)

    def objects_visible(self, ids: list[int]) -> set[int]:
        return set(ids) & set(self.objects)

    def attachments_usable(self, ids: list[int], *, images: bool) -> set[int]:
        return set(ids) & (self.images if images else set(self.attachments))

    def working_days(self, start: dt.date, end: dt.date) -> tuple[Decimal, str]:
        days = sum(1 for n in range((end - start).days + 1)
                   if (start + dt.timedelta(days=n)).weekday() < 5)
        return Decimal(days), "Monday to Friday"

    def name_of(self, kind: str, value: int) -> str:
        names = {"person": self.people, "department": self.departments,
                 "location": self.locations, "object": self.objects,
                 "attachment": self.attachments}[kind]
        return names.get(value, f"#{value}")


def field(name: str, kind: str, **options: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "label": {"zh-hans": f"{name}中", "en": name.title()},
            **options}


def clean(form: list[dict[str, Any]], data: Any, *,
          department: int | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    return fields.clean_form(form, data, FakeLookups(), applicant_department=department,
                             within=lambda a, b: a == b)


CHOICES = [{"value": "a", "label": {"zh-hans": "甲", "en": "Alpha"}},
           {"value": "b", "label": {"zh-hans": "乙", "en": "Beta"}},
           {"value": "c", "label": {"en": "Gamma"}}]


# --- one field at a time ----------------------------------------------------------------------


@pytest.mark.parametrize(("definition", "value", "stored"), [
    (field("f", "text"), "  hello ", "hello"),
    (field("f", "text", max_length=5), "hello", "hello"),
    (field("f", "text"), 42, "42"),
    (field("f", "textarea"), "x" * 5000, "x" * 5000),
    (field("f", "number"), "1,234.5", 1234.5),
    (field("f", "number"), 3, 3.0),
    (field("f", "number", decimals=0), "7.0", 7),
    (field("f", "number", min=1, max=10), "10", 10.0),
    (field("f", "money"), "12.5", "12.50"),
    (field("f", "money"), 3, "3.00"),
    (field("f", "date"), "2026-05-01", "2026-05-01"),
    (field("f", "date"), " 2026-05-01 ", "2026-05-01"),
    (field("f", "daterange"), {"start": "2026-03-02", "end": "2026-03-08"},
     {"start": "2026-03-02", "end": "2026-03-08", "days": "5", "calendar": "Monday to Friday"}),
    (field("f", "daterange"), {"start": "2026-03-02", "end": "2026-03-02"},
     {"start": "2026-03-02", "end": "2026-03-02", "days": "1", "calendar": "Monday to Friday"}),
    (field("f", "select", choices=CHOICES), "b", "b"),
    (field("f", "multiselect", choices=CHOICES), ["c", "a", "a"], ["a", "c"]),
    (field("f", "multiselect", choices=CHOICES), "b", ["b"]),
    (field("f", "person"), "2", 2),
    (field("f", "person"), [1], 1),
    (field("f", "person", multiple=True), [2, "1", 2], [2, 1]),
    (field("f", "department"), 10, 10),
    (field("f", "location"), 20, 20),
    (field("f", "object", multiple=True), 30, [30]),
    (field("f", "attachment"), 40, [40]),
    (field("f", "attachment"), [40, 41], [40, 41]),
    (field("f", "image"), [41], [41]),
])
def test_good_values_are_cleaned(definition: dict[str, Any], value: Any, stored: Any) -> None:
    values, errors = clean([definition], {"f": value})
    assert (values, errors) == ({"f": stored}, {})
    assert type(values["f"]) is type(stored)


@pytest.mark.parametrize(("definition", "value", "message"), [
    (field("f", "text", max_length=5), "hello!", "Use at most 5 characters (this has 6)."),
    (field("f", "text"), "x" * 201, "Use at most 200 characters (this has 201)."),
    (field("f", "textarea"), "x" * 5001, "Use at most 5000 characters (this has 5001)."),
    (field("f", "text"), ["a"], "Enter text."),
    (field("f", "text"), {"a": 1}, "Enter text."),
    (field("f", "number"), "twelve", "Enter a number."),
    (field("f", "number"), True, "Enter a number."),
    (field("f", "number"), "NaN", "Enter a number."),
    (field("f", "number"), "Infinity", "Enter a number."),
    (field("f", "number"), [1], "Enter a number."),
    (field("f", "number"), "1e30", "Enter a smaller number."),
    (field("f", "number", min=1), "0.5", "Enter 1 or more."),
    (field("f", "number", max=10), "10.01", "Enter 10 or less."),
    (field("f", "number"), "1.234", "Use at most 2 decimal places."),
    (field("f", "number", decimals=0), "1.5", "Use at most 0 decimal places."),
    (field("f", "money"), "1.005", "Money has at most two decimal places."),
    (field("f", "money"), "1e40", "Enter a smaller number."),
    (field("f", "money", min=0), "-1", "Enter 0 or more."),
    (field("f", "date"), "01/05/2026", "Enter a date as YYYY-MM-DD."),
    (field("f", "date"), "2026-02-30", "Enter a date as YYYY-MM-DD."),
    (field("f", "date"), "20260501", "Enter a date as YYYY-MM-DD."),
    (field("f", "date"), "2026-W18-5", "Enter a date as YYYY-MM-DD."),
    (field("f", "date"), 20260501, "Enter a date as YYYY-MM-DD."),
    (field("f", "daterange"), "2026-03-02", "Enter a start and an end date."),
    (field("f", "daterange"), {"start": "2026-03-02"}, "Enter a date as YYYY-MM-DD."),
    (field("f", "daterange"), {"start": "2026-03-05", "end": "2026-03-02"},
     "The end date is before the start date."),
    (field("f", "select", choices=CHOICES), "z", "z is not one of the choices."),
    (field("f", "select", choices=CHOICES), ["a"], "['a'] is not one of the choices."),
    (field("f", "select", choices=CHOICES), {"v": 1}, "{'v': 1} is not one of the choices."),
    (field("f", "multiselect", choices=CHOICES), ["a", "y", "z"],
     "y, z is not one of the choices."),
    (field("f", "person"), 9, "No active person with this id (9)"),
    (field("f", "person", multiple=True), [1, 9, 8], "No active person with this id (9, 8)"),
    (field("f", "person"), [1, 2], "Choose only one."),
    (field("f", "person"), "Ada", "Choose from the list."),
    (field("f", "person"), {"id": 1}, "Choose from the list."),
    (field("f", "department"), 11, "No department with this id (11)"),
    (field("f", "location"), 21, "No location with this id that you may see (21)"),
    (field("f", "object"), 31, "No object with this id that you may see (31)"),
    (field("f", "attachment"), [40, 99], "Upload the file again (attachment not found) (99)"),
    (field("f", "attachment", max_files=1), [40, 41], "Attach at most 1 files."),
    (field("f", "image"), [40], "Upload the image again (not found or not an image) (40)"),
])
def test_bad_values_are_refused_with_a_message(definition: dict[str, Any], value: Any,
                                               message: str) -> None:
    assert clean([definition], {"f": value}) == ({}, {"f": message})


@pytest.mark.parametrize("value", [None, "", "   ", [], {}])
def test_required_fields_must_be_filled_in(value: Any) -> None:
    form = [field("f", "text", required=True), field("g", "multiselect", choices=CHOICES,
                                                     required=True)]
    assert clean(form, {"f": value, "g": value}) == ({}, {"f": "This field is required.",
                                                          "g": "This field is required."})


def test_empty_optional_fields_are_left_out() -> None:
    form = [field("f", "text"), field("n", "number"), field("p", "person")]
    assert clean(form, {"f": "", "n": None, "p": []}) == ({}, {})


def test_unknown_keys_and_bad_data_are_ignored() -> None:
    assert clean([field("f", "text")], {"f": "x", "evil": 1}) == ({"f": "x"}, {})
    assert clean([field("f", "text", required=True)], ["not", "a", "dict"]) == (
        {}, {"f": "This field is required."})


# --- visibility and computed fields ---------------------------------------------------------


def _trip_form() -> list[dict[str, Any]]:
    return [
        field("kind", "select", choices=CHOICES, required=True),
        field("hotel", "money", required=True,
              visible_if={"all": [{"field": "kind", "op": "eq", "value": "a"}]}),
        field("stars", "number", required=True,
              visible_if={"all": [{"field": "hotel", "op": "gt", "value": 100}]}),
    ]


def test_visible_field_is_cleaned_and_required() -> None:
    # stars depends on a hotel price that is missing, so it stays hidden
    assert clean(_trip_form(), {"kind": "a", "stars": "4"}) == (
        {"kind": "a"}, {"hotel": "This field is required."})
    assert clean(_trip_form(), {"kind": "a", "hotel": "150", "stars": "4"}) == (
        {"kind": "a", "hotel": "150.00", "stars": 4.0}, {})


def test_hidden_field_drops_its_value_and_skips_required() -> None:
    assert clean(_trip_form(), {"kind": "b", "hotel": "90"}) == ({"kind": "b"}, {})


def test_a_field_shown_by_a_hidden_field_stays_hidden() -> None:
    # hotel is hidden (kind is b), so whatever was sent for it cannot show stars
    assert clean(_trip_form(), {"kind": "b", "hotel": "500"}) == ({"kind": "b"}, {})


def test_visibility_by_applicant_department() -> None:
    form = [field("lab_code", "text", required=True, visible_if={"all": [
        {"field": "$applicant.department", "op": "within", "value": 10}]})]
    assert clean(form, {}, department=10) == ({}, {"lab_code": "This field is required."})
    assert clean(form, {}, department=11) == ({}, {})


def test_computed_fields_are_worked_out_and_submitted_values_ignored() -> None:
    form = [field("nights", "number", decimals=0), field("rate", "money"),
            field("total", "computed", formula="nights * rate * 1.06", decimals=1),
            field("per_night", "computed", formula="total / nights")]
    assert clean(form, {"nights": 3, "rate": "99.99", "total": 1}) == (
        {"nights": 3, "rate": "99.99", "total": 318.0, "per_night": 106.0}, {})


def test_computed_rounds_half_up() -> None:
    form = [field("a", "number"), field("half", "computed", formula="a / 2", decimals=0)]
    assert clean(form, {"a": "5"}) == ({"a": 5.0, "half": 3.0}, {})


def test_computed_field_reports_formula_errors() -> None:
    form = [field("a", "number"), field("b", "number"),
            field("ratio", "computed", formula="a / b")]
    assert clean(form, {"a": 1}) == ({"a": 1.0}, {"ratio": "The formula divides by zero."})


def test_computed_field_too_large_for_its_decimals() -> None:
    form = [field("a", "number"), field("big", "computed", formula="a * 1000000000000000000"
                                                                   " * 1000000000000")]
    assert clean(form, {"a": "99999999"}) == (
        {"a": 99999999.0}, {"big": "The formula's result is too large."})


def test_hidden_computed_field_is_not_worked_out() -> None:
    form = [field("a", "number"), field("c", "computed", formula="a * 2", visible_if={
        "all": [{"field": "a", "op": "gt", "value": 10}]})]
    assert clean(form, {"a": 5}) == ({"a": 5.0}, {})
    assert clean(form, {"a": 50}) == ({"a": 50.0, "c": 100.0}, {})


# --- tables -----------------------------------------------------------------------------------


def _expense_form(**options: Any) -> list[dict[str, Any]]:
    return [
        field("items", "table", columns=[
            field("what", "text", required=True),
            field("amount", "money", required=True),
            field("qty", "number", decimals=0),
            field("line", "computed", formula="amount * qty"),
        ], totals=["amount", "line"], **options),
        field("total", "computed", formula="sum(items.amount) * 1.13"),
    ]


def test_table_rows_are_cleaned_and_summed() -> None:
    values, errors = clean(_expense_form(), {"items": [
        {"what": "Paper", "amount": "10", "qty": 2},
        {"what": "Glue", "amount": "2.5", "qty": ""}]})
    assert errors == {}
    assert values == {"items": [{"what": "Paper", "amount": "10.00", "qty": 2, "line": 20.0},
                                {"what": "Glue", "amount": "2.50", "line": 0.0}],
                      "total": 14.13}


def test_row_errors_name_the_row_and_column() -> None:
    values, errors = clean(_expense_form(), {"items": [
        {"what": "Paper", "amount": "10"},
        {"what": "", "amount": "ten"},
        {"what": "Ink", "amount": "1.001"}]})
    assert errors == {"items[2].what": "This field is required.",
                      "items[2].amount": "Enter a number.",
                      "items[3].amount": "Money has at most two decimal places."}
    assert values["items"][1] == {"line": 0.0}


@pytest.mark.parametrize(("options", "rows", "message"), [
    ({"max_rows": 2}, 3, "Use at most 2 rows."),
    ({"min_rows": 2}, 1, "Add at least 2 rows."),
])
def test_row_counts(options: dict[str, Any], rows: int, message: str) -> None:
    data = {"items": [{"what": "x", "amount": "1"}] * rows}
    assert clean(_expense_form(**options), data)[1] == {"items": message}


@pytest.mark.parametrize("value", ["rows", {"what": "x"}, ["row"], [{"what": "x"}, 3]])
def test_a_table_is_a_list_of_rows(value: Any) -> None:
    values, errors = clean(_expense_form(), {"items": value})
    assert errors == {"items": "Enter the table as a list of rows."}
    assert values["items"] == []


def test_required_table_needs_a_row() -> None:
    form = _expense_form(required=True)
    assert clean(form, {"items": []}) == ({"total": 0.0}, {"items": "This field is required."})


# --- checking a form definition ---------------------------------------------------------------


def test_a_good_form_has_no_problems() -> None:
    form = [*_expense_form(), *_varied_form(), field("kind", "select", choices=CHOICES),
            field("who", "person", multiple=True), field("when", "daterange"),
            field("days", "computed", formula="days(when) + count(items)"),
            field("note", "textarea", visible_if={"any": [
                {"field": "kind", "op": "eq", "value": "a"},
                {"field": "$applicant.department", "op": "within", "value": 1}]})]
    assert fields.check_fields(form) == []


@pytest.mark.parametrize(("form", "problems"), [
    ([field("Amount", "text")],
     ["Amount: a field name is 1-40 lower-case letters, digits or _, starting with a letter."]),
    ([field("1st", "text")],
     ["1st: a field name is 1-40 lower-case letters, digits or _, starting with a letter."]),
    ([field("a" * 41, "text")],
     [f"{'a' * 41}: a field name is 1-40 lower-case letters, digits or _, starting with a "
      "letter."]),
    ([{"type": "text", "label": "Nameless"}],
     ["field 1: a field name is 1-40 lower-case letters, digits or _, starting with a letter."]),
    ([field("a", "text"), field("a", "number")], ["a: two fields have this name."]),
    ([field("a", "slider")], ["a: unknown field type slider."]),
    ([{"name": "a", "type": "text"}], ["a: give the field a label."]),
    ([{"name": "a", "type": "text", "label": {"en": " "}}], ["a: give the field a label."]),
    (["text"], ["field 1: a field is an object."]),
    ([field("k", "select")], ["k: Give at least one choice, each with a value and a label."]),
    ([field("k", "select", choices=[{"label": {"en": "No value"}}])],
     ["k: Give at least one choice, each with a value and a label."]),
    ([field("k", "multiselect", choices=[*CHOICES, CHOICES[0]])],
     ["k: Two choices have the same value."]),
    ([field("t", "table")], ["t: A table needs at least one column."]),
    ([field("t", "table", columns=[field("inner", "table", columns=[field("x", "text")]),
                                   field("file", "attachment"), field("pic", "image")])],
     ["t: inner: a table column cannot be a Table.",
      "t: file: a table column cannot be a Attachment.",
      "t: pic: a table column cannot be a Image."]),
    ([field("t", "table", columns=[field("what", "text"), field("n", "number")],
            totals=["what", "cost"])],
     ["t: The total what is not a number column.", "t: The total cost is not a column."]),
    ([field("t", "table", columns=[field("What", "text")])],
     ["t: What: a field name is 1-40 lower-case letters, digits or _, starting with a "
      "letter."]),
    ([field("c", "computed", formula="amount * 2")],
     ["c: the formula uses amount, not fields of this form."]),
    ([field("n", "number"), field("c", "computed", formula="sum(items.cost) + n + x")],
     ["c: the formula uses items.cost, x, not fields of this form."]),
    ([*_expense_form()[:1], field("c", "computed", formula="sum(items.price)")],
     ["c: the formula uses items.price, not fields of this form."]),
    ([field("n", "number"), field("c", "computed", formula="sum(n.cost)")],
     ["c: the formula uses n.cost, not fields of this form."]),
    ([field("c", "computed", formula="eval(1)")],
     ["c: Unknown function. Use one of sum, min, max, round, abs, days, count."]),
    ([field("c", "computed")], ["c: The formula is not valid: invalid syntax"]),
    ([field("a", "text", visible_if={"all": [{"field": "b", "op": "eq", "value": 1}]})],
     ["a: shown only if b, which is not a field."]),
    ([field("b", "number"), field("a", "text", visible_if={"any": [
        {"field": "b", "op": "contains", "value": 1}]})],
     ["a: shown only if b, which cannot be tested with contains."]),
    ([field("a", "text", visible_if={"all": [
        {"field": "$applicant.department", "op": "gt", "value": 1}]})],
     ["a: shown only if $applicant.department, which cannot be tested with gt."]),
    ([field("a", "text", visible_if="b is 1")],
     ["a: the condition for showing it is malformed."]),
    ([field("a", "text", visible_if={"all": 5})],
     ["a: the condition for showing it is malformed."]),
    ([field("a", "text", visible_if={"all": ["b"]})],
     ["a: the condition for showing it is malformed."]),
    ([{"name": "a", "type": "text", "label": ["A"]}], ["a: give the field a label."]),
    ([field("k", "select", choices=[{"value": "a"}])],
     ["k: Give at least one choice, each with a value and a label."]),
    ([field("k", "select", choices=[{"value": ["a"], "label": "A"}])],
     ["k: Give at least one choice, each with a value and a label."]),
    ([field("k", "select", choices="a,b")],
     ["k: Give at least one choice, each with a value and a label."]),
    ([field("f", "text", max_length=0)], ["f: max_length is a whole number from 1 to 100000."]),
    ([field("f", "number", decimals="two", min="low", max=1)],
     ["f: decimals is a whole number from 0 to 10.", "f: min is a number."]),
    ([field("f", "number", decimals=11)], ["f: decimals is a whole number from 0 to 10."]),
    ([field("f", "money", min=10, max=1)], ["f: min is more than max."]),
    ([field("f", "attachment", max_files=1.5)],
     ["f: max_files is a whole number from 1 to 100."]),
    ([field("c", "computed", formula="1", decimals=-1)],
     ["c: decimals is a whole number from 0 to 10."]),
    ([field("t", "table", columns=[field("n", "number")], min_rows=3, max_rows=2)],
     ["t: min_rows is more than max_rows."]),
    ([field("t", "table", columns=[field("n", "number")], max_rows="many")],
     ["t: max_rows is a whole number from 1 to 1000."]),
    ([field("t", "table", columns=[field("n", "number")], totals="n")],
     ["t: The totals are a list of column names."]),
    ([field("t", "table", columns={"n": "number"})], ["t: A table needs at least one column."]),
    ({"name": "a"}, ["A form is a list of fields."]),
])
def test_form_problems(form: Any, problems: list[str]) -> None:
    assert fields.check_fields(form) == problems


def test_kinds_of_skip_nameless_fields() -> None:
    assert fields.kinds_of([field("n", "money"), {"type": "text"}, field("x", "nope")]) == {
        "n": "number", "x": "other"}


def test_field_types_are_registered() -> None:
    codes = [ft.code for ft in fields.field_types()]
    assert codes[:16] == ["text", "textarea", "number", "money", "date", "daterange", "select",
                          "multiselect", "person", "department", "location", "object",
                          "attachment", "image", "computed", "table"]


# --- showing values ---------------------------------------------------------------------------


def test_display_rows() -> None:
    form = [field("title", "text"), field("n", "number", unit="kg"), field("cost", "money"),
            field("eur", "money", currency="EUR"), field("kind", "select", choices=CHOICES),
            field("tags", "multiselect", choices=CHOICES), field("who", "person", multiple=True),
            field("dept", "department"), field("trip", "daterange"),
            field("files", "attachment"), field("missing", "text"), *_expense_form()]
    values = {"title": "Repair", "n": 2.5, "cost": "1234.5", "eur": "3.00", "kind": "c",
              "tags": ["a", "zz"], "who": [1, 7], "dept": 10,
              "trip": {"start": "2026-03-02", "end": "2026-03-06", "days": "5",
                       "calendar": "x"},
              "files": [40], "items": [
                  {"what": "Paper", "amount": "10.00", "qty": 2, "line": 20.0},
                  {"what": "Glue", "amount": "2.50", "line": 0.0}],
              "total": 14.13}
    rows = fields.display_rows(form, values, FakeLookups())
    assert [(r["name"], r.get("value")) for r in rows if not r["table"]] == [
        ("title", "Repair"), ("n", "2.50 kg"), ("cost", "CNY 1,234.50"), ("eur", "EUR 3.00"),
        ("kind", "Gamma"), ("tags", "Alpha, zz"), ("who", "Ada, #7"), ("dept", "Lab"),
        ("trip", "2026-03-02 to 2026-03-06 (5 working days)"), ("files", "quote.pdf"),
        ("total", "14.13")]
    assert [r for r in rows if r["table"]] == [{
        "label": "Items", "name": "items", "table": True,
        "columns": ["What", "Amount", "Qty", "Line"],
        "rows": [["Paper", "CNY 10.00", "2", "20.00"], ["Glue", "CNY 2.50", "", "0.00"]],
        "totals": ["", "12.50", "", "20.00"]}]


def test_display_in_chinese_uses_chinese_labels() -> None:
    form = [field("kind", "select", choices=CHOICES)]
    with translation.override("zh-hans"):
        rows = fields.display_rows(form, {"kind": "c"}, FakeLookups())
        assert rows == [{"label": "kind中", "name": "kind", "table": False, "value": "Gamma"}]
        assert fields.label_of(CHOICES[0]) == "甲"
    assert fields.label_of(CHOICES[0]) == "Alpha"
    assert fields.label_of({"name": "x"}) == "x"
    assert fields.label_of({"label": "Plain"}) == "Plain"


def test_options_given_as_text_digits_are_used() -> None:
    form = [field("f", "text", max_length="3"), field("n", "number", decimals=None)]
    assert fields.check_fields(form) == []
    assert clean(form, {"f": "abcd", "n": "1.5"}) == (
        {"n": 1.5}, {"f": "Use at most 3 characters (this has 4)."})


# --- never a crash, whatever the JSON ---------------------------------------------------------

WORDS = ["name", "type", "label", "required", "visible_if", "all", "any", "field", "op",
         "value", "choices", "columns", "totals", "min_rows", "max_rows", "formula", "min",
         "max", "decimals", "max_length", "max_files", "multiple", "en", "zh-hans", "text",
         "number", "money", "select", "table", "computed", "person", "daterange", "a", "b",
         "eq", "gt", "sum(a.b)", "a * 2", "start", "end"]
SCALARS = (st.none() | st.booleans() | st.integers(-3, 12) | st.sampled_from(WORDS)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=3))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(WORDS), inner, max_size=6),
                    max_leaves=40)


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_any_form_json_gets_problems_never_an_error(form: Any) -> None:
    problems = fields.check_fields(form)
    assert all(isinstance(p, str) for p in problems)


def _varied_form() -> list[dict[str, Any]]:
    return [field("a", "text", max_length=10), field("b", "number", min=0, decimals=1),
            field("c", "money", required=True), field("d", "date"), field("e", "daterange"),
            field("f", "select", choices=CHOICES),
            field("g", "multiselect", choices=CHOICES,
                  visible_if={"all": [{"field": "f", "op": "in", "value": ["a", "b"]}]}),
            field("h", "person", multiple=True), field("i", "department"),
            field("j", "attachment", max_files=2), field("k", "image"),
            field("m", "table", columns=[field("x", "money"), field("y", "number"),
                                         field("z", "computed", formula="x * y")],
                  totals=["x", "z"], max_rows=3),
            field("n", "computed", formula="sum(m.z) / b + days(e) + count(h)")]


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefghijkmnz"), JSON, max_size=8))
def test_any_submission_gets_values_or_messages_never_an_error(data: dict[str, Any]) -> None:
    form = _varied_form()
    values, errors = clean(form, data)
    assert set(values) <= {f["name"] for f in form}
    assert all(isinstance(message, str) for message in errors.values())
    fields.display_rows(form, values, FakeLookups())
