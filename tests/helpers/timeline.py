"""Helpers of the timeline tests (tests/sim/, tests/analysis/)."""

from __future__ import annotations

import numpy as np


def rationed(result, outcome: str) -> np.ndarray:
    """Rationed amounts of one outcome by draw × item × year due (yuan)."""
    out = np.zeros(result.engine.demand.shape)
    chosen = result.rationing[result.rationing["outcome"] == outcome]
    position = {item: i for i, item in enumerate(result.items.index)}
    np.add.at(
        out,
        (
            chosen["draw"].to_numpy(dtype=np.int64),
            chosen["item"].map(position).to_numpy(dtype=np.int64),
            chosen["year"].map(result.years.index).to_numpy(dtype=np.int64),
        ),
        chosen["amount_yuan"].to_numpy(),
    )
    return out
