"""Sweeps: a grid or a sample of scenarios, each on common random numbers, run on Dask.

A sweep specification (``SPEC.yaml``, :class:`SweepSpec`) names a base scenario and the
points to run: listed variants and readings (``scenarios``), the product of factor
values (``grid``), and a sample of factor ranges (``sample``: a scrambled Sobol'
sequence, whose Sobol indices of the horizon total's mean and P95 are then computed too).
A factor is ``ITEM:uptake``, ``ITEM:award`` or ``ITEM:cap`` (multipliers, as in the
sensitivity analyses, :mod:`model.analysis.factors`) or ``cap_scale``.

Every point is built and validated here, before anything runs (a bad point is an input
error naming the file and field), then simulated with the sweep's seed: the same draws
in every point (common random numbers), whichever process or machine runs it. The
points are independent tasks for a Dask distributed cluster (an embedded
``LocalCluster`` by default, or an existing one); this module defines the points and the
task, :mod:`model.report.sweep_output` writes the results.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from model.analysis.factors import FACTOR_KINDS, swung
from model.analysis.sensitivity import analyze_sobol
from model.core.errors import InputError, Problem
from model.core.schema import StrictModel
from model.core.stats import describe
from model.core.streams import MAX_DRAWS, check_seed, stream
from model.core.units import YUAN
from model.core.validation import problems_from_validation
from model.core.yamlio import read_yaml
from model.policy.scenario import Scenario, apply_variant, load_scenario
from model.sim.engine import simulate_chunks

#: Most points a sweep may have (beyond this it is a mistake, not a study).
MAX_POINTS = 100_000


class SampleSpec(StrictModel):
    """A sample of factor values: ``n`` base points of a scrambled Sobol' sequence over
    the factors' ranges (``n·(factors + 2)`` points, Saltelli's scheme, for Sobol
    indices), or ``n`` uniform random points."""

    method: Literal["sobol", "uniform"] = "sobol"
    n: Annotated[int, Field(ge=2, le=65_536)]
    factors: dict[str, Annotated[list[float], Field(min_length=2, max_length=2)]]

    @field_validator("n")
    @classmethod
    def _power_of_two(cls, n: int, info: ValidationInfo) -> int:
        if info.data.get("method", "sobol") == "sobol" and n & (n - 1):
            raise ValueError(f"must be a power of two for a Sobol sample, got {n}")
        return n

    @field_validator("factors")
    @classmethod
    def _ranges(cls, factors: dict[str, list[float]]) -> dict[str, list[float]]:
        bad = [
            f"@{name}: need 0 ≤ low < high, got [{low}, {high}]"
            for name, (low, high) in factors.items()
            if not (math.isfinite(low) and math.isfinite(high) and 0 <= low < high)
        ]
        if bad:
            raise ValueError("\n".join(bad))
        return factors


class SweepSpec(StrictModel):
    """A sweep specification (the YAML file of ``fiscalsim sweep``)."""

    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")] = "sweep"
    base: str = "baseline"
    draws: Annotated[int, Field(ge=1, le=MAX_DRAWS)] = 2_000
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 20250101
    scenarios: list[str] = Field(default_factory=list)
    grid: dict[str, list[Annotated[float, Field(ge=0, le=1e6)]]] = Field(default_factory=dict)
    sample: SampleSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        if not self.scenarios and not self.grid and self.sample is None:
            raise ValueError("@scenarios: give scenarios, a grid or a sample (nothing to run)")
        for name, values in self.grid.items():
            if not values:
                raise ValueError(f"@grid.{name}: give at least one value")
        return self


@dataclass(frozen=True)
class Point:
    """One scenario of a sweep: its id (the partition's name), what it is, the factor
    values it sets, and the scenario itself."""

    id: str
    label: str
    factors: dict[str, float]
    scenario: Scenario = field(repr=False)


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: its specification, source file and points."""

    spec: SweepSpec
    source: str
    points: list[Point]
    base: Scenario = field(repr=False)
    sample: np.ndarray | None = field(default=None, repr=False)


def _factor_problems(source: str, where: str, names, base: Scenario) -> list[Problem]:
    problems = []
    for name in names:
        if name == "cap_scale":
            continue
        item, _, kind = name.partition(":")
        if kind not in FACTOR_KINDS:
            problems.append(
                Problem(source, None, f"{where}.{name}", f"use ITEM:{'|'.join(FACTOR_KINDS)}")
            )
        elif item not in base.items:
            problems.append(
                Problem(source, None, f"{where}.{name}", f"no grant item {item!r} in {base.name}")
            )
    return problems


def _apply(base: Scenario, settings: Mapping[str, float]) -> Scenario:
    """The base with factor values set (multipliers; ``cap_scale`` as a value)."""
    scenario = base
    if "cap_scale" in settings:
        scenario = apply_variant(scenario, {"cap_scale": settings["cap_scale"]}, label="sweep")
    others = {
        (name.partition(":")[0], name.partition(":")[2]): value
        for name, value in settings.items()
        if name != "cap_scale"
    }
    return swung(scenario, others) if others else scenario


def sobol_sample(sample: SampleSpec, seed: int) -> np.ndarray:
    """The points of a Sobol sample (rows × factors), from SALib with the sweep's seed."""
    from SALib.sample import sobol as sobol_sample_module

    problem = {
        "num_vars": len(sample.factors),
        "names": list(sample.factors),
        "bounds": [list(bounds) for bounds in sample.factors.values()],
    }
    return sobol_sample_module.sample(
        problem, sample.n, calc_second_order=False, seed=stream(seed, "sweep", "sample")
    )


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep specification and build its points.

    Raises
    ------
    InputError
        Every problem of the file at once (each naming the file and field), and any
        point whose scenario does not validate.
    """
    source = str(path)
    data = read_yaml(Path(path))
    try:
        spec = SweepSpec.model_validate(data if data is not None else {})
    except ValidationError as error:
        raise InputError(problems_from_validation(error, source, model=SweepSpec)) from None
    base = load_scenario(spec.base)
    problems = _factor_problems(source, "grid", spec.grid, base)
    if spec.sample is not None:
        problems += _factor_problems(source, "sample.factors", spec.sample.factors, base)
    if problems:
        raise InputError(problems)
    settings: list[tuple[str, dict[str, float], Scenario | None]] = []
    for reference in spec.scenarios:
        settings.append((reference, {}, load_scenario(reference)))
    if spec.grid:
        names = list(spec.grid)
        for values in itertools.product(*spec.grid.values()):
            chosen = dict(zip(names, map(float, values), strict=True))
            settings.append((", ".join(f"{k}={v:g}" for k, v in chosen.items()), chosen, None))
    sample = None
    if spec.sample is not None:
        names = list(spec.sample.factors)
        if spec.sample.method == "sobol":
            sample = sobol_sample(spec.sample, spec.seed)
        else:
            lows, highs = np.array(list(spec.sample.factors.values())).T
            sample = lows + (highs - lows) * stream(spec.seed, "sweep", "uniform").random(
                (spec.sample.n, len(names))
            )
        for row in sample:
            chosen = dict(zip(names, map(float, row), strict=True))
            settings.append((f"{spec.sample.method} sample", chosen, None))
    if len(settings) > MAX_POINTS:
        raise InputError(
            [
                Problem(
                    source, None, "sample.n", f"{len(settings):,} points (at most {MAX_POINTS:,})"
                )
            ]
        )
    width = max(4, len(str(len(settings) - 1)))
    points = []
    for k, (label, chosen, scenario) in enumerate(settings):
        try:
            built = scenario if scenario is not None else _apply(base, chosen)
        except InputError as error:
            where = [
                Problem(source, None, f"point {k} ({label})", p.message) for p in error.problems
            ]
            raise InputError(where) from None
        points.append(Point(f"p{k:0{width}d}", label, chosen, built))
    return Sweep(spec, source, points, base, sample)


# ------------------------------------------------------------------ the task
#: The horizon-total statistics of the summary and of the Sobol indices.
SOBOL_OUTPUTS = ("mean", "p95")
#: Bootstrap resamples of the indices' intervals (SALib's default).
SALIB_RESAMPLES = 100


def run_point(scenario: Scenario, draws: int, seed: int) -> pd.DataFrame:
    """Simulate one point: the city's total per draw by year and over the horizon (yuan),
    a partition of the sweep's dataset. Pure: the same frame wherever it runs."""
    check_seed(seed)
    parts = [chunk.city.sum(axis=1) for chunk in simulate_chunks(scenario, draws, seed=seed)]
    totals = parts[0] if len(parts) == 1 else np.concatenate(parts)
    years = scenario.payment_years
    frame = pd.DataFrame({"draw": np.arange(draws, dtype=np.int64)})
    for j, year in enumerate(years):
        frame[f"total_{year}_yuan"] = totals[:, j]
    frame["horizon_total_yuan"] = totals[:, : len(scenario.years)].sum(axis=1)
    return frame


def point_summary(point: Point, frame: pd.DataFrame) -> dict[str, Any]:
    """One row of the sweep's summary: the point, its factors, the horizon total's
    statistics and each year's mean (yuan)."""
    row: dict[str, Any] = {"point": point.id, "label": point.label, "scenario": point.scenario.name}
    row.update(point.factors)
    row.update(describe(frame["horizon_total_yuan"].to_numpy(), suffix=YUAN))
    for column in frame.columns:
        if column.startswith("total_"):
            row[f"mean_{column.removeprefix('total_')}"] = float(frame[column].mean())
    return row


def sobol_table(sweep: Sweep, summary: pd.DataFrame) -> pd.DataFrame | None:
    """Sobol indices of the horizon total's mean and P95 over a Sobol sample's points
    (None without one)."""
    spec = sweep.spec.sample
    if spec is None or spec.method != "sobol" or sweep.sample is None:
        return None
    problem = {
        "num_vars": len(spec.factors),
        "names": list(spec.factors),
        "bounds": [list(bounds) for bounds in spec.factors.values()],
    }
    rows = summary.tail(len(sweep.sample))
    outputs = pd.DataFrame(
        {f"horizon_total_{o}": rows[f"{o}_yuan"].to_numpy(dtype=float) for o in SOBOL_OUTPUTS}
    )
    seed = int(stream(sweep.spec.seed, "sweep", "analyze").integers(1, 2**31))
    return analyze_sobol(problem, outputs, seed=seed, num_resamples=SALIB_RESAMPLES)


__all__ = [
    "MAX_POINTS",
    "SOBOL_OUTPUTS",
    "Point",
    "SampleSpec",
    "Sweep",
    "SweepSpec",
    "load_sweep",
    "point_summary",
    "run_point",
    "sobol_sample",
    "sobol_table",
]
