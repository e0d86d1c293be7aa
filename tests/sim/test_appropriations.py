"""One draw's payments against the appropriations (model/sim/appropriations.py), on small
cases computed by hand."""

from __future__ import annotations

import math

import pytest

from model.policy.timing_settings import TimingSettings
from model.sim.appropriations import DrawLoop
from model.sim.timing import SLOTS_PER_MONTH


def _loop(rule: str, limits: list[float], *, divisible: bool = False) -> DrawLoop:
    return DrawLoop(
        [limits], [(0,)], len(limits), TimingSettings(on_shortfall=rule, divisible=divisible)
    )


def _due(slot: int) -> float:
    return (slot + 0.5) / SLOTS_PER_MONTH


def test_hand_computed_rejections():
    # 100 yuan; day 10: 3 applications of 40; day 20: one of 30
    paid, late, records = _loop("reject", [100.0, 100.0]).run(
        [10, 20], [0, 0], [0, 0], [3, 1], [40.0, 30.0]
    )
    assert paid == [80.0, 0.0] and late == []
    assert [r[:4] for r in records] == [(0, 0, 1, 40.0), (1, 0, 1, 30.0)]
    paid, _, records = _loop("reject", [100.0, 100.0], divisible=True).run(
        [10, 20], [0, 0], [0, 0], [3, 1], [40.0, 30.0]
    )
    assert paid == [100.0, 0.0]
    assert [r[:4] for r in records] == [(0, 0, 0.5, 20.0), (1, 0, 1, 30.0)]


def test_hand_computed_deferrals_queue_first_come_first_served():
    # the day-20 application would fit (20 left) but queues behind the deferred one
    paid, late, records = _loop("defer", [100.0, 100.0]).run(
        [10, 20], [0, 0], [0, 0], [3, 1], [40.0, 10.0]
    )
    assert paid == [80.0, 0.0]
    assert late == [(0, 1, 40.0), (1, 1, 10.0)]
    assert [r[:5] for r in records] == [(0, 1, 1, 40.0, 360), (1, 1, 1, 10.0, 360)]
    assert records[0][5] == pytest.approx(12 - _due(10))
    # next year's 50 pays the first claim only; the second is outstanding at the end
    paid, late, records = _loop("defer", [100.0, 50.0]).run(
        [10, 20], [0, 0], [0, 0], [3, 1], [40.0, 30.0]
    )
    assert late == [(0, 1, 40.0)]
    assert records[-1][:4] == (1, 2, 1, 30.0) and math.isnan(records[-1][5])


def test_same_day_batches_are_served_in_catalog_order():
    # item 1's call process starts first, but item 0 comes first within the day
    loop = DrawLoop([[50.0]], [(0,), (0,)], 1, TimingSettings())
    paid, _, records = loop.run([10, 10], [1, 0], [0, 0], [1, 1], [40.0, 40.0])
    assert paid == [0.0, 40.0] and [r[:2] for r in records] == [(0, 0)]
