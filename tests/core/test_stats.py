"""Statistics over draws (model/core/stats.py) against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from model.core.stats import describe, describe_columns


def test_p_exceed_and_the_expected_shortfall_by_hand():
    stats = describe(np.array([1.0, 2.0, 3.0, 4.0]), budget=2.5, suffix="_yuan")
    assert stats["p_exceed"] == 0.5
    assert stats["shortfall_mean_yuan"] == ((3 - 2.5) + (4 - 2.5)) / 2
    none_over = describe(np.array([1.0, 2.0]), budget=5.0)
    assert none_over["p_exceed"] == 0 and math.isnan(none_over["shortfall_mean"])


def test_one_budget_per_column():
    frame = pd.DataFrame({2026: [1.0, 2.0, 3.0, 4.0], 2027: [10.0, 20.0, 30.0, 40.0]})
    table = describe_columns(frame, budget=[3.0, 15.0], suffix="_yuan")
    assert table.loc[2026, "p_exceed"] == 0.25 and table.loc[2026, "shortfall_mean_yuan"] == 1.0
    assert table.loc[2027, "p_exceed"] == 0.75
    assert table.loc[2027, "shortfall_mean_yuan"] == (5 + 15 + 25) / 3
