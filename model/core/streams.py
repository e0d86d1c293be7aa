"""Keyed random streams.

Every line item draws from its own :class:`numpy.random.Generator`, spawned from the
root seed and a stable key of the item's id (never from its position in a list), so
adding, removing or changing one item never changes another item's draws. That is
what makes policy variants comparable draw by draw (common random numbers).

Draws are grouped in fixed-size *blocks*: draw ``i`` always belongs to block
``i // BLOCK_DRAWS`` and is generated from that block's stream, so the first ``n``
draws of a longer run are identical to a run of ``n`` draws, whatever chunk size the
engine uses to bound memory.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from model.core.errors import InputError, Problem

#: Draws per random-stream block. Part of the reproducibility contract: changing it
#: changes every draw, so it is written into each run's manifest.
BLOCK_DRAWS = 16_384


def stable_key(name: str) -> tuple[int, int]:
    """A stable 64-bit key of a name, as two 32-bit words for ``SeedSequence``.

    Python's ``hash`` is salted per process, so SHA-256 is used instead.
    """
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:8], "little")


def check_seed(seed: int) -> int:
    """Validate a root seed (a non-negative integer; ``0`` is a valid seed)."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


#: Largest number of draws accepted (beyond this a run is a mistake, not a study).
MAX_DRAWS = 50_000_000


def check_draws(draws: Any, *, source: str = "command line") -> int:
    """Validate a number of Monte Carlo draws (1 … :data:`MAX_DRAWS`).

    Raises
    ------
    InputError
        Naming ``source`` and the field ``draws``.
    """
    if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= MAX_DRAWS:
        raise InputError(
            [
                Problem(
                    source,
                    None,
                    "draws",
                    f"must be a whole number from 1 to {MAX_DRAWS:,}, got {draws!r}",
                )
            ]
        )
    return draws


def stream(seed: int, *key: str | int) -> np.random.Generator:
    """The generator for a key path under a root seed.

    Parameters
    ----------
    seed : int
        Root seed of the run (non-negative).
    *key : str or int
        Path of the stream, e.g. ``("item", "provincial_lab", "count", 0)``; strings are
        hashed with :func:`stable_key`, integers (block numbers) are used as they are.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator; the same ``(seed, key)`` always gives the same draws.
    """
    spawn_key: list[int] = []
    for part in key:
        if isinstance(part, str):
            spawn_key.extend(stable_key(part))
        else:
            spawn_key.append(int(part))
    sequence = np.random.SeedSequence(entropy=check_seed(seed), spawn_key=tuple(spawn_key))
    return np.random.Generator(np.random.PCG64(sequence))


def block_ranges(start: int, stop: int) -> list[tuple[int, int, int]]:
    """Split draws ``[start, stop)`` into ``(block, lo, hi)`` pieces within blocks.

    ``lo`` and ``hi`` are offsets inside the block, so piece ``(b, lo, hi)`` covers
    global draws ``b * BLOCK_DRAWS + lo`` up to ``b * BLOCK_DRAWS + hi``.
    """
    pieces = []
    draw = start
    while draw < stop:
        block = draw // BLOCK_DRAWS
        lo = draw - block * BLOCK_DRAWS
        hi = min(BLOCK_DRAWS, stop - block * BLOCK_DRAWS)
        pieces.append((block, lo, hi))
        draw = block * BLOCK_DRAWS + hi
    return pieces
