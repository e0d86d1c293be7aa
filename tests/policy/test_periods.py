"""Budget periods (model/policy/periods.py): the plan year, its spans and labels, and
period sums against hand-computed totals."""

from __future__ import annotations

import numpy as np
import pytest

from model.core.errors import InputError
from model.policy.periods import PERIOD_NAMES, Periods
from model.policy.scenario import apply_variant

PERIODS = Periods(horizon_start=2025, horizon_end=2030, plan_start=2027)
YEARS = list(range(2025, 2032))  # the run's axis runs one year past the horizon


def test_the_plan_is_three_years_from_plan_start():
    assert PERIODS.plan_years == [2027, 2028, 2029]
    labels = {name: PERIODS.label(name) for name in PERIOD_NAMES}
    assert labels == {
        "before_horizon": "…–2024",
        "horizon": "2025–2030",
        "beyond_horizon": "2031–…",
        "before_plan": "…–2026",
        "plan": "2027–2029",
        "after_plan": "2030–…",
        "life": "all years",
    }


def test_period_sums_equal_hand_sums():
    by_year = np.array([[1.0, 2, 3, 4, 5, 6, 7], [10, 20, 30, 40, 50, 60, 70]])
    before, beyond = np.array([100.0, 1000]), np.array([0.5, 5])
    sums = PERIODS.sums(by_year, YEARS, before, beyond)
    expected = {  # first draw by hand; the second is ten times it but for before/beyond
        "before_horizon": [100, 1000],
        "horizon": [1 + 2 + 3 + 4 + 5 + 6, 210],
        "beyond_horizon": [7 + 0.5, 75],
        "before_plan": [100 + 1 + 2, 1030],
        "plan": [3 + 4 + 5, 120],
        "after_plan": [6 + 7 + 0.5, 135],
        "life": [100 + 28 + 0.5, 1285],
    }
    for name, values in expected.items():
        np.testing.assert_array_equal(sums[name], values, err_msg=name)
    for first, middle, last in (
        ("before_horizon", "horizon", "beyond_horizon"),
        ("before_plan", "plan", "after_plan"),
    ):
        np.testing.assert_allclose(sums[first] + sums[middle] + sums[last], sums["life"])


def test_plan_start_defaults_to_the_horizon_start_never_the_clock(baseline, deterministic):
    assert baseline.spec.plan_start == 2027 and baseline.plan_start == 2027
    assert deterministic.spec.plan_start is None
    assert deterministic.plan_start == deterministic.spec.horizon.start
    assert apply_variant(baseline, {"cap_scale": 0.5}).plan_start == 2027
    assert apply_variant(baseline, {"plan_start": 2028}).periods.plan_years == [2028, 2029, 2030]


@pytest.mark.parametrize("plan_start", [2024, 2029, 2031])
def test_plan_years_outside_the_horizon_are_an_input_error(baseline, plan_start):
    with pytest.raises(InputError) as error:
        apply_variant(baseline, {"plan_start": plan_start}, label="--plan-start")
    (problem,) = error.value.problems
    assert problem.field == "plan_start" and problem.file == "--plan-start"
    assert "2025–2030" in problem.message
