"""Catalog import parsing: file readers, the field registry, dimensions, the vocabulary, and a
real open-access sample (The Met, CC0) mapped end to end."""

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from taihe.modules.catalog import vocabulary
from taihe.modules.catalog.importing import readers
from taihe.modules.catalog.importing.dates import parse_date_range
from taihe.modules.catalog.importing.dimensions import parse_dimensions
from taihe.modules.catalog.importing.fields import (
    FIELD_NAMES,
    FieldError,
    FieldValueError,
    ImportMappingError,
    check_mapping,
    map_row,
    parse_date,
    suggest_mapping,
)
from taihe.modules.catalog.importing.readers import (
    ImportFileError,
    SourceRow,
    read_columns,
    read_rows,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "catalog"
SAMPLE = FIXTURES / "open_access_sample.csv"
SAMPLE_MAPPING = json.loads((FIXTURES / "open_access_mapping.json").read_text("utf-8"))

CHINESE_CSV = ("藏品编号,名称,年代,质地,尺寸,级别\n"
               "G-001,青花缠枝莲纹瓶,清乾隆,青花瓷,高35.2厘米,一级\n")


def rows_of(data: bytes, filename: str) -> list[SourceRow]:
    return list(read_rows(io.BytesIO(data), filename=filename))


# --- readers: CSV -------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_chinese_capable_encoding_reads_the_same(encoding):
    # Given the same sheet saved as UTF-8, UTF-8 with BOM (Excel "CSV UTF-8") and GB18030
    data = CHINESE_CSV.encode(encoding)
    # When read
    rows = rows_of(data, "register.csv")
    # Then the header and values come back intact, the data row numbered 2
    assert rows == [SourceRow(2, {"藏品编号": "G-001", "名称": "青花缠枝莲纹瓶", "年代": "清乾隆",
                                  "质地": "青花瓷", "尺寸": "高35.2厘米", "级别": "一级"})]


def test_csv_in_windows_1252_is_detected():
    # Given a Western Excel CSV with accented letters, semicolon-separated
    data = "Object Number;Title;Culture\n1;Café scene;Français\n".encode("cp1252")
    # When read
    rows = rows_of(data, "export.csv")
    # Then the accents are decoded correctly and the semicolon is the delimiter
    assert rows == [SourceRow(2, {"Object Number": "1", "Title": "Café scene",
                                  "Culture": "Français"})]
    assert readers.detect_encoding(data) == "cp1252"


def test_csv_tab_delimiter_is_sniffed_and_blank_rows_are_counted_not_returned():
    data = b"\n\nObject Number\tTitle\nA1\tVase\n\nA2\tBowl\n"
    rows = rows_of(data, "objects.csv")
    # The header is row 3 (two blank rows above it); the blank row 5 is skipped
    assert rows == [SourceRow(4, {"Object Number": "A1", "Title": "Vase"}),
                    SourceRow(6, {"Object Number": "A2", "Title": "Bowl"})]


def test_a_quoted_cell_with_line_breaks_is_one_spreadsheet_row():
    data = b'Object Number,Dimensions\nA1,"H. 1 cm\nW. 2 cm"\nA2,3 cm\n'
    rows = rows_of(data, "objects.csv")
    assert [row.number for row in rows] == [2, 3]
    assert rows[0].values["Dimensions"] == "H. 1 cm\nW. 2 cm"


def test_short_rows_are_padded_and_extra_values_are_a_row_error():
    data = b"Object Number,Title\nA1\nA2,Vase,surplus\n"
    rows = rows_of(data, "objects.csv")
    assert rows[0] == SourceRow(2, {"Object Number": "A1", "Title": ""})
    assert rows[1] == SourceRow(3, {}, "Row 3 has a value in column 3, which has no header.")


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"", "empty.csv", "The file is empty."),
    (b"\n\n  \n", "blank.csv", "The file is empty."),
    (b"Title,Title\nA,B\n", "dup.csv",
     "The header row names these columns more than once: Title."),
    (b"\n1001,1736,35.2\n1002,1795,12\n", "noheader.csv",
     "The file has no header row: its first row holds values, not column names."),
    (b"x", "objects.xls", "The old Excel .xls format is not supported: save the file as "
                          ".xlsx or CSV."),
    (b"x", "objects.pdf", "Files of type “pdf” cannot be imported: use .csv, .xlsx or .jsonl."),
    (b"PK\x03\x04rest", "objects.csv", "This file is an Excel workbook, not CSV text: upload it "
                                       "with the .xlsx extension."),
    (b"not a zip", "objects.xlsx", "This file could not be read as an Excel (.xlsx) workbook."),
])
def test_unreadable_files_raise_a_clear_error(data, filename, message):
    # Given a file that cannot be imported at all
    # When read
    with pytest.raises(ImportFileError) as raised:
        rows_of(data, filename)
    # Then the error says why, on the "file" field
    assert str(raised.value.detail) == message
    assert raised.value.fields == {"file": message}


