"""The HTML report (model/report.py, model/report_html.py): one self-contained,
well-formed, bilingual file with every budget table, every assumption's basis, valid
embedded charts and the same figures as the run's CSV files."""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import re
from collections import Counter
from html.parser import HTMLParser

import pandas as pd
import pytest
from PIL import Image

from model import apply_variant, assumption_rows, load_scenario, run_batch
from model.labels import TABLE_TITLES
from model.output import sha256_of
from model.report import REPORT_FILE, add_report_parser, attach_report, run_report, write_report
from model.schema import Unit

DRAWS = 500
SEED = 7
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Elements without an end tag.
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr"}
#: Tables of the report and their element ids.
TABLES = (
    "summary_by_year",
    "budget_by_chapter",
    "budget_by_article",
    "budget_by_unit",
    "budget_by_item",
    "commitments",
    "assumptions",
    "manifest",
)


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("baseline")


@pytest.fixture(scope="module")
def run(baseline, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "baseline"
    output = run_batch(baseline, draws=DRAWS, seed=SEED, out_dir=out, progress=False)
    return output, attach_report(output, baseline, Unit.WAN)


@pytest.fixture(scope="module")
def page(run) -> str:
    return run[1].read_text(encoding="utf-8")


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


def _tables(page: str) -> dict[str, list[tuple[list[str], dict[str, str]]]]:
    reader = TableReader()
    reader.feed(page)
    return reader.tables


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _images(page: str) -> list[bytes]:
    return [
        base64.b64decode(data, validate=True)
        for data in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    ]


def test_the_report_is_one_file_with_no_external_references(run, page):
    output, path = run
    assert path == output.out_dir / REPORT_FILE
    assert not [p for p in output.out_dir.iterdir() if p.name.startswith(f".{REPORT_FILE}")]
    lowered = page.lower()
    for pattern in (
        'src="http',
        "src='http",
        'href="http',
        "href='http",
        "<link",
        "<script",
        "@import",
        "url(",
        "//fonts.",
        "<iframe",
    ):
        assert pattern not in lowered, pattern
    structure = Structure()
    structure.feed(page)
    sources = [value for tag, name, value in structure.attributes if name == "src"]
    links = [value for tag, name, value in structure.attributes if name == "href"]
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert links and all(link.startswith("#") for link in links)
    ids = {value for tag, name, value in structure.attributes if name == "id"}
    assert {link[1:] for link in links} <= ids  # the table of contents points inside


def test_the_html_is_well_formed(page):
    assert page.startswith("<!DOCTYPE html>")
    structure = Structure()
    structure.feed(page)
    structure.close()
    assert not structure.errors
    assert not structure.stack
    for tag in ("html", "head", "body", "main", "header", "nav", "footer", "title", "style"):
        assert structure.counts[tag] == 1, tag
    assert structure.counts["table"] >= len(TABLES)
    assert structure.counts["tbody"] == structure.counts["table"]
    assert structure.counts["section"] >= len(TABLES) + 2


def test_every_table_title_appears_in_chinese_and_english(page):
    for name in TABLES:
        zh, en = TABLE_TITLES[name]
        assert html.escape(zh) in page, zh
        assert html.escape(en) in page, en
        assert f'id="{name}"' in page


def test_the_title_is_the_scenarios_in_both_languages(baseline, page):
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert html.escape(baseline.title_zh) in title and html.escape(baseline.title_en) in title
    assert "<h1>" in page and html.escape(baseline.title_zh) in page


def test_every_assumption_and_its_basis_appear_escaped(baseline, page):
    rows = assumption_rows(baseline)
    assert rows
    for row in rows:
        assert html.escape(row["basis"]) in page, row["item"]
    body = _tables(page)["assumptions"]
    assert len(body) == len(rows)


def test_the_charts_are_valid_pngs(run, page):
    output, _ = run
    images = _images(page)
    funds = [n for n in output.files if n.startswith("loss_ratio_")]
    assert len(images) == 1 + len(funds)  # the fan chart and a loss-ratio chart per fund
    for data in images:
        assert data.startswith(PNG_SIGNATURE)
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            assert image.format == "PNG" and image.size[0] > 300


def test_summary_figures_equal_the_csv(run, page):
    output, _ = run
    csv = pd.read_csv(
        output.out_dir / "summary_by_year.csv", encoding="utf-8-sig", dtype={"year": str}
    ).set_index("year")
    rows = {headers[0]: cells for headers, cells in _tables(page)["summary_by_year"]}
    total = f"{output.summary.horizon[0]}–{output.summary.horizon[-1]}"
    assert list(rows) == list(csv.index)
    for year in (str(output.summary.horizon[0]), total):
        for column in ("mean_wan", "p95_wan", "bar_wan"):
            assert _number(rows[year][column]) == pytest.approx(csv.loc[year, column], abs=0.05)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d", rows[total]["mean_wan"])  # separators


def test_money_is_right_aligned_in_the_unit(page):
    cells = re.findall(r'<td class="(\w+)" data-col="mean_wan">', page)
    assert cells and set(cells) == {"num"}
    assert "金额单位：万元" in page


def test_item_figures_equal_the_csv(run, page):
    output, _ = run
    csv = pd.read_csv(output.out_dir / "budget_by_item.csv", encoding="utf-8-sig")
    rows = _tables(page)["budget_by_item"]
    assert len(rows) == len(csv)
    for (_, cells), (_, expected) in zip(rows, csv.iterrows(), strict=True):
        assert _number(cells["mean_wan"]) == pytest.approx(expected["mean_wan"], abs=0.05)


def test_the_headline_figures(run, page):
    output, _ = run
    total = output.summary.tables["summary_by_year"].iloc[-1]
    for figure in (total["mean"], total["p5"], total["p95"], total["bar"]):
        assert f"{figure / 1e4:,.1f}" in page
    committed = output.summary.tables["commitments"].loc["total", "committed_mean"]
    assert f"{committed / 1e4:,.1f} 万元" in page


def test_the_manifest_is_shown_and_lists_the_report(run, baseline, page):
    output, path = run
    manifest = output.manifest
    rows = {headers[0]: cells for headers, cells in _tables(page)["manifest"]}
    shown = " ".join(cell for cells in rows.values() for cell in cells.values())
    for value in (manifest["seed"], manifest["draws"], manifest["version"], baseline.digest()):
        assert str(value) in shown
    files = _tables(page)["files"]
    assert {cells["file"] for _, cells in files} == set(manifest["files_sha256"])
    written = json.loads((output.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert written["files_sha256"][REPORT_FILE] == sha256_of(path)


def test_text_is_escaped(run, baseline, tmp_path):
    output, _ = run
    hostile = apply_variant(baseline, {"title_en": 'A <b>bold</b> & "quoted" <script>x</script>'})
    path = write_report(output.summary, hostile, output.manifest, tmp_path / "r.html")
    page = path.read_text(encoding="utf-8")
    assert "<b>bold</b>" not in page and "<script>" not in page
    assert html.escape(hostile.title_en) in page


def test_the_command_writes_a_run_and_a_report_with_a_comparison(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_report_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "out"
    args = parser.parse_args(
        [
            "report",
            "baseline",
            "--compare",
            "cap_cut_20",
            "--draws",
            "300",
            "--seed",
            "5",
            "--out",
            str(out),
        ]
    )
    assert run_report(args) == 0
    assert "report.html" in capsys.readouterr().out
    assert {"report.html", "summary_by_year.csv", "manifest.json"} <= {
        p.name for p in out.iterdir()
    }
    page = (out / REPORT_FILE).read_text(encoding="utf-8")
    structure = Structure()
    structure.feed(page)
    assert not structure.errors and not structure.stack
    assert 'id="compare"' in page and 'id="compare_items"' in page
    rows = _tables(page)["compare"]
    assert {headers[0] for headers, _ in rows} == {"cap_cut_20"}
    images = _images(page)
    assert len(images) == 5 and all(data.startswith(PNG_SIGNATURE) for data in images)
