"""Statistics of per-draw quantities in memory that does not grow with the draws.

A long run cannot keep every draw of every quantity: 10 million draws of the baseline's
~500 per-draw quantities would take 40 GB. :class:`DrawStats` takes the draws chunk by
chunk and keeps, for each named quantity (a column, or a row of columns):

* below :data:`EXACT_DRAWS` draws, the values themselves: every statistic is exactly
  what numpy computes on all the draws;
* beyond, running sums (means, standard deviations, shares: exact sums, float64) and a
  :class:`QuantileSketch` for the percentiles: a histogram over buckets of relative
  width at most ``2**-SKETCH_BITS``, from which every percentile is within
  :data:`SKETCH_RELATIVE_ERROR` (0.049%) of the exact one (see the sketch).

Which of the two a run uses is decided by its total number of draws, before the first
chunk, so that a run gives the same bytes whichever process simulates which chunk:
chunks are merged in draw order (:meth:`DrawStats.merge`) and a sketch's counts are
integers, whose sums do not depend on their order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: Runs of at most this many draws keep every value: all their statistics are exact.
EXACT_DRAWS = 100_000
#: Mantissa bits that set a sketch bucket: ``2**SKETCH_BITS`` buckets per power of two.
SKETCH_BITS = 10
#: Largest relative error of a sketched percentile (half a bucket's relative width).
SKETCH_RELATIVE_ERROR = 2.0 ** -(SKETCH_BITS + 1)
#: Values smaller than this in magnitude are counted as zero (an absolute error of at
#: most 2⁻⁴⁰ ≈ 1e-12: a trillionth of a yuan, of a ratio, of a count). It bounds a
#: column's buckets by the spread of its non-zero magnitudes above it.
SKETCH_FLOOR = 2.0**-40
_SHIFT = 52 - SKETCH_BITS
#: Values of a sketched quantity processed at a time (bounds its temporaries).
_BLOCK_VALUES = 2**20


class QuantileSketch:
    """Mergeable histograms of columns of values, for percentiles to a relative error.

    A value's bucket is its float64 bit pattern with all but the top ``SKETCH_BITS``
    mantissa bits dropped (exact integer arithmetic, the same on every machine); its
    sign is kept apart. A bucket ``[lo, hi)`` has ``hi ≤ lo·(1 + 2**-SKETCH_BITS)``, so
    its midpoint is within ``2**-(SKETCH_BITS+1)`` of any value in it, relatively. Zero,
    and any value below :data:`SKETCH_FLOOR` in magnitude, is counted apart as exactly
    0; each column holds counts only over the range of its non-zero buckets.

    A percentile is computed as numpy's (linear interpolation between the order
    statistics of ranks ``⌊h⌋`` and ``⌊h⌋ + 1``, ``h = q·(n − 1)``), with each order
    statistic replaced by the midpoint of its bucket: the ranks are exact (the counts
    are), so the result is within :data:`SKETCH_RELATIVE_ERROR` of the exact percentile
    (relatively; when the two order statistics straddle zero, of their absolute values'
    interpolation).

    Parameters
    ----------
    columns : int
        Number of columns.
    """

    def __init__(self, columns: int):
        self.columns = columns
        # per sign (0: positive, 1: negative): first bucket held and counts
        self._first = [np.zeros(columns, dtype=np.int64) for _ in range(2)]
        self._counts: list[list[np.ndarray]] = [
            [np.zeros(0, dtype=np.int64) for _ in range(columns)] for _ in range(2)
        ]
        self._zeros = np.zeros(columns, dtype=np.int64)

    def add(self, values: np.ndarray, first_column: int = 0) -> None:
        """Count a chunk, shape (draws, columns), of columns from ``first_column`` on."""
        values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
        if np.isnan(values).any():
            raise ValueError("cannot sketch NaN values")
        magnitude = np.abs(values)
        buckets = magnitude.view(np.int64) >> _SHIFT
        zero = magnitude < SKETCH_FLOOR
        negative = (values < 0) & ~zero
        self._zeros[first_column : first_column + values.shape[1]] += zero.sum(axis=0)
        for sign, mask in enumerate((~(negative | zero), negative)):
            for column in range(values.shape[1]):
                chosen = buckets[mask[:, column], column]
                if chosen.size:
                    self._count(sign, first_column + column, chosen)

    def _count(self, sign: int, column: int, buckets: np.ndarray) -> None:
        low = int(buckets.min())
        self._add_counts(sign, column, low, np.bincount(buckets - low))

    def _add_counts(self, sign: int, column: int, first: int, counts: np.ndarray) -> None:
        held, held_first = self._counts[sign][column], int(self._first[sign][column])
        if not held.size:
            self._counts[sign][column], self._first[sign][column] = counts.copy(), first
            return
        low = min(first, held_first)
        high = max(first + counts.size, held_first + held.size)
        if (low, high) == (held_first, held_first + held.size):
            held[first - low : first - low + counts.size] += counts
            return
        total = np.zeros(high - low, dtype=np.int64)
        total[held_first - low : held_first - low + held.size] = held
        total[first - low : first - low + counts.size] += counts
        self._counts[sign][column], self._first[sign][column] = total, low

    def merge(self, other: QuantileSketch) -> None:
        """Add the counts of another sketch of the same columns."""
        self._zeros += other._zeros
        for sign in range(2):
            for column in range(self.columns):
                counts = other._counts[sign][column]
                if counts.size:
                    self._add_counts(sign, column, int(other._first[sign][column]), counts)

    def count(self) -> np.ndarray:
        """Values counted per column."""
        return np.array(
            [
                int(self._zeros[c]) + sum(int(self._counts[s][c].sum()) for s in range(2))
                for c in range(self.columns)
            ]
        )

    def _sorted(self, column: int) -> tuple[np.ndarray, np.ndarray]:
        """The column's bucket values (midpoints; 0 for zero) in ascending order, and
        their counts."""
        parts_value, parts_count = [], []
        for sign in (1, None, 0):  # negatives (largest magnitude first), zeros, positives
            if sign is None:
                parts_value.append(np.zeros(1))
                parts_count.append(self._zeros[column : column + 1])
                continue
            counts = self._counts[sign][column]
            if not counts.size:
                continue
            first = int(self._first[sign][column])
            buckets = np.arange(first, first + counts.size, dtype=np.int64)
            low = (buckets << _SHIFT).view(np.float64)
            high = ((buckets + 1) << _SHIFT).view(np.float64)
            middle = (low + high) / 2
            if sign:
                middle, counts = -middle[::-1], counts[::-1]
            parts_value.append(middle)
            parts_count.append(counts)
        values = np.concatenate(parts_value) if parts_value else np.zeros(0)
        counts = np.concatenate(parts_count) if parts_count else np.zeros(0, dtype=np.int64)
        keep = counts > 0
        return values[keep], counts[keep]

    def percentiles(self, q: Sequence[float]) -> np.ndarray:
        """Percentiles ``q`` (in percent) of every column, shape (len(q), columns)."""
        levels = np.asarray(q, dtype=np.float64)
        out = np.full((levels.size, self.columns), np.nan)
        for column in range(self.columns):
            values, counts = self._sorted(column)
            n = int(counts.sum())
            if not n:
                continue
            ends = np.cumsum(counts)  # rank r (0-based) is in the bucket where r < end
            h = levels / 100.0 * (n - 1)
            below = np.floor(h)
            rank_low = below.astype(np.int64)
            rank_high = np.minimum(rank_low + 1, n - 1)
            low = values[np.searchsorted(ends, rank_low, side="right")]
            high = values[np.searchsorted(ends, rank_high, side="right")]
            out[:, column] = low + (h - below) * (high - low)
        return out


class DrawStats:
    """Statistics of named per-draw quantities, taken chunk by chunk.

    Each quantity is an array whose first axis is the draws: (draws,) or (draws, k).
    Use :meth:`add` once per chunk (every quantity, each chunk), :meth:`merge` to fold
    the statistics of a later chunk computed elsewhere, and the readers (:meth:`mean`,
    :meth:`sd`, :meth:`percentiles`, :meth:`max`, :meth:`counts`) at the end.

    Parameters
    ----------
    exact : bool
        Keep every value (exact statistics; see the module's notes). By default
        decided by ``draws``.
    draws : int, optional
        Total draws of the run, to choose ``exact`` (``draws <= EXACT_DRAWS``).
    """

    def __init__(self, *, exact: bool | None = None, draws: int | None = None):
        if exact is None:
            exact = draws is None or draws <= EXACT_DRAWS
        self.exact = exact
        self.n = 0
        self._values: dict[str, list[np.ndarray]] = {}
        self._sum: dict[str, np.ndarray] = {}
        self._moments: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._max: dict[str, np.ndarray] = {}
        self._sketch: dict[str, QuantileSketch] = {}
        self._shape: dict[str, tuple[int, ...]] = {}

    @classmethod
    def of(cls, quantities: Mapping[str, np.ndarray]) -> DrawStats:
        """Exact statistics of quantities held in memory."""
        stats = cls(exact=True)
        stats.add(quantities)
        return stats

    def add(self, quantities: Mapping[str, np.ndarray]) -> None:
        """Take a chunk: every quantity's values for the same draws."""
        part = DrawStats(exact=self.exact)
        part._take(quantities)
        self.merge(part)

    def _take(self, quantities: Mapping[str, np.ndarray]) -> None:
        sizes = {np.shape(values)[0] for values in quantities.values()}
        if len(sizes) > 1:
            raise ValueError(f"quantities of one chunk differ in draws: {sizes}")
        self.n = sizes.pop() if sizes else 0
        for name, values in quantities.items():
            values = np.asarray(values)
            self._shape[name] = values.shape[1:]
            if self.exact:
                self._values[name] = [values]
                continue
            # a few columns at a time: the temporaries stay small whatever the quantity
            flat = values.reshape(len(values), -1)
            columns = flat.shape[1]
            moments = [np.empty(columns) for _ in range(5)]  # shift, sum, squares, total, max
            sketch = QuantileSketch(columns)
            step = max(1, _BLOCK_VALUES // max(len(flat), 1))
            for lo in range(0, columns, step):
                block = flat[:, lo : lo + step].astype(np.float64)
                shift = block.mean(axis=0)
                centred = block - shift
                found = (
                    shift,
                    centred.sum(axis=0),
                    np.einsum("ij,ij->j", centred, centred),
                    block.sum(axis=0),
                    block.max(axis=0),
                )
                for target, value in zip(moments, found, strict=True):
                    target[lo : lo + step] = value
                sketch.add(block, first_column=lo)
            shape = values.shape[1:]
            shift, total, squares, sums, largest = (m.reshape(shape) for m in moments)
            self._moments[name] = (shift, total, squares)
            self._sum[name] = sums
            self._max[name] = largest
            self._sketch[name] = sketch

    def merge(self, later: DrawStats) -> None:
        """Fold in the statistics of the chunk that follows those held (draw order)."""
        if later.exact != self.exact:
            raise ValueError("cannot merge exact and sketched statistics")
        if not self.n:
            self.__dict__.update({k: v for k, v in later.__dict__.items()})
            return
        for name in later._shape:
            if self.exact:
                self._values[name].extend(later._values[name])
                continue
            self._sum[name] = self._sum[name] + later._sum[name]
            self._max[name] = np.maximum(self._max[name], later._max[name])
            self._sketch[name].merge(later._sketch[name])
            # squared deviations about the first chunk's mean: move the later chunk's
            shift, total, squares = self._moments[name]
            other_shift, other_total, other_squares = later._moments[name]
            gap = other_shift - shift
            self._moments[name] = (
                shift,
                total + other_total + later.n * gap,
                squares + other_squares + 2 * gap * other_total + later.n * gap * gap,
            )
        self.n += later.n

    # ------------------------------------------------------------ readers
    def __contains__(self, name: object) -> bool:
        return name in self._shape

    def values(self, name: str) -> np.ndarray:
        """Every draw of a quantity (exact statistics only)."""
        if not self.exact:
            raise ValueError(f"{name}: the draws were not kept (more than {EXACT_DRAWS:,})")
        parts = self._values[name]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def mean(self, name: str) -> np.ndarray:
        """Mean over the draws (per column)."""
        if self.exact:
            return self.values(name).mean(axis=0)
        return self._sum[name] / self.n

    def sd(self, name: str, ddof: int = 1) -> np.ndarray:
        """Standard deviation over the draws (per column; 0 with too few draws)."""
        if self.exact:
            values = self.values(name)
            if values.shape[0] <= ddof:
                return np.zeros(values.shape[1:])
            return values.std(axis=0, ddof=ddof)
        _, total, squares = self._moments[name]
        if self.n <= ddof:
            return np.zeros_like(total)
        return np.sqrt(np.maximum((squares - total**2 / self.n) / (self.n - ddof), 0.0))

    def percentiles(self, name: str, q: Sequence[float]) -> np.ndarray:
        """Percentiles ``q`` (in percent) over the draws, shape (len(q), *columns);
        NaN without draws."""
        shape = self._shape[name]
        if not self.n:
            return np.full((len(q), *shape), np.nan)
        if self.exact:
            return np.percentile(self.values(name), q, axis=0)
        return self._sketch[name].percentiles(q).reshape(len(q), *shape)

    def quantiles(self, name: str, levels: Sequence[float]) -> np.ndarray:
        """Quantiles at ``levels`` (fractions), as ``np.quantile``; NaN without draws."""
        if self.exact and self.n:
            return np.quantile(self.values(name), levels, axis=0)
        return self.percentiles(name, [100.0 * level for level in levels])

    def sum(self, name: str) -> np.ndarray:
        """Sum over the draws (per column)."""
        return self.values(name).sum(axis=0) if self.exact else self._sum[name]

    def histogram(self, name: str, edges: np.ndarray) -> np.ndarray:
        """Draws in each bin ``[edges[i], edges[i+1])`` (the last bin closed), as
        ``np.histogram``; beyond :data:`EXACT_DRAWS`, each value is taken at its sketch
        bucket's midpoint (within the sketch's relative error of the value)."""
        if self.exact:
            return np.histogram(self.values(name), bins=edges)[0]
        values, counts = self._sketch[name]._sorted(0)
        return np.histogram(values, bins=edges, weights=counts)[0].astype(np.int64)

    def max(self, name: str) -> np.ndarray:
        """Largest value over the draws (per column)."""
        return self.values(name).max(axis=0) if self.exact else self._max[name]


__all__ = [
    "EXACT_DRAWS",
    "SKETCH_BITS",
    "SKETCH_FLOOR",
    "SKETCH_RELATIVE_ERROR",
    "DrawStats",
    "QuantileSketch",
]
