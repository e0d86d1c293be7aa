"""A run's tables built chunk by chunk (model/analysis/tables.py): beyond the exact limit,
the top-level totals stay exact, means and shares stay exact sums, and the items',
groups' and programmes' percentiles are within the sketch's stated error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.analysis.plan import plan_groupings, plan_table
from model.analysis.tables import RunAccumulator
from model.core.sketch import SKETCH_RELATIVE_ERROR
from model.sim.engine import simulate

DRAWS = 6_000


@pytest.fixture(scope="module")
def both(baseline):
    chunks = [simulate(baseline, 3_000, seed=3, start=start) for start in (0, 3_000)]
    groupings = plan_groupings(baseline)
    exact = RunAccumulator(baseline, groupings=groupings)
    sketched = RunAccumulator(baseline, groupings=groupings)
    sketched.exact = False
    for chunk in chunks:
        exact.add(chunk)
        sketched.add(chunk)
    return exact.finish(), sketched.finish()


def test_chunks_must_come_in_draw_order(baseline):
    accumulator = RunAccumulator(baseline)
    with pytest.raises(ValueError, match="draw order"):
        accumulator.add(simulate(baseline, 10, seed=1, start=10))


def test_top_level_totals_are_exact_either_way(both):
    exact, sketched = both
    for name in ("summary_by_year", "fan"):
        pd.testing.assert_frame_equal(exact.tables[name], sketched.tables[name], rtol=1e-12)


@pytest.mark.parametrize("name", ["budget_by_item", "budget_by_article", "budget_by_unit"])
def test_sketched_percentiles_are_within_the_stated_error(both, name):
    exact, sketched = both
    a, b = exact.tables[name], sketched.tables[name]
    for column in ("mean_yuan", "sd_yuan", "mcse_yuan"):
        np.testing.assert_allclose(b[column], a[column], rtol=1e-9, atol=1e-6)
    for column in ("p5_yuan", "p50_yuan", "p95_yuan", "p99_yuan"):
        gap = (b[column] - a[column]).abs()
        assert (gap <= SKETCH_RELATIVE_ERROR * a[column].abs() * (1 + 1e-9) + 1e-6).all()
    assert (b["p95_yuan"] != a["p95_yuan"]).any()  # the sketch is in use


def test_programme_tables_agree(both):
    exact, sketched = both
    for name, table in exact.programme_tables.items():
        other = sketched.programme_tables[name]
        assert list(other.columns) == list(table.columns) and other.index.equals(table.index)
        for column in table.columns:
            if not pd.api.types.is_numeric_dtype(table[column]):
                assert table[column].equals(other[column])
                continue
            bound = np.abs(table[column]) * (1e-9 if "_p" not in column else SKETCH_RELATIVE_ERROR)
            gap = np.abs(other[column] - table[column])
            assert (gap <= bound * (1 + 1e-9) + 1e-6).all(), (name, column)
    for fund, ratios in exact.loss_ratios.items():
        assert sketched.loss_ratios[fund].p_breach == ratios.p_breach
        assert sketched.loss_ratios[fund].counts.sum() == ratios.counts.sum() == DRAWS


def test_the_plan_table_is_the_same_from_its_lines_statistics(both, baseline):
    exact, sketched = both
    assert not isinstance(exact.groups["plan_city"], type(sketched.groups["plan_city"]))
    a, b = plan_table(exact, baseline), plan_table(sketched, baseline)
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for column in a.columns:
        if not pd.api.types.is_numeric_dtype(a[column]):
            assert a[column].fillna("").equals(b[column].fillna("")), column
            continue
        bound = np.abs(a[column]) * (SKETCH_RELATIVE_ERROR if column.startswith("p") else 1e-9)
        gap = np.abs(b[column] - a[column])
        both_empty = a[column].isna() & b[column].isna()
        assert ((gap <= bound * (1 + 1e-9) + 1e-6) | both_empty).all(), column
