"""``fiscalsim report`` (model/cli/report.py): a run and its HTML report, with a comparison."""

from __future__ import annotations

from helpers.html import PNG_SIGNATURE, Structure, embedded_images, table_rows

from model.cli.main import build_parser
from model.cli.report import run
from model.report.report import REPORT_FILE


def test_the_command_writes_a_run_and_a_report_with_a_comparison(tmp_path, capsys):
    out = tmp_path / "out"
    args = build_parser(["report"]).parse_args(
        [
            "report",
            "baseline",
            "--compare",
            "cap_cut_20_max",
            "--draws",
            "300",
            "--seed",
            "5",
            "--out",
            str(out),
        ]
    )
    assert run(args) == 0
    assert "report.html" in capsys.readouterr().out
    assert {"report.html", "summary_by_year.csv", "manifest.json"} <= {
        p.name for p in out.iterdir()
    }
    page = (out / REPORT_FILE).read_text(encoding="utf-8")
    structure = Structure()
    structure.feed(page)
    assert not structure.errors and not structure.stack
    assert 'id="compare"' in page and 'id="compare_items"' in page
    rows = table_rows(page)["compare"]
    assert {headers[0] for headers, _ in rows} == {"cap_cut_20_max"}
    images = embedded_images(page)
    # fan chart, distribution of the horizon total, two loss-ratio charts, two comparisons
    assert len(images) == 6 and all(data.startswith(PNG_SIGNATURE) for data in images)