def test_a_row_of_empty_cells_is_blank_and_the_next_row_is_the_header():
    assert rows_of(b",,\nA,B\n1,2\n", "objects.csv") == [SourceRow(3, {"A": "1", "B": "2"})]


class CountingStream(io.RawIOBase):
    """A large CSV produced on demand, counting the bytes handed out."""

    def __init__(self, rows: int) -> None:
        self.rows, self.produced, self.buffer = rows, 0, b"Object Number,Title\n"
        self.next_row = 1

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while len(self.buffer) < len(target) and self.next_row <= self.rows:
            self.buffer += f"A{self.next_row},Object {self.next_row}\n".encode()
            self.next_row += 1
        size = min(len(target), len(self.buffer))
        target[:size] = self.buffer[:size]
        self.buffer = self.buffer[size:]
        self.produced += size
        return size


def test_rows_are_streamed_not_loaded_at_once():
    # Given a 100,000-row CSV (about 2.5 MB) arriving as a stream
    stream = CountingStream(100_000)
    # When only the first three rows are taken
    rows = read_rows(stream, filename="big.csv")
    first = [next(rows) for _ in range(3)]
    # Then they are there, and far less than the file has been read
    assert [row.values["Object Number"] for row in first] == ["A1", "A2", "A3"]
    assert stream.produced < 200_000
    rows.close()


def test_read_columns_gives_the_header():
    assert read_columns(io.BytesIO(CHINESE_CSV.encode()), filename="a.csv") == [
        "藏品编号", "名称", "年代", "质地", "尺寸", "级别"]


# --- readers: XLSX ---------------------------------------------------------------------------

def test_xlsx_first_sheet_header_dates_and_numbers(tmp_path):
    # Given a workbook whose first sheet starts with a blank row, then the header
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([])
    sheet.append(["Object Number", "Acquired", "Height", "Year", "Count", "Flag"])
    sheet.append(["A1", dt.datetime(2019, 5, 3), 35.2, 1736.0, 12, True])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["A2", dt.datetime(2019, 5, 3, 14, 30), None, -206, None, False])
    workbook.create_sheet("Ignored").append(["not", "read"])
    path = tmp_path / "objects.xlsx"
    workbook.save(path)
    # When read
    rows = list(read_rows(path, filename="objects.xlsx"))
    # Then row numbers are the sheet's, dates are ISO, whole numbers lose ".0"
    assert rows == [
        SourceRow(3, {"Object Number": "A1", "Acquired": "2019-05-03", "Height": "35.2",
                      "Year": "1736", "Count": "12", "Flag": "true"}),
        SourceRow(5, {"Object Number": "A2", "Acquired": "2019-05-03T14:30:00", "Height": "",
                      "Year": "-206", "Count": "", "Flag": "false"}),
    ]
    assert read_columns(path, filename="objects.xlsx") == [
        "Object Number", "Acquired", "Height", "Year", "Count", "Flag"]


