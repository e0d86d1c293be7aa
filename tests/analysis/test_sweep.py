"""Sweep specifications (model/analysis/sweep.py): validated like every input (all
problems at once, each naming the file and field), expanded into points that are the
scenarios they say, each run on the sweep's common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

from model.analysis.sweep import load_sweep, run_point
from model.core.errors import InputError
from model.policy.scenario import load_scenario
from model.sim.engine import simulate


def _spec(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_grid_is_the_product_of_its_values_after_the_listed_scenarios(tmp_path):
    sweep = load_sweep(
        _spec(
            tmp_path,
            "draws: 50\nscenarios: [cap_cut_20_max]\n"
            "grid:\n  key_tech_major_project:uptake: [0.5, 1.5]\n  cap_scale: [0.8, 0.9, 1.0]\n",
        )
    )
    assert [p.id for p in sweep.points] == [f"p{k:04d}" for k in range(7)]
    assert sweep.points[0].scenario.digest() == load_scenario("cap_cut_20_max").digest()
    assert sweep.points[1].factors == {"key_tech_major_project:uptake": 0.5, "cap_scale": 0.8}
    assert sweep.points[1].scenario.spec.cap_scale == 0.8


def test_a_sobol_sample_has_n_times_factors_plus_two_points(tmp_path):
    sweep = load_sweep(
        _spec(
            tmp_path,
            "sample:\n  method: sobol\n  n: 8\n  factors:\n"
            "    key_tech_major_project:uptake: [0.5, 1.5]\n    cap_scale: [0.8, 1.2]\n",
        )
    )
    assert len(sweep.points) == 8 * (2 + 2)
    values = np.array(
        [[p.factors["key_tech_major_project:uptake"], p.factors["cap_scale"]] for p in sweep.points]
    )
    assert values.min(axis=0).tolist() >= [0.5, 0.8] and values.max(axis=0).tolist() <= [1.5, 1.2]


def test_every_problem_is_reported_with_file_and_field(tmp_path):
    path = _spec(
        tmp_path,
        "draws: 0\nseed: -1\nnmae: x\ngrid:\n  no_such_item:uptake: [1.0]\n"
        "sample:\n  n: 6\n  factors: {cap_scale: [1.2, 0.8]}\n",
    )
    with pytest.raises(InputError) as raised:
        load_sweep(path)
    report = raised.value.report()
    for field in ("draws", "seed", "nmae", "sample.n", "sample.factors.cap_scale"):
        assert field in report, field
    assert str(path) in report


def test_unknown_factors_are_named(tmp_path):
    path = _spec(
        tmp_path, "grid:\n  no_such_item:uptake: [1.0]\n  basic_research_project:size: [1]\n"
    )
    with pytest.raises(InputError) as raised:
        load_sweep(path)
    report = raised.value.report()
    assert "grid.no_such_item:uptake" in report and "grid.basic_research_project:size" in report


def test_an_empty_sweep_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="nothing to run"):
        load_sweep(_spec(tmp_path, "draws: 10\n"))


def test_a_point_is_its_scenario_on_the_sweeps_draws(baseline):
    frame = run_point(baseline, 300, 11)
    city = simulate(baseline, 300, seed=11).city.sum(axis=1)
    assert np.array_equal(frame["total_2026_yuan"].to_numpy(), city[:, 1])
    assert np.allclose(frame["horizon_total_yuan"], city[:, :6].sum(axis=1), rtol=0, atol=1e-6)
