"""Reading the HTML report in tests (tests/report/, tests/cli/): its structure, its tables
and its embedded images."""

from __future__ import annotations

import base64
import re
from collections import Counter
from html.parser import HTMLParser

#: The first bytes of every PNG file.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Elements without an end tag.
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr"}


class Structure(HTMLParser):
    """Checks that every element is closed in order; counts the elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.counts: Counter[str] = Counter()
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.counts[tag] += 1
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] += 1
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(
                f"</{tag}> closes <{self.stack[-1] if self.stack else None}> at {self.getpos()}"
            )
        else:
            self.stack.pop()


class TableReader(HTMLParser):
    """The body rows of every table with an id: (row headers, {data-col: text})."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[tuple[list[str], dict[str, str]]]] = {}
        self.table: str | None = None
        self.in_body = False
        self.cell: tuple[str, str | None] | None = None
        self.text: list[str] = []
        self.row: tuple[list[str], dict[str, str]] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self.table = attrs["id"]
            self.tables[self.table] = []
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body and self.table:
            self.row = ([], {})
        elif tag in ("th", "td") and self.row is not None:
            self.cell, self.text = (tag, attrs.get("data-col")), []

    def handle_data(self, data):
        if self.cell is not None:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None:
            kind, column = self.cell
            text = "".join(self.text).strip()
            if kind == "th":
                self.row[0].append(text)
            elif column:
                self.row[1][column] = text
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.table].append(self.row)
            self.row = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.table = None


def table_rows(page: str) -> dict[str, list[tuple[list[str], dict[str, str]]]]:
    """The body rows of every table of ``page`` with an id (see :class:`TableReader`)."""
    reader = TableReader()
    reader.feed(page)
    return reader.tables


def embedded_images(page: str) -> list[bytes]:
    """The embedded PNG images of ``page``, decoded."""
    return [
        base64.b64decode(data, validate=True)
        for data in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    ]
