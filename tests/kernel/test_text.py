"""CSV text as spreadsheets save it."""

from __future__ import annotations

import codecs

import pytest

from taihe.kernel.text import decode_spreadsheet_text

TEXT = "person,time\n王伟,2026-11-02 08:57\n"


@pytest.mark.parametrize("data", [
    TEXT.encode("utf-8"),
    codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    TEXT.encode("gb18030"),  # Excel in a Chinese locale
    codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
], ids=["utf-8", "utf-8 with BOM", "gb18030", "utf-16"])
def test_each_way_a_spreadsheet_saves_csv_reads_the_same(data: bytes) -> None:
    assert decode_spreadsheet_text(data) == TEXT


def test_bytes_no_encoding_reads_are_refused() -> None:
    with pytest.raises(UnicodeDecodeError):
        decode_spreadsheet_text(b"\x81\x20\xff\xfe\xfd")