def test_xlsx_from_an_unseekable_stream(tmp_path):
    workbook = Workbook()
    workbook.active.append(["Object Number"])
    workbook.active.append(["A1"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    class Unseekable(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, target) -> int:
            data = self.inner.read(len(target))
            target[: len(data)] = data
            return len(data)

    rows = list(read_rows(Unseekable(buffer.getvalue()), filename="o.xlsx"))
    assert rows == [SourceRow(2, {"Object Number": "A1"})]


# --- readers: JSON Lines ---------------------------------------------------------------------

def test_json_lines_a_bad_line_is_a_row_error_not_a_crash():
    data = (b'{"object_number": "A1", "year": 1736, "tags": ["a", "b"], "note": null}\n'
            b"\n"
            b"{not json}\n"
            b"[1, 2]\n"
            b'{"object_number": "A2"}\n')
    rows = rows_of(data, "objects.jsonl")
    assert rows[0] == SourceRow(1, {"object_number": "A1", "year": "1736",
                                    "tags": '["a", "b"]', "note": ""})
    assert rows[1].number == 3
    assert rows[1].values == {}
    assert rows[1].error.startswith("Line 3 is not valid JSON: ")
    assert rows[2] == SourceRow(4, {}, "Line 4 is not a JSON object.")
    assert rows[3] == SourceRow(5, {"object_number": "A2"})
    assert read_columns(io.BytesIO(data), filename="objects.ndjson") == [
        "object_number", "year", "tags", "note"]


# --- dimensions ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("H. 35.2 cm; W. 20 cm", [("height", Decimal("35.2"), "cm"), ("width", Decimal("20"), "cm")]),
    ("高35.2厘米 口径20厘米 底径12厘米", [("height", Decimal("35.2"), "cm"),
                                 ("rim_diameter", Decimal("20"), "cm"),
                                 ("base_diameter", Decimal("12"), "cm")]),
    ("32 x 24.5 cm", [("height", Decimal("32"), "cm"), ("width", Decimal("24.5"), "cm")]),
    ("12 1/2 x 8 in.", [("height", Decimal("12.5"), "in"), ("width", Decimal("8"), "in")]),
    ("Diam. 18.4 cm", [("diameter", Decimal("18.4"), "cm")]),
    ("重2.5千克", [("weight", Decimal("2.5"), "kg")]),
    ("通高 45 cm", [("height", Decimal("45"), "cm")]),
    ("纵120.5厘米 横60厘米", [("height", Decimal("120.5"), "cm"), ("width", Decimal("60"), "cm")]),
    ("H. 9 1/4 in. (23.5 cm)", [("height", Decimal("23.5"), "cm")]),
    ("H. 9 3/8 x W. 5 x D. 2 1/2 in. (23.8 x 12.7 x 6.4 cm)",
     [("height", Decimal("23.8"), "cm"), ("width", Decimal("12.7"), "cm"),
      ("depth", Decimal("6.4"), "cm")]),
    ("H. 10 3/8 in. (26.4 cm)\nDiam. of rim 8 1/4 in. (21 cm)",
     [("height", Decimal("26.4"), "cm"), ("rim_diameter", Decimal("21"), "cm")]),
    ("Total H. 62 3/16 × Drum diam 22 in. (158 × 55.9 cm)", [("diameter", Decimal("22"), "in")]),
    ("L. 28 cm", [("length", Decimal("28"), "cm")]),
    ("1.87 in. (4.75 cm)", []),
    ("尺寸不详", []),
    ("", []),
])
def test_parse_dimensions(text, expected):
    assert parse_dimensions(text) == expected


# --- vocabulary ------------------------------------------------------------------------------

def test_every_scheme_has_unique_codes_and_known_parents():
    for scheme, terms in vocabulary.SCHEMES.items():
        codes = [term.code for term in terms]
        assert len(codes) == len(set(codes)), scheme
        for term in terms:
            assert term.scheme == scheme
            assert term.labels["zh-Hans"] and term.labels["en"]
            assert term.parent is None or term.parent in codes
            assert term.aat_id is None or (term.aat_id.isdigit() and len(term.aat_id) == 9)


def test_verified_aat_ids():
    assert vocabulary.term("material", "bronze").aat_id == "300010957"
    assert vocabulary.term("material", "silk").aat_id == "300243428"
    assert vocabulary.term("material", "lacquer").aat_id is None  # not verified: left empty


@pytest.mark.parametrize(("scheme", "text", "code"), [
    ("grade", "一级", "grade-1"), ("grade", "Grade 2", "grade-2"), ("grade", "三級", "grade-3"),
    ("grade", "一般", "general"), ("grade", "未定级", "ungraded"),
    ("object_type", "立軸", "hanging-scroll"), ("object_type", "Hanging scroll", "hanging-scroll"),
    ("object_type", "snuff-bottle", "snuff-bottle"), ("material", "紫檀", "zitan"),
    ("acquisition_method", "捐赠", "gift"), ("movement_reason", "Loan", "loan"),
    ("condition", "fair", "fair"), ("hazard", "汞鎏金", "mercury-gilding"),
])
def test_find_term_by_code_label_or_keyword(scheme, text, code):
    found = vocabulary.find_term(scheme, text)
    assert found is not None
    assert found.code == code


