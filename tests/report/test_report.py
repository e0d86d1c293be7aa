"""The HTML report (model/report/report.py, model/report/sections.py, model/report/html.py):
one self-contained, well-formed, bilingual file with every budget table, every
assumption's basis, valid embedded charts and the same figures as the run's CSV files."""

from __future__ import annotations

import html
import io
import json
import re

import pandas as pd
import pytest
from helpers.html import PNG_SIGNATURE, Structure, embedded_images, table_rows
from PIL import Image

from model import apply_variant, assumption_rows, run_batch
from model.core.units import Unit
from model.report.labels import TITLES
from model.report.output import sha256_of
from model.report.report import REPORT_FILE, attach_report, write_report

DRAWS = 500
SEED = 7
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
def run(baseline, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "baseline"
    output = run_batch(baseline, draws=DRAWS, seed=SEED, out_dir=out, progress=False)
    return output, attach_report(output, baseline, Unit.WAN)


@pytest.fixture(scope="module")
def page(run) -> str:
    return run[1].read_text(encoding="utf-8")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


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
        "//fonts.",
        "<iframe",
    ):
        assert pattern not in lowered, pattern
    # the one url() allowed is the embedded font subset, a data: URI
    assert lowered.count("url(") == lowered.count("url(data:font/woff;base64,")
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
        zh, en = TITLES[name]
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
    body = table_rows(page)["assumptions"]
    assert len(body) == len(rows)


def test_the_charts_are_valid_pngs(run, page):
    output, _ = run
    images = embedded_images(page)
    funds = [n for n in output.files if n.startswith("loss_ratio_")]
    # the fan chart, the distribution of the horizon total and a loss-ratio chart per fund
    assert len(images) == 2 + len(funds)
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
    rows = {headers[0]: cells for headers, cells in table_rows(page)["summary_by_year"]}
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
    rows = table_rows(page)["budget_by_item"]
    assert len(rows) == len(csv)
    for (_, cells), (_, expected) in zip(rows, csv.iterrows(), strict=True):
        assert _number(cells["mean_wan"]) == pytest.approx(expected["mean_wan"], abs=0.05)


def test_the_headline_figures(run, page):
    output, _ = run
    total = output.summary.tables["summary_by_year"].iloc[-1]
    for figure in (total["mean_yuan"], total["p5_yuan"], total["p95_yuan"], total["bar_yuan"]):
        assert f"{figure / 1e4:,.1f}" in page
    committed = output.summary.tables["commitments"].loc["total", "committed_mean_yuan"]
    assert f"{committed / 1e4:,.1f} 万元" in page


def test_the_manifest_is_shown_and_lists_the_report(run, baseline, page):
    output, path = run
    manifest = output.manifest
    rows = {headers[0]: cells for headers, cells in table_rows(page)["manifest"]}
    shown = " ".join(cell for cells in rows.values() for cell in cells.values())
    for value in (manifest["seed"], manifest["draws"], manifest["version"], baseline.digest()):
        assert str(value) in shown
    files = table_rows(page)["files"]
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


def test_the_report_embeds_the_glyphs_of_its_chinese_text(page):
    # so that it reads the same in a browser on a machine without CJK fonts
    import base64

    from fontTools.ttLib import TTFont

    from model.report.fonts import EMBEDDED_FAMILY, find_cjk_font

    if find_cjk_font() is None:
        pytest.skip("no CJK font on this machine to subset")
    sources = re.findall(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", page)
    assert sources and f'"{EMBEDDED_FAMILY}"' in page.split("</style>")[0]
    body = html.unescape(re.sub(r"<[^>]+>", "", page.split("<body>")[1]))
    chinese = {char for char in body if "\u4e00" <= char <= "\u9fff"}
    assert len(chinese) > 100
    mapped = {chr(code) for code in TTFont(io.BytesIO(base64.b64decode(sources[0]))).getBestCmap()}
    assert chinese <= mapped
