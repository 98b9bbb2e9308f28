"""Reading text files people export from office software."""

from __future__ import annotations

import codecs


def decode_spreadsheet_text(data: bytes) -> str:
    """The text of a CSV file as spreadsheets save it: UTF-16 with a byte-order mark,
    UTF-8 (with or without one) or, as Excel in a Chinese locale does, GB18030. Raises
    UnicodeDecodeError when it is none of these."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16").lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")