def test_depth_counts_broader_terms():
    assert vocabulary.depth("material", "metal") == 0
    assert vocabulary.depth("material", "gold-leaf") == 2
    assert vocabulary.find_term("material", "no such thing") is None


# --- fields ----------------------------------------------------------------------------------

CHINESE_MAPPING = {"藏品编号": "object_number", "名称": "title", "年代": "production_date",
                   "质地": "medium", "尺寸": "dimensions", "级别": "grade"}


def test_map_row_cleans_a_chinese_register_row():
    # Given a row of a Chinese register and its mapping
    values = {"藏品编号": " Ｇ－００１  a ", "名称": "青花缠枝莲纹瓶", "年代": "清乾隆",
              "质地": "青花瓷", "尺寸": "高35.2厘米 口径20厘米", "级别": "一级"}
    # When mapped
    mapped = map_row(values, CHINESE_MAPPING)
    # Then every field is clean and derived values are filled in
    assert mapped.errors == []
    assert mapped.values == {
        "object_number": "G-001 a",
        "title": {"zh-Hans": "青花缠枝莲纹瓶"},
        "production_date": "清乾隆",
        "year_earliest": 1736,
        "year_latest": 1795,
        "period": {"zh-Hans": "清乾隆", "zh-Hant": "清乾隆", "en": "Qing dynasty, Qianlong reign"},
        "medium": {"zh-Hans": "青花瓷"},
        "materials": ["porcelain"],
        "dimensions_text": {"zh-Hans": "高35.2厘米 口径20厘米"},
        "dimensions": [("height", Decimal("35.2"), "cm"), ("rim_diameter", Decimal("20"), "cm")],
        "grade": "grade-1",
    }


def test_explicit_years_win_over_the_parsed_date_and_an_unreadable_date_is_kept():
    mapping = {"no": "object_number", "date": "production_date", "from": "year_earliest",
               "to": "year_latest"}
    mapped = map_row({"no": "1", "date": "shortly after 1285", "from": "1260", "to": "1310"},
                     mapping)
    assert mapped.errors == []
    assert mapped.values == {"object_number": "1", "production_date": "shortly after 1285",
                             "year_earliest": 1260, "year_latest": 1310}


def test_bad_cells_are_reported_per_field_and_column():
    mapping = {"no": "object_number", "type": "object_type", "grade": "grade",
               "from": "year_earliest", "to": "year_latest", "acq": "acquisition_date",
               "mat": "materials"}
    values = {"no": "", "type": "spaceship", "grade": "4级", "from": "1800", "to": "1700",
              "acq": "03/04/2019", "mat": "bronze; unobtainium"}
    mapped = map_row(values, mapping)
    assert mapped.errors == [
        FieldError("object_number", "object_number is required but column “no” is empty.", "no"),
        FieldError("object_type",
                   "Column “type”: “spaceship” is not a known object type term.", "type"),
        FieldError("grade", "Column “grade”: “4级” is not a known grade term.", "grade"),
        FieldError("acquisition_date", "Column “acq”: “03/04/2019” could be day/month or "
                   "month/day: write the date as YYYY-MM-DD.", "acq"),
        FieldError("materials",
                   "Column “mat”: Not known material terms: unobtainium.", "mat"),
        FieldError("year_latest",
                   "The latest year (1700) is before the earliest year (1800)."),
    ]
    # the good part of a list is still kept
    assert mapped.values["materials"] == ["bronze"]


def test_explicit_materials_come_first_then_those_found_in_the_medium():
    mapping = {"no": "object_number", "medium": "medium_en", "materials": "materials"}
    mapped = map_row({"no": "1", "medium": "Ink and color on silk", "materials": "纸; ink"},
                     mapping)
    assert mapped.values["materials"] == ["paper", "ink", "silk", "pigment"]
    assert mapped.values["medium"] == {"en": "Ink and color on silk"}


