"""What is already decided (model/sim/decided.py): existing commitments, known amounts
replacing the simulation, and funding shares, against hand-computed values."""

from __future__ import annotations

import numpy as np

from model import apply_variant, simulate, summarize
from model.sim.analytic import expected_demand

LAB = 100_000_000.0


def test_known_amounts_replace_the_simulation_in_every_draw(deterministic):
    known = apply_variant(
        deterministic,
        {
            "plan_start": 2027,
            "known_amounts": {
                "provincial_lab_funding": {
                    "amounts": {2025: 50_000_000, 2026: 0},
                    "source": "check: a 决算 below the commitment",
                }
            },
        },
    )
    base = simulate(deterministic, 5, seed=3)
    results = simulate(known, 5, seed=3)
    row = list(results.items.index).index("provincial_lab_funding")
    years = results.years
    assert (results.city[:, row, years.index(2025)] == 50_000_000).all()
    assert (results.city[:, row, years.index(2026)] == 0).all()
    np.testing.assert_array_equal(
        results.city[:, row, years.index(2027) :], base.city[:, row, years.index(2027) :]
    )
    others = [i for i in range(len(results.items)) if i != row]
    np.testing.assert_array_equal(results.city[:, others], base.city[:, others])
    expected = expected_demand(known)
    assert expected.loc["provincial_lab_funding", 2025] == 50_000_000
    summary = summarize(results, known)
    z = summary.tables["analytic_check"]["z"]
    assert (z.abs() < 1e-9).all()  # every draw of the check scenario is its expectation


def test_a_known_amount_is_the_citys_share_and_grossed_up(deterministic):
    shared = apply_variant(
        deterministic,
        {
            "plan_start": 2026,
            "funding": {"provincial_lab_funding": {"city": 0.5, "province": 0.5, "basis": "check"}},
            "known_amounts": {
                "provincial_lab_funding": {"amounts": {2025: 40_000_000}, "source": "check"}
            },
        },
    )
    results = simulate(shared, 2, seed=1)
    row = list(results.items.index).index("provincial_lab_funding")
    assert (results.city[:, row, 0] == 40_000_000).all()
    assert (results.funded[:, row, 0] == 80_000_000).all()  # the province's half as well
    assert (results.city[:, row, 1] == LAB / 2).all()


def test_existing_commitments_are_the_cohorts_before_the_plan(deterministic):
    # everything is admitted in 2025: with the plan in 2026 every payment is existing
    results = simulate(apply_variant(deterministic, {"plan_start": 2026}), 2, seed=1)
    np.testing.assert_array_equal(results.city_existing, results.city)
    # with the plan starting the horizon nothing is existing
    assert simulate(deterministic, 2, seed=1).existing is None


def test_ceilings_ration_existing_and_new_alike(baseline):
    from model import load_scenario

    ceilings = load_scenario("appropriation_ceilings")
    results = simulate(ceilings, 100, seed=4)
    share = np.divide(
        results.existing,
        results.funded,
        out=np.zeros_like(results.funded),
        where=results.funded > 0,
    )
    assert (results.existing <= results.funded + 1e-6).all()
    assert (share >= 0).all() and (share <= 1 + 1e-12).all()
    raw = simulate(baseline, 100, seed=4)
    # where no ceiling bites, the existing part is the same as without ceilings
    centre = list(results.items.index).index("provincial_lab_funding")
    np.testing.assert_allclose(results.existing[:, centre], raw.existing[:, centre])
