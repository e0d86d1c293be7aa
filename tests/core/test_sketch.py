"""Statistics in memory bounded in draws (model/core/sketch.py): the streaming percentiles
are within their stated relative error of numpy's exact ones, whatever the chunks and
their order; below the exact limit every statistic is numpy's own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from model.core.sketch import (
    EXACT_DRAWS,
    SKETCH_FLOOR,
    SKETCH_RELATIVE_ERROR,
    DrawStats,
    QuantileSketch,
)

LEVELS = [0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 100]


def _within_bound(estimate, values, q):
    """The sketch's stated bound: within SKETCH_RELATIVE_ERROR of each order statistic
    numpy interpolates, so of ``(1−f)·|x_k| + f·|x_k+1|``, and values below SKETCH_FLOOR
    taken as zero."""
    ordered = np.sort(values)
    h = np.asarray(q) / 100 * (values.size - 1)
    k = np.floor(h).astype(int)
    f = h - k
    above = np.minimum(k + 1, values.size - 1)
    exact = np.percentile(values, q)
    scale = (1 - f) * np.abs(ordered[k]) + f * np.abs(ordered[above])
    bound = SKETCH_RELATIVE_ERROR * scale * (1 + 1e-12) + SKETCH_FLOOR
    return np.abs(estimate - exact) <= bound


def test_sketched_percentiles_are_within_the_stated_error_of_numpy():
    rng = np.random.default_rng(7)
    n = 50_000
    values = np.column_stack(
        [
            rng.lognormal(16, 1.5, n),  # money, heavy right tail
            rng.normal(0, 3e7, n),  # net costs of both signs
            np.where(rng.random(n) < 0.4, 0.0, rng.gamma(0.5, 2e6, n)),  # many exact zeros
            rng.random(n),  # loss ratios in [0, 1)
        ]
    )
    sketch = QuantileSketch(values.shape[1])
    for part in np.array_split(values, 9):
        sketch.add(part)
    assert list(sketch.count()) == [n] * values.shape[1]
    estimate = sketch.percentiles(LEVELS)
    for column in range(values.shape[1]):
        assert _within_bound(estimate[:, column], values[:, column], LEVELS).all(), column
    assert estimate[LEVELS.index(25), 2] == 0.0  # zeros are exact


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.integers(1, 300),
        elements=st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False),
    ),
    st.integers(1, 5),
)
def test_any_values_in_any_chunks(values, pieces):
    sketch = QuantileSketch(1)
    for part in np.array_split(values, pieces):
        if part.size:
            sketch.add(part[:, None])
    estimate = sketch.percentiles(LEVELS)[:, 0]
    assert _within_bound(estimate, values, LEVELS).all()


def test_a_column_holds_buckets_only_over_its_non_zero_magnitudes():
    # money with many exact zeros: the zeros must not stretch the buckets down to 0
    values = np.where(np.arange(10_000) % 3 == 0, 0.0, 1e9 + np.arange(10_000.0))[:, None]
    sketch = QuantileSketch(1)
    sketch.add(values)
    held = sum(counts.size for sign in sketch._counts for counts in sign)
    assert held < 2 * 2**10  # within one binade of 1e9, not a million buckets
    assert sketch.percentiles([10])[0, 0] == 0.0


def test_merged_sketches_count_the_same_in_any_order():
    rng = np.random.default_rng(3)
    parts = [rng.lognormal(10, 2, (1000, 2)) for _ in range(4)]
    forward, backward = QuantileSketch(2), QuantileSketch(2)
    for part in parts:
        piece = QuantileSketch(2)
        piece.add(part)
        forward.merge(piece)
    for part in reversed(parts):
        backward.add(part)
    assert np.array_equal(forward.percentiles(LEVELS), backward.percentiles(LEVELS))


def test_exact_statistics_are_numpys_own():
    rng = np.random.default_rng(5)
    values = rng.gamma(2.0, 1e6, (3000, 3))
    flags = rng.random(3000) < 0.3
    stats = DrawStats(exact=True)
    for rows in np.array_split(np.arange(3000), 4):
        stats.add({"x": values[rows], "flag": flags[rows]})
    assert stats.n == 3000
    assert np.array_equal(stats.mean("x"), values.mean(axis=0))
    assert np.array_equal(stats.sd("x"), values.std(axis=0, ddof=1))
    assert np.array_equal(stats.quantiles("x", [0.05, 0.95]), np.quantile(values, [0.05, 0.95], 0))
    assert stats.mean("flag") == flags.mean()
    assert np.array_equal(stats.max("x"), values.max(axis=0))


def test_streamed_moments_match_the_exact_ones():
    rng = np.random.default_rng(11)
    # large, nearly constant amounts: the case shifted sums are for
    values = 5e9 + rng.normal(0, 1e3, (20_000, 2))
    stats = DrawStats(exact=False)
    for part in np.array_split(values, 7):
        stats.add({"x": part})
    np.testing.assert_allclose(stats.mean("x"), values.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(stats.sd("x"), values.std(axis=0, ddof=1), rtol=1e-9)
    np.testing.assert_allclose(stats.sd("x", ddof=0), values.std(axis=0), rtol=1e-9)
    assert np.array_equal(stats.max("x"), values.max(axis=0))
    assert np.array_equal(stats.sum("x"), sum(p.sum(axis=0) for p in np.array_split(values, 7)))


def test_the_method_follows_the_run_length():
    assert DrawStats(draws=EXACT_DRAWS).exact
    assert not DrawStats(draws=EXACT_DRAWS + 1).exact
    with pytest.raises(ValueError, match="not kept"):
        DrawStats(exact=False).values("x")
