"""Per-draw array helpers of the capital programmes (model/finance/draw_arrays.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from model.finance.draw_arrays import run_sums, to_horizon


def test_to_horizon_maps_years_by_definition():
    rng = np.random.default_rng(0)
    years = np.arange(2025, 2031)
    for span in range(1, 9):
        for first_year in range(2017, 2034):
            values = rng.random((3, span))
            calendar = first_year + np.arange(span)
            flow, before, beyond = to_horizon(values, first_year, years, stock=False)
            stock = to_horizon(values, first_year, years, stock=True)[0]
            for k, year in enumerate(years):
                column = values[:, calendar == year]
                np.testing.assert_array_equal(flow[:, k], column[:, 0] if column.size else 0)
                held = values[:, calendar <= year]
                np.testing.assert_array_equal(stock[:, k], held[:, -1] if held.size else 0)
            np.testing.assert_allclose(before, values[:, calendar < years[0]].sum(axis=1))
            np.testing.assert_allclose(beyond, values[:, calendar > years[-1]].sum(axis=1))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cells=st.integers(0, 60))
def test_run_sums_depend_on_each_run_alone(seed, cells):
    # a run's sum must not change when more runs follow it (the prefix property of
    # per-draw totals): numpy's pairwise sum groups elements by the run's length
    rng = np.random.default_rng(seed)
    counts = rng.choice([0, 1, 7, 8, 15, 16, 23, 40], size=cells)
    values = rng.random(int(counts.sum())) * 1e6
    ends = np.cumsum(counts)
    # each run reduced on its own (reduceat's order: the first value, then the rest)
    expected = [
        np.add.reduceat(values[end - count : end], [0])[0] if count else 0.0
        for end, count in zip(ends, counts, strict=True)
    ]
    np.testing.assert_array_equal(run_sums(values, counts), np.array(expected, dtype=float))
    largest = [
        values[end - count : end].max() if count else 0.0
        for end, count in zip(ends, counts, strict=True)
    ]
    np.testing.assert_array_equal(run_sums(values, counts, np.maximum), largest)
    for m in range(cells + 1):
        head = int(counts[:m].sum())
        np.testing.assert_array_equal(
            run_sums(values[:head], counts[:m]), run_sums(values, counts)[:m]
        )
