"""The event model (model/sim/timeline.py): monthly cash flow against the engine's years,
first-come-first-served rationing identities, deferral conservation, keyed timing
streams, hooks and settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers.timeline import rationed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from model import apply_variant, load_scenario
from model.core.errors import InputError
from model.sim.appropriations import appropriations
from model.sim.timeline import ExternalEvents, timeline

DRAWS = 40
#: Money identities hold to the fen (amounts are settled to the fen) and float rounding.
FEN = 0.01


@pytest.fixture(scope="module")
def ceilings():
    return load_scenario("appropriation_ceilings")


@pytest.fixture(scope="module")
def baseline_run(baseline):
    return timeline(baseline, DRAWS, seed=11)


@pytest.fixture(scope="module")
def ceiling_runs(ceilings):
    """The appropriation-ceilings variant under each shortfall rule, whole or divisible."""
    return {
        (rule, divisible): timeline(
            ceilings, DRAWS, seed=11, timing={"on_shortfall": rule, "divisible": divisible}
        )
        for rule in ("reject", "defer")
        for divisible in (False, True)
    }


def _pots(scenario, result):
    """(name, yearly limits, member item positions) of each appropriation."""
    names, limits, item_pots = appropriations(scenario, result.years)
    return [
        (name, np.array(limit), [i for i, pots in enumerate(item_pots) if p in pots])
        for p, (name, limit) in enumerate(zip(names, limits, strict=True))
    ]


# ------------------------------------------------------------------ no ceilings
def test_monthly_cash_adds_up_to_the_engine_years_draw_for_draw(baseline_run):
    result = baseline_run
    demand = result.engine.demand
    assert np.array_equal(result.engine.funded, demand)
    np.testing.assert_allclose(result.annual_item_cash(), demand, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(result.total.sum(axis=1), demand.sum(axis=(1, 2)), rtol=1e-12)
    assert (result.item_cash >= 0).all() and (result.cash >= 0).all()
    assert result.rationing.empty


def test_the_event_loop_changes_nothing_without_a_binding_appropriation(baseline, baseline_run):
    looped = timeline(baseline, DRAWS, seed=11, full_loop=True)
    np.testing.assert_allclose(looped.item_cash, baseline_run.item_cash, rtol=1e-12, atol=1e-6)
    ample = apply_variant(
        baseline,
        {
            "ceilings": [
                {
                    "id": "everything",
                    "name_zh": "全部",
                    "name_en": "all",
                    "items": list(baseline.items),
                    "annual_yuan": 1e12,  # the largest amount the schema allows
                    "basis": "test: never binds",
                }
            ]
        },
    )
    rationed = timeline(ample, DRAWS, seed=11)
    np.testing.assert_allclose(rationed.item_cash, baseline_run.item_cash, rtol=1e-12, atol=1e-6)
    assert rationed.rationing.empty


def test_call_payments_are_uniform_over_the_pay_window(baseline):
    """With a fixed review lag, each application is paid uniformly over the two months
    after approval: the number paid in the first is Binomial(n, ½)."""
    item = "specialised_sme_municipal"  # fixed award: cash ∝ applications
    result = timeline(
        baseline,
        30,
        seed=3,
        timing={
            "items": {
                item: {
                    "mode": "call",
                    "open_month": 3,
                    "window_months": 2,
                    "review_months": [4, 4],
                    "pay_months": [0, 2],
                }
            }
        },
    )
    i = list(result.items.index).index(item)
    by_month = result.item_cash[:, i].reshape(30, -1, 12)[:, :3]  # admission years
    first, second = by_month[..., 8], by_month[..., 9]  # September, October
    np.testing.assert_allclose(first + second, by_month.sum(axis=-1), rtol=1e-12)
    award = result.items.loc[item, "cap_yuan"]
    paid_first = round(first.sum() / award)
    total = round((first + second).sum() / award)
    assert stats.binomtest(paid_first, total, 0.5).pvalue > 1e-3


def test_rolling_payments_stay_inside_their_window(baseline_run):
    item = "tech_sme_registration_award"  # rolling: January–September + 1–3 months
    i = list(baseline_run.items.index).index(item)
    by_month = baseline_run.item_cash[:, i].reshape(DRAWS, -1, 12)
    assert by_month[..., 0].sum() == 0  # nothing before a month of review
    assert by_month.sum() > 0


# ------------------------------------------------------------------ rationing
def test_divisible_reject_pays_exactly_the_engines_funded_amount(ceilings, ceiling_runs):
    """Paying an application in part, FCFS and pro rata ration different applications,
    but each appropriation pays min(demand, ceiling) a year either way."""
    result = ceiling_runs["reject", True]
    paid = result.annual_item_cash()
    rejected = rationed(result, "rejected")
    engine = result.engine
    for name, _, members in _pots(ceilings, result):
        np.testing.assert_allclose(
            paid[:, members].sum(axis=1),
            engine.funded[:, members].sum(axis=1),
            rtol=1e-9,
            atol=FEN,
            err_msg=name,
        )
        np.testing.assert_allclose(
            rejected[:, members].sum(axis=1),
            engine.unfunded[:, members].sum(axis=1),
            rtol=1e-9,
            atol=FEN,
            err_msg=name,
        )
    assert rejected.sum() > 0


def test_whole_reject_falls_short_of_the_ceiling_by_less_than_one_application(
    ceilings, ceiling_runs
):
    """Whole applications: each year an appropriation pays at most its ceiling, and
    min(demand, ceiling) − paid < the largest application that competed for it."""
    result = ceiling_runs["reject", False]
    paid = result.annual_item_cash()
    demand = result.engine.demand
    np.testing.assert_allclose(paid + rationed(result, "rejected"), demand, rtol=1e-9, atol=FEN)
    for name, limit, members in _pots(ceilings, result):
        group_paid = paid[:, members].sum(axis=1)
        group_demand = demand[:, members].sum(axis=1)
        largest = result.largest_application[:, members].max(axis=1)
        assert (group_paid <= limit + FEN).all(), name
        shortfall = np.minimum(group_demand, limit) - group_paid
        assert (shortfall > -FEN).all() and (shortfall < largest + FEN).all(), name
    engine_unfunded = result.engine.unfunded.sum()
    assert rationed(result, "rejected").sum() >= engine_unfunded - FEN


def test_divisible_defer_follows_the_backlog_recursion(ceilings, ceiling_runs):
    """Deferred money is paid first from next year's appropriation:
    paid_y = min(C_y, B_{y−1} + D_y), B_y = B_{y−1} + D_y − paid_y."""
    result = ceiling_runs["defer", True]
    paid = result.annual_item_cash()
    demand = result.engine.demand
    for name, limit, members in _pots(ceilings, result):
        group_demand = demand[:, members].sum(axis=1)
        backlog = np.zeros(DRAWS)
        for y in range(len(result.years)):
            expected = np.minimum(limit[y], backlog + group_demand[:, y])
            np.testing.assert_allclose(
                paid[:, members, y].sum(axis=1),
                expected,
                rtol=1e-9,
                atol=1.0,
                err_msg=f"{name} {result.years[y]}",
            )
            backlog += group_demand[:, y] - expected
        outstanding = rationed(result, "outstanding")[:, members].sum(axis=(1, 2))
        np.testing.assert_allclose(outstanding, backlog, rtol=1e-9, atol=1.0)


@pytest.mark.parametrize("divisible", [False, True])
def test_deferral_loses_nothing_and_pays_each_january(ceilings, ceiling_runs, divisible):
    result = ceiling_runs["defer", divisible]
    paid = result.annual_item_cash()
    demand = result.engine.demand
    outstanding = rationed(result, "outstanding").sum(axis=2)
    np.testing.assert_allclose(
        paid.sum(axis=2) + outstanding, demand.sum(axis=2), rtol=1e-9, atol=FEN
    )
    for _, limit, members in _pots(ceilings, result):
        assert (paid[:, members].sum(axis=1) <= limit + FEN).all()
    deferred = result.rationing[result.rationing["outcome"] == "deferred"]
    assert not deferred.empty and (result.rationing["outcome"] != "rejected").all()
    paid_month = pd.PeriodIndex(deferred["paid_month"], freq="M")
    assert (paid_month.month == 1).all() and (paid_month.year > deferred["year"]).all()
    assert (deferred["wait_months"] > 0).all()
    assert (result.item_cash >= 0).all()


# ------------------------------------------------------------------ reproducibility
def test_same_seed_same_timeline_other_seed_other_timeline(baseline, baseline_run):
    again = timeline(baseline, DRAWS, seed=11)
    assert np.array_equal(again.item_cash, baseline_run.item_cash)
    assert not np.array_equal(timeline(baseline, DRAWS, seed=12).item_cash, baseline_run.item_cash)


def test_first_draws_do_not_depend_on_run_length(baseline, baseline_run):
    short = timeline(baseline, 15, seed=11)
    assert np.array_equal(short.item_cash, baseline_run.item_cash[:15])


def test_one_items_timing_never_moves_anothers(baseline, baseline_run):
    changed = "basic_research_project"
    moved = timeline(baseline, DRAWS, seed=11, timing={"items": {changed: {"open_month": 5}}})
    i = list(baseline.items).index(changed)
    others = np.arange(len(baseline_run.items)) != i
    assert np.array_equal(moved.item_cash[:, others], baseline_run.item_cash[:, others])
    assert not np.array_equal(moved.item_cash[:, i], baseline_run.item_cash[:, i])
    fewer = apply_variant(
        baseline,
        {"items": {changed: {"uptake": {"dist": "poisson", "mean": 50.0, "basis": "test"}}}},
    )
    varied = timeline(fewer, DRAWS, seed=11)
    assert np.array_equal(varied.item_cash[:, others], baseline_run.item_cash[:, others])


def test_zero_uptake_makes_no_events(baseline):
    nothing = apply_variant(
        baseline,
        {
            "items": {
                i: {"uptake": {"dist": "fixed", "value": 0, "basis": "test"}}
                for i in baseline.items
            }
        },
    )
    result = timeline(nothing, 5, seed=1)
    assert (result.batches == 0).all() and result.rationing.empty
    assert (result.item_cash[:, : len(baseline.items)] == 0).all()


# ------------------------------------------------------------------ hooks and settings
def test_external_events_and_extra_months(baseline, baseline_run):
    events = ExternalEvents.from_lists(
        [[(14, 5e7, "funds"), (14, 1e7, "funds")], [], [(0, 2e6, "loans")]]
        + [[] for _ in range(DRAWS - 3)]
    )
    fund = "future_seed_fund"
    result = timeline(baseline, DRAWS, seed=11, events=events, timing={"extra_months": {fund: 7}})
    assert result.event_groups == ["funds", "loans"]
    extra = result.total - baseline_run.total
    f = list(result.items.index).index(fund)
    moved = result.item_cash[:, f] - baseline_run.item_cash[:, f]
    np.testing.assert_allclose((extra - moved)[0, 14], 6e7)
    np.testing.assert_allclose((extra - moved)[2, 0], 2e6)
    assert np.abs(np.delete(extra - moved, [14], axis=1)[0]).max() < 1e-6
    by_month = result.item_cash[:, f].reshape(DRAWS, -1, 12)
    assert (np.delete(by_month, 6, axis=2) == 0).all()  # the whole year in July
    np.testing.assert_allclose(
        result.annual_item_cash(), result.engine.demand, rtol=1e-12, atol=1e-6
    )
    with pytest.raises(ValueError, match="month"):
        timeline(baseline, 2, seed=1, events=ExternalEvents.from_lists([[(10_000, 1.0, "x")], []]))


def test_bad_timing_settings_name_item_and_field(baseline):
    with pytest.raises(InputError) as caught:
        timeline(
            baseline,
            2,
            seed=1,
            timing={
                "items": {
                    "basic_research_project": {"open_month": 13},
                    "not_an_item": {"open_month": 2},
                    "key_tech_key_project": {"review_months": [5, 3]},
                },
                "on_shortfall": "later",
            },
        )
    text = caught.value.report()
    for expected in (
        "basic_research_project",
        "open_month",
        "not_an_item",
        "key_tech_key_project",
        "review_months",
        "on_shortfall",
    ):
        assert expected in text


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ceiling=st.floats(2e7, 4e8), rule=st.sampled_from(["reject", "defer"]), divisible=st.booleans()
)
def test_rationing_invariants_for_any_ceiling(baseline, ceiling, rule, divisible):
    members = ["tech_sme_registration_award", "specialised_sme_municipal", "tech_broker_award"]
    scenario = apply_variant(
        baseline,
        {
            "ceilings": [
                {
                    "id": "some",
                    "name_zh": "部分",
                    "name_en": "some",
                    "items": members,
                    "annual_yuan": ceiling,
                    "basis": "test",
                }
            ]
        },
    )
    result = timeline(scenario, 4, seed=5, timing={"on_shortfall": rule, "divisible": divisible})
    paid = result.annual_item_cash()
    positions = [list(result.items.index).index(m) for m in members]
    limit = np.array([ceiling if y in result.horizon else np.inf for y in result.years])
    assert (paid[:, positions].sum(axis=1) <= limit + FEN).all()
    lost = rationed(result, "rejected") + rationed(result, "outstanding")
    np.testing.assert_allclose(
        paid.sum(axis=2) + lost.sum(axis=2), result.engine.demand.sum(axis=2), rtol=1e-9, atol=FEN
    )
    assert (result.item_cash >= 0).all()
