"""The vectorized engine against the plain per-draw loop of ``tests/sim/loop_reference.py``
(also the baseline of ``benchmarks/bench_engine.py``).

The loop shares none of the engine's machinery (random streams, inversion tables, the
normal approximation of large award sums, arrays over draws), so agreement in
distribution checks the engine's vectorization independently of its closed forms.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from model import simulate

REFERENCE_PATH = Path(__file__).resolve().parent / "loop_reference.py"
#: The loop runs at 300–500 draws a second on the baseline: 3,000 draws take 6–10 s.
LOOP_DRAWS = 3_000
ENGINE_DRAWS = 20_000


def _load_reference():
    spec = importlib.util.spec_from_file_location("loop_reference", REFERENCE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


simulate_loop = _load_reference().simulate_loop


def _grant_demand(results, scenario) -> np.ndarray:
    """The grant items' rows of a run's demand (funds and the like follow them)."""
    n_items = len(scenario.items)
    assert list(results.items.index[:n_items]) == list(scenario.items)
    return results.demand[:, :n_items, :]


@pytest.fixture(scope="module")
def both_runs(baseline):
    """Gross demand of the grant items (draws × items × years, yuan) from the engine and
    from the loop."""
    engine = _grant_demand(simulate(baseline, ENGINE_DRAWS, seed=31), baseline)
    loop = simulate_loop(baseline, LOOP_DRAWS, seed=32)
    return engine, loop


def test_loop_returns_the_engines_axes(baseline, both_runs):
    engine, loop = both_runs
    assert loop.shape == (LOOP_DRAWS, len(baseline.items), len(baseline.payment_years))
    assert loop.shape[1:] == engine.shape[1:]
    assert np.all(loop >= 0)


@pytest.mark.slow
def test_item_year_means_agree(baseline, both_runs):
    """Every item × year mean within 5 combined standard errors (exactly equal where
    neither run varies, e.g. the three provincial laboratories' fixed funding)."""
    engine, loop = both_runs
    gap = engine.mean(axis=0) - loop.mean(axis=0)
    se = np.sqrt(engine.var(axis=0, ddof=1) / ENGINE_DRAWS + loop.var(axis=0, ddof=1) / LOOP_DRAWS)
    scale = np.maximum(np.abs(loop.mean(axis=0)), 1.0)
    ok = np.abs(gap) <= 5 * se + 1e-9 * scale
    years = baseline.payment_years
    bad = [
        f"{item} {years[j]}: gap {gap[i, j]:,.0f} yuan, se {se[i, j]:,.0f}"
        for i, item in enumerate(baseline.items)
        for j in range(len(years))
        if not ok[i, j]
    ]
    assert not bad, "; ".join(bad)


@pytest.mark.slow
def test_yearly_totals_have_the_same_distribution(baseline, both_runs):
    """Two-sample Kolmogorov–Smirnov test of each year's total over the grant items."""
    engine, loop = both_runs
    engine_totals, loop_totals = engine.sum(axis=1), loop.sum(axis=1)
    for j, year in enumerate(baseline.payment_years):
        if not engine_totals[:, j].any() and not loop_totals[:, j].any():
            continue  # nothing is paid that year in either run
        pvalue = stats.ks_2samp(engine_totals[:, j], loop_totals[:, j]).pvalue
        assert pvalue > 1e-3, f"{year}: KS p = {pvalue:.2e}"


def test_deterministic_scenario_gives_identical_arrays(deterministic):
    scenario = deterministic
    engine = _grant_demand(simulate(scenario, 20, seed=1), scenario)
    loop = simulate_loop(scenario, 20, seed=2)
    assert engine.any()
    np.testing.assert_array_equal(loop, engine)
