"""The clause readings in the HTML report (model/report/readings_report.py): the readings
envelope beside the Monte Carlo interval on the first screen, and the section
「条文解读 Clause readings」 with every reading and the envelope."""

from __future__ import annotations

import pytest
from helpers.html import Structure, table_rows

from model import run_batch
from model.analysis.readings import evaluate_readings
from model.core.units import Unit
from model.report.report import attach_report

DRAWS = 300
SEED = 11


@pytest.fixture(scope="module")
def page(baseline, tmp_path_factory):
    readings = evaluate_readings(baseline, 200, seed=SEED)
    out = tmp_path_factory.mktemp("report") / "baseline"
    output = run_batch(
        baseline, draws=DRAWS, seed=SEED, out_dir=out, progress=False, readings=readings
    )
    path = attach_report(output, baseline, Unit.WAN)
    return output, path.read_text(encoding="utf-8")


def test_the_first_screen_shows_both_kinds_of_uncertainty(page):
    output, text = page
    headline = text[text.index('<section id="headline">') : text.index("</section>")]
    assert "蒙特卡洛 90% 区间" in headline and "Monte Carlo 90% interval" in headline
    assert "条文解读包络" in headline and "readings envelope" in headline
    uncertainty = output.uncertainty
    for kind in ("monte_carlo", "readings_envelope"):
        for column in ("low_yuan", "high_yuan"):
            assert f"{uncertainty.loc[kind, column] / 1e4:,.1f}" in headline


def test_the_readings_section_lists_every_reading_and_the_envelope(baseline, page):
    _, text = page
    parser = Structure()
    parser.feed(text)
    assert not parser.errors
    assert "条文解读" in text and "Clause readings" in text
    tables = table_rows(text)
    readings = sum(len(clause.readings) for clause in baseline.catalog.readings)
    assert len(tables["readings"]) == readings
    assert len(tables["readings_envelope"]) == 3
    # the words a reading turns on are quoted as they are in the draft
    assert "对省实验室每年给予1亿元经费支持，连续五年" in text