def test_makers_with_roles_in_either_form():
    mapped = map_row({"no": "1", "maker": "书: 王羲之; Wen Zhengming (painter); "
                      "Velázquez (Diego Rodríguez de Silva y Velázquez)|Érard"},
                     {"no": "object_number", "maker": "maker"})
    assert mapped.values["makers"] == [
        {"name": {"zh-Hans": "王羲之"}, "role": "calligrapher"},
        {"name": {"en": "Wen Zhengming"}, "role": "painter"},
        {"name": {"en": "Velázquez (Diego Rodríguez de Silva y Velázquez)"}, "role": ""},
        {"name": {"en": "Érard"}, "role": ""},
    ]


def test_other_numbers_custom_fields_and_texts():
    mapping = {"no": "object_number", "old": "other_numbers", "dept": "custom:department",
               "t_en": "title_en", "t_hant": "title_zh_hant", "culture": "culture",
               "method": "acquisition_method", "notes": "notes"}
    values = {"no": "1", "old": "普查登记号: 1101010180000100001; 旧 123", "dept": "Asian Art",
              "t_en": "Vase", "t_hant": "花瓶", "culture": "China", "method": "调拨",
              "notes": "On view"}
    mapped = map_row(values, mapping)
    assert mapped.errors == []
    assert mapped.values == {
        "object_number": "1",
        "other_numbers": [("1101010180000100001", "普查登记号"), ("旧 123", "")],
        "custom": {"department": "Asian Art"},
        "title": {"en": "Vase", "zh-Hant": "花瓶"},
        "culture": {"en": "China"},
        "acquisition_method": "transfer",
        "notes": "On view",
    }


@pytest.mark.parametrize(("text", "date"), [
    ("2019-05-03", dt.date(2019, 5, 3)),
    ("2019/5/3", dt.date(2019, 5, 3)),
    ("2019-05-03T00:00:00", dt.date(2019, 5, 3)),
    ("2019年5月3日", dt.date(2019, 5, 3)),
    ("25/12/2019", dt.date(2019, 12, 25)),
    ("12/25/2019", dt.date(2019, 12, 25)),
    ("05/05/2019", dt.date(2019, 5, 5)),
    ("43588", dt.date(2019, 5, 3)),  # Excel serial
    ("43588.0", dt.date(2019, 5, 3)),
])
def test_parse_date_accepts(text, date):
    assert parse_date(text) == date


@pytest.mark.parametrize(("text", "message"), [
    ("03/04/2019", "“03/04/2019” could be day/month or month/day: write the date as YYYY-MM-DD."),
    ("2019-02-30", "“2019-02-30” is not a real calendar date."),
    ("2019", "“2019” is not a date: write it as YYYY-MM-DD."),
    ("May 2019", "“May 2019” is not a date: write it as YYYY-MM-DD."),
])
def test_parse_date_refuses(text, message):
    with pytest.raises(FieldValueError) as raised:
        parse_date(text)
    assert str(raised.value) == message


def test_check_mapping_lists_every_problem():
    problems = check_mapping({"Title": "titel", "Missing": "medium", "Name": "title",
                              "Name 2": "title"}, ["Title", "Name", "Name 2"])
    assert [(p.column, p.field, p.message) for p in problems] == [
        ("Title", "titel", "“titel” is not an import field."),
        ("Missing", "medium", "The file has no column “Missing”."),
        ("Name 2", "title", "“title” is already filled from column “Name”."),
        ("", "object_number", "No column is mapped to object_number, which every object needs."),
    ]
    assert check_mapping({"No": "object_number", "X": "custom:my_field"}, ["No", "X"]) == []
    assert check_mapping({"No": "object_number", "X": "custom:Bad Code"}, ["No", "X"])[0].message \
        == "“custom:Bad Code” is not an import field."


def test_map_row_refuses_an_unknown_field_before_reading_values():
    with pytest.raises(ImportMappingError) as raised:
        map_row({"a": "1"}, {"a": "object_number", "b": "nonsense"})
    assert str(raised.value.detail) == "These are not import fields: nonsense."


