"""The common base of the assumption distributions: the ``basis`` every spec carries,
the count interface, and small helpers shared by :mod:`model.policy.distributions` and
:mod:`model.policy.bridge`."""

from __future__ import annotations

from types import ModuleType
from typing import Annotated

import numpy as np
from pydantic import Field

from model.core.schema import StrictModel

Basis = Annotated[str, Field(min_length=3, description="Source or reasoning of the assumption.")]


def _stats() -> ModuleType:
    """``scipy.stats``, imported on first use: it takes about half a second to import, and
    loading or validating a scenario never needs it (only drawing counts does)."""
    import scipy.stats

    return scipy.stats


class _Spec(StrictModel):
    basis: Basis


# --------------------------------------------------------------------------- counts
class _CountSpec(_Spec):
    """Common interface of count distributions (recipients per admission year)."""

    def per_year(self, n_years: int) -> list[int | float]:
        raise NotImplementedError

    def frozen(self, index: int, takeup: float):
        """The count after take-up thinning in admission year ``index``, as a scipy
        frozen distribution, or an ``int`` for a point mass."""
        raise NotImplementedError

    def mean(self, index: int, takeup: float) -> float:
        """Expected number of recipients (after take-up) in admission year ``index``."""
        dist = self.frozen(index, takeup)
        return float(dist) if isinstance(dist, int) else float(dist.mean())


def _pick(value, index: int):
    return value[index] if isinstance(value, list) else value


def triangular_ppf(u, low: float, mode: float, high: float):
    """The quantile function of the triangular distribution on [low, high] with ``mode``
    (``low < high``)."""
    u = np.asarray(u, dtype=float)
    split = (mode - low) / (high - low)
    if u.ndim == 0:
        left = low + np.sqrt(u * (high - low) * (mode - low))
        return np.where(u < split, left, high - np.sqrt((1.0 - u) * (high - low) * (high - mode)))
    # the same arithmetic in place (the engine's hot path: two temporaries, not six)
    left = u * (high - low)
    left *= mode - low
    np.sqrt(left, out=left)
    left += low
    right = np.subtract(1.0, u)
    right *= high - low
    right *= high - mode
    np.sqrt(right, out=right)
    np.subtract(high, right, out=right)
    np.copyto(right, left, where=u < split)
    return right


__all__ = ["Basis", "triangular_ppf"]
