"""Charts (model/report/plots.py, model/report/chartstyle.py): matplotlib figures built
without pyplot, bilingual where a CJK font exists, with names instead of ids, thousands
separators and the unit on every money axis."""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pytest
from helpers.funds import YEARS, binary_fund
from matplotlib.figure import Figure

import model
from model.analysis.compare import compare
from model.analysis.sensitivity import sobol, tornado
from model.core.units import Unit
from model.finance.funds import simulate_fund
from model.finance.programme import simulate_programmes
from model.report import fonts, plots
from model.report.chartstyle import display_names, png_bytes, show

DRAWS = 400
CJK = re.compile(r"[\u4e00-\u9fff]")
#: A snake_case id: two or more lower-case words joined by underscores.
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


@pytest.fixture(autouse=True)
def restore_matplotlib_settings():
    with matplotlib.rc_context():
        yield


@pytest.fixture(scope="module")
def runs(baseline):
    variants = [model.load_scenario("cap_cut_20_max")]
    summary = model.summarize(model.simulate(baseline, DRAWS, seed=3), baseline, budget_yuan=9e8)
    return {
        "summary": summary,
        "comparison": compare(baseline, variants, DRAWS, seed=3),
        "tornado": tornado(baseline, draws=DRAWS, seed=3),
        "sobol": sobol(baseline, n=16, seed=3, top=3),
        "programmes": simulate_programmes(baseline, DRAWS, seed=3),
        "names": display_names([baseline, *variants]),
    }


def _charts(runs, baseline, unit: Unit) -> dict[str, Figure]:
    names = runs["names"]
    return {
        "fan": plots.fan_chart(runs["summary"], unit, names),
        "distribution": plots.distribution_chart(runs["summary"], unit, names),
        "delta": plots.delta_chart(runs["comparison"], unit, names),
        "overlay": plots.fan_overlay_chart(runs["comparison"], unit, names),
        "tornado": plots.tornado_chart(runs["tornado"], unit, 8, names),
        "spider": plots.spider_chart(runs["tornado"], unit, 6, names),
        "sobol": plots.sobol_chart(runs["sobol"], names),
        **plots.loss_ratio_charts(baseline, runs["programmes"], names),
    }


def _texts(figure: Figure) -> list[str]:
    """Every piece of text a figure draws (titles, labels, ticks, legends)."""
    png_bytes(figure)  # draw, so that tick labels exist
    return [t.get_text() for t in figure.findobj(matplotlib.text.Text) if t.get_text()]


def _money_axes(figure: Figure, unit: Unit):
    for axes in figure.axes:
        for axis, label in ((axes.xaxis, axes.get_xlabel()), (axes.yaxis, axes.get_ylabel())):
            if unit.label_en in label:
                yield axis, label


@pytest.mark.parametrize("unit", [Unit.WAN, Unit.YI])
def test_every_chart_names_things_and_carries_units(runs, baseline, unit):
    ids = {item.id for item in baseline.catalog.items} | {"baseline", "cap_cut_20_max"}
    for key, figure in _charts(runs, baseline, unit).items():
        texts = _texts(figure)
        shown_ids = [t for t in texts if SNAKE.search(t) and SNAKE.search(t).group() in ids]
        assert not shown_ids, (key, shown_ids)
        if key in ("sobol", "loss_ratio_future_seed_fund.png", "loss_ratio_angel_funds.png"):
            continue  # shares and loss ratios: no money axis
        money = list(_money_axes(figure, unit))
        assert money, f"{key}: no axis names its unit ({unit.label_en})"
        for axis, _ in money:
            ticks = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
            values = [float(t.replace(",", "").replace("−", "-")) for t in ticks]
            big = [t for t, v in zip(ticks, values, strict=True) if abs(v) >= 1000]
            assert all("," in t for t in big), (key, ticks)
            if unit is Unit.YI and key != "distribution":
                assert len(set(ticks)) == len(ticks), (key, ticks)  # no 42 / 42 from rounding


def test_charts_are_bilingual_with_a_cjk_font(runs, baseline):
    if fonts.configure_cjk_font() is None:
        pytest.skip("no CJK font on this machine")
    for key, figure in _charts(runs, baseline, Unit.WAN).items():
        heading = figure.get_suptitle() or figure.axes[0].get_title()
        zh, _, en = heading.partition("\n")
        assert CJK.search(zh) and en and not CJK.search(en.split(":")[-1]), (key, heading)


def test_charts_fall_back_to_english_without_a_cjk_font(runs, baseline, monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_fallback_noted", True)
    for key, figure in _charts(runs, baseline, Unit.WAN).items():
        chinese = [t for t in _texts(figure) if CJK.search(t)]
        assert not chinese, (key, chinese)


def test_the_distribution_marks_the_percentiles_and_the_horizon_budget(runs, baseline):
    summary = runs["summary"]
    figure = plots.distribution_chart(summary, Unit.WAN)
    lines = figure.axes[0].get_lines()
    marked = sorted(float(line.get_xdata()[0]) for line in lines)
    # the run's own table of the horizon total (computed by the accumulator)
    total = summary.tables["summary_by_year"].loc["2025–2030"] / 1e4
    budget = 9e8 * len(summary.horizon) / 1e4
    expected = sorted([total["p5_yuan"], total["p50_yuan"], total["p95_yuan"], budget])
    np.testing.assert_allclose(marked, expected, rtol=1e-9)
    # the S-curve runs from 1/n to 1 over the sorted totals
    curve = figure.axes[1].get_lines()[0]
    assert curve.get_ydata()[-1] == 1 and np.all(np.diff(curve.get_xdata()) >= 0)


def test_the_spider_passes_through_the_base_and_the_tornado_ends(runs):
    result = runs["tornado"]
    figure = plots.spider_chart(result, Unit.YUAN, top=4)
    lines = [line for line in figure.axes[0].get_lines() if len(line.get_xdata()) == 3]
    assert len(lines) == 4
    # the factors with a multiplier (a discrete factor — a reading, a year — has no slope)
    table = result.table
    multipliers = table[table["low"].notna() & (table["kind"] != "exit_lag")]
    assert len(multipliers) < len(table)
    for line, row in zip(lines, multipliers.head(4).itertuples(), strict=True):
        np.testing.assert_allclose(line.get_xdata(), [row.low, 1, row.high])
        np.testing.assert_allclose(
            line.get_ydata(), [row.mean_low_yuan, result.base_mean, row.mean_high_yuan]
        )


def test_loss_ratio_chart_marks_the_tolerance():
    spec = binary_fund()
    figure = plots.loss_ratio_chart(simulate_fund(spec, YEARS, 0, 20_000, seed=11), spec)
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    assert any(np.allclose(line.get_xdata(), 0.5) for line in axes.get_lines())


def test_a_notebook_shows_a_chart_once_as_png_with_its_title_as_text(runs):
    shown = show(plots.fan_chart(runs["summary"], Unit.WAN))
    assert shown._repr_png_().startswith(b"\x89PNG\r\n\x1a\n")
    assert repr(shown).startswith("chart: ") and "Figure size" not in repr(shown)
    assert not hasattr(shown, "_repr_html_")  # one image, no second representation