def test_suggest_mapping_from_chinese_and_museum_headers():
    assert suggest_mapping(["藏品编号", "名称", "年代", "质地", "尺寸", "级别", "入藏时间", "备注",
                            "不认识"]) == {
        "藏品编号": "object_number", "名称": "title", "年代": "production_date",
        "质地": "medium", "尺寸": "dimensions", "级别": "grade",
        "入藏时间": "acquisition_date", "备注": "notes"}
    assert suggest_mapping(["accession_number", "title", "creation_date", "technique",
                            "creditline", "Object Begin Date", "Object End Date"]) == {
        "accession_number": "object_number", "title": "title_en",
        "creation_date": "production_date", "creditline": "credit_line_en",
        "Object Begin Date": "year_earliest", "Object End Date": "year_latest"}


def test_every_documented_field_is_registered():
    assert FIELD_NAMES == (
        "object_number", "title", "title_en", "title_zh_hant", "object_name", "object_name_en",
        "object_type", "maker", "culture", "production_date", "period", "year_earliest",
        "year_latest", "medium", "medium_en", "materials", "techniques", "dimensions",
        "description", "description_en", "inscription", "credit_line", "credit_line_en",
        "acquisition_method", "acquisition_date", "acquisition_source", "grade", "status",
        "other_numbers", "notes")


# --- the real open-access sample -------------------------------------------------------------

def test_open_access_sample_maps_every_row_without_errors():
    # Given 50 real rows of The Met's open-access data and the documented mapping
    columns = read_columns(SAMPLE, filename=SAMPLE.name)
    assert check_mapping(SAMPLE_MAPPING, columns) == []
    # When every row is read and mapped
    rows = list(read_rows(SAMPLE, filename=SAMPLE.name))
    mapped = {row.number: map_row(row.values, SAMPLE_MAPPING) for row in rows}
    # Then there are 50 rows, numbered 2–51, none with an error
    assert sorted(mapped) == list(range(2, 52))
    assert {number: m.errors for number, m in mapped.items() if m.errors} == {}
    assert suggest_mapping(columns) == {
        column: field for column, field in SAMPLE_MAPPING.items()
        if not field.startswith("custom:")}


def sample_row(object_number: str) -> dict:
    for row in read_rows(SAMPLE, filename=SAMPLE.name):
        if row.values["Object Number"] == object_number:
            return map_row(row.values, SAMPLE_MAPPING).values
    raise AssertionError(object_number)


def test_open_access_sample_spot_checks():
    # A Chinese photograph album: years from the Met's begin/end columns
    album = sample_row("2007.13")
    assert (album["year_earliest"], album["year_latest"]) == (2005, 2006)
    assert album["materials"] == ["paper"]
    assert album["period"] == {"en": "Contemporary"}
    assert album["title"] == {
        "en": "當代 秋麥 華山圖 冊 摄影 噴墨印 紙本|Bounded by Mountains: Mount Hua"}
    # BCE years stay negative, and the Object Date text parses to the same years
    mouflon = sample_row("1978.58")
    assert (mouflon["year_earliest"], mouflon["year_latest"]) == (-2600, -1900)
    parsed = parse_date_range_of("ca. 2600–1900 BCE")
    assert parsed == (-2600, -1900)
    # Met dimensions: the metric twin is kept, kinds by label
    lamp = sample_row("17.190.985")
    assert lamp["dimensions"] == [("height", Decimal("26.4"), "cm"),
                                  ("rim_diameter", Decimal("21"), "cm")]
    assert lamp["materials"] == ["gold-leaf", "glass", "enamel"]
    # multi-line cells survive the CSV round trip
    assert sample_row("59.76")["dimensions_text"]["en"].count("\n") == 2
    # makers separated by "|"
    assert sample_row("2002.323a–f")["makers"] == [
        {"name": {"en": "Veit Langenbucher"}, "role": ""},
        {"name": {"en": "Samuel Bidermann"}, "role": ""}]
    assert sample_row("2001.733")["materials"] == ["porcelain", "enamel"]
    assert sample_row("2001.733")["custom"] == {"department": "Asian Art",
                                                "classification": "Ceramics"}


def parse_date_range_of(text: str) -> tuple[int, int]:
    result = parse_date_range(text)
    assert result is not None
    return result.earliest, result.latest


def test_columns_named_as_fields_map_to_those_fields() -> None:
    """A file Taihe exported (CSV/XLSX export) maps back column for column."""
    assert suggest_mapping(["object_number", "title", "title_en", "medium"]) == {
        "object_number": "object_number", "title": "title", "title_en": "title_en",
        "medium": "medium"}
