"""Simulating on several cores (model/sim/parallel.py): chunks of whole random-stream
blocks, folded in draw order, give the same bytes for any number of worker processes."""

from __future__ import annotations

import numpy as np
import pytest

from model.core.errors import InputError
from model.core.streams import BLOCK_DRAWS
from model.sim.engine import simulate
from model.sim.parallel import check_workers, chunk_ranges, city_costs, map_ordered

DRAWS = 2 * BLOCK_DRAWS + 77  # three chunks, the last one short


def test_chunks_are_whole_blocks_covering_every_draw_once():
    ranges = chunk_ranges(DRAWS, BLOCK_DRAWS)
    assert ranges == [(0, BLOCK_DRAWS), (BLOCK_DRAWS, BLOCK_DRAWS), (2 * BLOCK_DRAWS, 77)]
    with pytest.raises(ValueError, match="multiple"):
        chunk_ranges(DRAWS, BLOCK_DRAWS + 1)


@pytest.mark.parametrize("workers", [0, -1, 257, 2.5, True])
def test_worker_counts_are_checked(workers):
    with pytest.raises(InputError, match="--workers"):
        check_workers(workers)


def test_results_come_back_in_order_from_every_process():
    arguments = [(float(k),) for k in range(7)]
    assert list(map_ordered(np.sqrt, arguments, workers=3)) == [np.sqrt(k) for k in range(7)]


@pytest.mark.slow
def test_the_city_costs_are_identical_on_one_or_three_processes(baseline):
    one = city_costs(baseline, DRAWS, seed=5, workers=1)
    three = city_costs(baseline, DRAWS, seed=5, workers=3)
    assert np.array_equal(one, three)
    # and equal to one simulation of every draw at once
    assert np.array_equal(one, simulate(baseline, DRAWS, seed=5).city)
