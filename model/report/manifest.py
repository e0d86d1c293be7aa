"""The manifest every command writes beside its outputs: what was run, how, and the
SHA-256 of every file it wrote.

With the root seed, the package version, the random-stream block size and a hash of each
resolved scenario, a manifest is enough to rerun a command and check that it wrote the
same tables.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.core.streams import BLOCK_DRAWS
from model.core.units import Unit
from model.core.version import package_version
from model.policy.scenario import Scenario
from model.report.folders import OUTPUT_MARKER
from model.report.output import MANIFEST, sha256_of, write_json
from model.sim.engine import EXACT_SUM_MAX_COUNT


def build_manifest(
    command: str,
    scenarios: Sequence[Scenario],
    *,
    seed: int,
    draws: int | None,
    unit: Unit,
    **fields: Any,
) -> dict[str, Any]:
    """The manifest of one command's run (its file hashes are added when it is written).

    Parameters
    ----------
    command : str
        The ``fiscalsim`` command (``run``, ``compare``, …).
    scenarios : sequence of Scenario
        The scenario run, or the base followed by the variants it is compared with.
    seed, draws : int
        Root seed and Monte Carlo draws (``None`` where the command has no fixed number).
    unit : Unit
        Presentation unit of the files' money columns.
    **fields
        Further entries of the command (method, budget, horizon…), added last.
    """
    base = scenarios[0]
    manifest: dict[str, Any] = {
        "tool": "fiscalsim",
        "command": command,
        "version": package_version(),
        "scenario": base.name,
        "title_zh": base.title_zh,
        "title_en": base.title_en,
        "scenario_files": list(base.files),
        "scenario_sha256": base.digest(),
        "plan_start": base.plan_start,
        "plan_years": base.periods.plan_years,
    }
    if len(scenarios) > 1:
        manifest["variants"] = [scenario.name for scenario in scenarios[1:]]
        manifest["variant_sha256"] = {s.name: s.digest() for s in scenarios[1:]}
    manifest.update(
        {
            "seed": seed,
            "draws": draws,
            "block_draws": BLOCK_DRAWS,
            "exact_sum_max_count": EXACT_SUM_MAX_COUNT,
            "unit": unit.value,
            "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": platform.platform(),
        }
    )
    manifest.update(fields)
    return manifest


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file below ``folder`` but the manifest, by relative path."""
    return {
        path.relative_to(folder).as_posix(): sha256_of(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).as_posix() != MANIFEST
    }


def write_manifest(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Add the hashes of every file in ``folder`` to ``manifest`` and write it there as
    ``manifest.json``, with fiscalsim's marker (``output_format``): the marker and the
    list of files are what lets a later command replace the folder (see
    :mod:`model.report.folders`). Returns the manifest written."""
    written = {"output_format": OUTPUT_MARKER, **manifest, "files_sha256": file_hashes(folder)}
    write_json(written, folder / MANIFEST)
    return written


__all__ = ["build_manifest", "file_hashes", "write_manifest"]
