"""The timeline's tables (model/analysis/timeline_tables.py) against its draws."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.timeline import rationed

from model import load_scenario
from model.analysis.timeline_tables import summarize_timeline
from model.sim.timeline import timeline

DRAWS = 40


@pytest.fixture(scope="module")
def baseline_run(baseline):
    return timeline(baseline, DRAWS, seed=11)


@pytest.fixture(scope="module")
def rejected_run():
    """The appropriation-ceilings variant, rejecting whole applications."""
    ceilings = load_scenario("appropriation_ceilings")
    return timeline(ceilings, DRAWS, seed=11, timing={"on_shortfall": "reject", "divisible": False})


def test_summary_tables(baseline_run, rejected_run):
    tables = summarize_timeline(baseline_run)
    cashflow = tables["monthly_cashflow"]
    total = cashflow.xs("total", level="group")
    np.testing.assert_allclose(total["mean_yuan"], baseline_run.total.mean(axis=0))
    assert (total["p5_yuan"] <= total["p50_yuan"]).all()
    assert (total["p50_yuan"] <= total["p95_yuan"]).all()
    peak = tables["peak"]
    assert peak.loc["all", "draws"] == DRAWS
    assert peak.drop(index="all")["draws"].sum() == DRAWS
    np.testing.assert_allclose(peak.loc["all", "mean_yuan"], baseline_run.peak_yuan.mean())
    rationing = summarize_timeline(rejected_run)["rationing"]
    assert rationing["mean_rejected_yuan"].sum() * DRAWS == pytest.approx(
        rationed(rejected_run, "rejected").sum()
    )
