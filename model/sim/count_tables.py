"""Drawing counts by exact inversion of their CDF.

A count distribution (a scenario's :class:`~model.policy.distributions.CountSpec`, frozen
for one admission year) is prepared once as a table; each draw is then one uniform,
inverted by a guided table search. One uniform per draw lets a Gaussian-copula climate
factor drive the uniforms, and raising a mean never lowers a count in the same draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Probability mass left out of an inversion table's upper tail; draws that land there
#: are resolved with scipy's exact ``ppf``.
TAIL_MASS = 1e-12
_U_MIN, _U_MAX = np.finfo(float).tiny, np.nextafter(1.0, 0.0)
#: Most entries of an inversion table (8 MB of CDF): a long-tailed distribution (a
#: negative binomial of small dispersion) keeps only this much of its body in the table
#: and resolves the rarer draws beyond it with scipy's exact ``ppf``, so its memory stays
#: bounded and its draws are the same.
MAX_TABLE_SIZE = 1 << 20


@dataclass(frozen=True)
class CountTable:
    """A discrete distribution prepared for drawing by inversion.

    ``cdf[j]`` is ``F(offset + j)`` over the central ``1 − 2·TAIL_MASS`` of the mass;
    the rare uniforms beyond either end are resolved with scipy's exact ``ppf``. A guide
    table (the CDF's index at each multiple of ``1/G``) starts the search next to the
    answer, so drawing costs a lookup and a step or two instead of a binary search; the
    result is exactly ``searchsorted``'s.
    """

    offset: int
    cdf: np.ndarray
    dist: Any  # a scipy frozen discrete distribution, or an int point mass
    guide: np.ndarray  # empty for a point mass
    padded: np.ndarray  # the CDF with +inf appended, a sentinel for stepping

    @classmethod
    def build(cls, dist: Any) -> CountTable:
        """Prepare a scipy frozen discrete distribution, or an ``int`` point mass."""
        if isinstance(dist, int):
            empty = np.empty(0)
            return cls(dist, empty, dist, empty.astype(np.intp), empty)
        low = max(int(dist.ppf(TAIL_MASS)) - 1, 0)
        high = min(int(dist.ppf(1.0 - TAIL_MASS)), low + MAX_TABLE_SIZE - 1)
        cdf = dist.cdf(np.arange(low, high + 1))
        cells = 2 * cdf.size
        guide = np.searchsorted(cdf, np.arange(cells + 1) / cells, side="left")
        return cls(low, cdf, dist, guide, np.append(cdf, np.inf))

    @property
    def mean(self) -> float:
        """Expected count."""
        return float(self.dist) if isinstance(self.dist, int) else float(self.dist.mean())

    def draw(self, uniforms: np.ndarray) -> np.ndarray:
        """Exact inverse-CDF counts ``F⁻¹(u)`` (smallest ``k`` with ``F(k) ≥ u``), int64."""
        if isinstance(self.dist, int):
            return np.full(uniforms.shape, self.dist, dtype=np.int64)
        cells = self.guide.size - 1
        index = self.guide[(uniforms * cells).astype(np.intp)]
        for _ in range(3):  # the answer is at most a few cells past the guide's entry
            behind = self.padded[index] < uniforms
            if not behind.any():
                break
            index += behind
        else:
            behind = self.padded[index] < uniforms
            if behind.any():
                index[behind] = np.searchsorted(self.cdf, uniforms[behind], side="left")
        outside = index >= self.cdf.size
        if self.offset > 0:
            outside |= index == 0
        counts = index.astype(np.int64, copy=False)  # (intp is int64 on 64-bit platforms)
        if self.offset:
            counts += self.offset
        if outside.any():
            # u = 0 (possible from rng.random) and u = 1 (a saturated copula) have ppf
            # -1 and inf; the nearest representable uniforms give the support's ends
            edge = np.clip(uniforms[outside], _U_MIN, _U_MAX)
            counts[outside] = self.dist.ppf(edge).astype(np.int64)
        return counts


def counts_from_uniforms(dist, uniforms: np.ndarray) -> np.ndarray:
    """Exact inverse-CDF counts of ``dist`` (a scipy frozen distribution or an ``int``)."""
    return CountTable.build(dist).draw(uniforms)


__all__ = ["MAX_TABLE_SIZE", "TAIL_MASS", "CountTable", "counts_from_uniforms"]
