"""Paired runs (model/analysis/paired.py) over worker processes: chunks of whole
random-stream blocks, folded in draw order, give exactly the engine's own draws."""

from __future__ import annotations

import numpy as np
import pytest

from model import apply_variant, simulate
from model.analysis.paired import PairedRuns, changed_rows
from model.core.streams import BLOCK_DRAWS

SEED = 11


@pytest.mark.slow
def test_two_chunks_over_two_workers_are_the_engines_draws(baseline):
    # two chunks (a whole block and 50 draws), simulated by two processes: the base's
    # per-row costs and a changed item's totals are the engine's, draw for draw
    draws = BLOCK_DRAWS + 50
    variant = apply_variant(
        baseline,
        {
            "items": {
                "national_key_lab_conversion_reward": {
                    "uptake": {"dist": "binomial", "pool": 11, "p": 0.3, "basis": "test"}
                }
            }
        },
        label="fewer claims",
    )
    changed = changed_rows(baseline, variant)
    assert changed == ["national_key_lab_conversion_reward"]
    whole = simulate(baseline, draws, seed=SEED)
    with PairedRuns(baseline, draws, SEED, workers=2) as paired:
        assert np.array_equal(paired.item_draws, whole.city)
        cost, _ = next(paired.outputs_many([(variant, changed)]))
    expected = simulate(variant, draws, seed=SEED).city.sum(axis=1)
    np.testing.assert_allclose(cost, expected, rtol=1e-12, atol=1e-3)
    row = paired.ids.index("national_key_lab_conversion_reward")
    assert not np.allclose(whole.city[:, row], 0)  # the item costs something


def test_outputs_many_gives_each_pairs_outputs_in_order(baseline):
    variants = [
        apply_variant(baseline, {"cap_scale": scale}, label=f"x{scale}") for scale in (0.5, 0.8)
    ]
    with PairedRuns(baseline, 200, SEED, workers=2) as paired:
        many = list(paired.outputs_many([(v, changed_rows(baseline, v)) for v in variants]))
        one_by_one = [paired.outputs(v) for v in variants]
        base = paired.outputs(baseline)
    for (cost, flows), (cost_1, flows_1) in zip(many, one_by_one, strict=True):
        assert np.array_equal(cost, cost_1) and np.array_equal(flows, flows_1)
    # a lower cap scale never costs more, draw by draw
    assert (many[0][0] <= many[1][0] + 1e-6).all() and (many[1][0] <= base[0] + 1e-6).all()
    assert many[0][0].sum() < base[0].sum()
