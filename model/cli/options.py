"""Options shared by the commands: ``--draws``, ``--seed``, ``--unit``, ``--out`` and
``--plan-start``, ``--workers``; and what every command prints: ``--format``, ``--quiet``,
``--lang``.

Imported by every command module and importing none of them, so that the commands'
options are spelled and checked the same way everywhere.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
from pathlib import Path

from model.core.errors import InputError, Problem
from model.core.schema import MAX_YUAN
from model.core.units import Unit
from model.core.yamlio import read_yaml
from model.policy.scenario import Scenario, apply_variant, load_scenario

#: Default root seed: runs are reproducible unless a seed is chosen.
DEFAULT_SEED = 20250101
#: Default number of Monte Carlo draws of a run.
DEFAULT_DRAWS = 10_000


def whole_number(text: str) -> int:
    """An argument such as ``10000``, ``10_000`` or ``10,000``."""
    try:
        return int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def seed(text: str) -> int:
    """A root seed: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def add_run_options(
    parser: argparse.ArgumentParser,
    *,
    draws: int | None = DEFAULT_DRAWS,
    draws_help: str | None = None,
) -> None:
    """The options every simulating command shares: ``--draws``, ``--seed``, ``--unit``.

    Parameters
    ----------
    draws : int or None
        The command's default number of draws.
    draws_help : str, optional
        Help text for ``--draws`` when the command uses draws in its own way.
    """
    default_text = f"{draws:,}" if draws is not None else "none"
    parser.add_argument(
        "--draws",
        type=whole_number,
        default=draws,
        help=draws_help or f"Monte Carlo draws (default {default_text})",
    )
    parser.add_argument(
        "--seed",
        type=seed,
        default=DEFAULT_SEED,
        help=f"root seed (default {DEFAULT_SEED}); same seed, same tables",
    )
    parser.add_argument(
        "--unit",
        type=unit,
        default=Unit.WAN,
        metavar="UNIT",
        help="presentation unit: yuan (元), wan (万元, default) or yi (亿元)",
    )


#: The names ``--unit`` accepts, in English and Chinese.
UNIT_NAMES = {
    "yuan": Unit.YUAN,
    "元": Unit.YUAN,
    "wan": Unit.WAN,
    "万": Unit.WAN,
    "万元": Unit.WAN,
    "yi": Unit.YI,
    "亿": Unit.YI,
    "亿元": Unit.YI,
}


def unit(text: str) -> Unit:
    """A presentation unit by its English or Chinese name (``yi``, ``亿元``, ``亿``)."""
    found = UNIT_NAMES.get(text.strip().lower())
    if found is None:
        raise argparse.ArgumentTypeError(
            f"unknown unit {text!r}: choose yuan (元), wan (万元) or yi (亿元)"
        )
    return found


def default_language() -> str:
    """``zh`` when the locale is Chinese (``LANG=zh_CN.UTF-8``), else ``en``."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """The options of what every command prints: ``--format``, ``--quiet``, ``--lang``."""
    parser.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="what to print: a table for people (default), or csv or json for programs "
        "(money in --unit; messages then go to stderr)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument(
        "--lang",
        choices=["zh", "en"],
        default=default_language(),
        help="language of the printed summary (default from the locale: zh for zh_*)",
    )


def output_folder(text: str) -> Path:
    """An ``--out`` folder: any path but an empty one (``--out ''`` would mean the working
    folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: name a folder")
    return Path(text)


#: Paired draws of each clause reading behind the headline's readings envelope.
DEFAULT_READINGS_DRAWS = 2_000


def add_readings_option(parser: argparse.ArgumentParser) -> None:
    """``--readings-draws N``: cost the clause readings on N paired draws for the
    headline's readings envelope (0: skip)."""
    parser.add_argument(
        "--readings-draws",
        type=whole_number,
        default=DEFAULT_READINGS_DRAWS,
        metavar="N",
        help="paired draws costing each clause reading, for the readings envelope shown "
        f"beside the Monte Carlo interval (default {DEFAULT_READINGS_DRAWS:,}; 0 skips it)",
    )


def workers(text: str) -> int:
    """A number of worker processes: a whole number, 1 or more."""
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    """``--workers``: processes simulating at once (default: every core of the machine).

    The default is resolved when the command runs (``None`` here), so that ``--help``
    stays light; the tables are the same bytes for any number of workers.
    """
    parser.add_argument(
        "--workers",
        type=workers,
        help="processes simulating at once (default: this machine's cores); "
        "any number gives the same tables",
    )


def add_out_option(parser: argparse.ArgumentParser, default: str) -> None:
    """``--out``: the output folder (``default`` names it under ``outputs/``)."""
    parser.add_argument(
        "--out",
        type=output_folder,
        help=f"output folder (default {default}); replaced as a whole, and only if "
        "fiscalsim wrote it",
    )


def year(text: str) -> int:
    """A calendar year such as ``2027``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {text!r}") from None
    if not 2000 <= value <= 2100:
        raise argparse.ArgumentTypeError(f"a year between 2000 and 2100, got {value}")
    return value


def add_plan_option(parser: argparse.ArgumentParser) -> None:
    """``--plan-start YEAR``: the first year of the three-year plan, overriding the
    scenario's ``plan_start``."""
    parser.add_argument(
        "--plan-start",
        type=year,
        metavar="YEAR",
        help="first year of the three-year medium-term plan, the budget year being drafted "
        "(default: the scenario's plan_start)",
    )


def load_planned(reference: str, plan_start: int | None) -> Scenario:
    """Load a scenario and apply ``--plan-start`` to it (checked like any scenario field;
    problems are blamed on ``--plan-start``)."""
    scenario = load_scenario(reference)
    if plan_start is None or plan_start == scenario.spec.plan_start:
        return scenario
    return apply_variant(scenario, {"plan_start": plan_start}, label="--plan-start")


def add_budget_option(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """``--budget``: one budget for every horizon year, one per year (``9,10,11,7,7,2``)
    or a file of them, in ``--unit``."""
    parser.add_argument(
        "--budget",
        required=required,
        metavar="B[,B...]|FILE",
        help="budget in --unit: one value for every horizon year, one value per year "
        "(9,10,11,7,7,2), or a .csv (year,budget) or .yaml (year: budget) file",
    )


def budget_option(text: str | None, unit: Unit, years: list[int]) -> dict[int, float] | None:
    """The budget of each horizon year in yuan from ``--budget`` (see
    :func:`add_budget_option`).

    Raises
    ------
    InputError
        Naming ``--budget``: a value that is not a finite non-negative number, a count of
        values that is neither 1 nor the number of horizon years, a file whose years are
        not the horizon's.
    """
    if text is None:
        return None
    problems: list[str] = []
    path = Path(text)
    if path.is_file():
        pairs = _budget_file(path, problems)
        values = [value for _, value in pairs]
        file_years = [year for year, _ in pairs]
        if file_years != years:
            problems.append(f"{path} gives years {file_years}; the horizon is {years}")
    else:
        values = [_budget_number(part, problems) for part in text.split(",")]
        if len(values) not in (1, len(years)):
            problems.append(
                f"{len(values)} values: give one for every year or one per horizon year "
                f"({len(years)}: {years[0]}–{years[-1]})"
            )
    if len(values) == 1:
        values = values * len(years)
    if any(value * unit.divisor > MAX_YUAN for value in values):
        problems.append(f"a budget above {MAX_YUAN:.0e} yuan is larger than any city budget")
    if problems:
        raise InputError([Problem("--budget", None, "--budget", message) for message in problems])
    return {year: value * unit.divisor for year, value in zip(years, values, strict=True)}


def _budget_number(text: object, problems: list[str]) -> float:
    """A finite, non-negative budget value, else a problem (and 0)."""
    try:
        value = float(str(text).strip().replace("_", ""))
    except ValueError:
        problems.append(f"{text!r} is not a number")
        return 0.0
    if not math.isfinite(value):
        problems.append(f"{text!r} is not a finite amount")
    elif value < 0:
        problems.append(f"{text!r} is negative: a budget is an amount of 0 or more")
    return value if math.isfinite(value) and value >= 0 else 0.0


def _budget_file(path: Path, problems: list[str]) -> list[tuple[int, float]]:
    """(year, budget) pairs of a ``.csv`` (``year,budget``, optional header) or ``.yaml``
    (``year: budget``) file, in year order."""
    pairs: list[tuple[int, float]] = []
    rows: list[tuple] = []
    if path.suffix.lower() in (".yaml", ".yml"):
        data = read_yaml(path)
        if not isinstance(data, dict):
            problems.append(f"{path}: must map years to budgets (2027: 9.5)")
            return []
        rows = list(data.items())
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = [tuple(row[:2]) for row in csv.reader(handle) if row]
        if rows and not str(rows[0][0]).strip().isdigit():
            rows = rows[1:]  # a header
    for row in rows:
        if len(row) < 2 or not str(row[0]).strip().isdigit():
            problems.append(f"{path}: {list(row)} is not a year and a budget")
            continue
        pairs.append((int(str(row[0]).strip()), _budget_number(row[1], problems)))
    return sorted(pairs)


def rate(low: float, high: float):
    """An argparse type: a finite rate (a fraction) in ``[low, high]``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(
                f"a rate between {low:g} and {high:g} (0.02 is 2%), got {text!r}"
            )
        return value

    return parse


def add_discount_options(parser: argparse.ArgumentParser) -> None:
    """``--discount-rate`` and ``--inflation`` (default: the scenario's, else 0)."""
    parser.add_argument(
        "--discount-rate",
        type=rate(0.0, 0.2),
        metavar="R",
        help="nominal discount rate for present values (0.0183 = 1.83%%; default: the "
        "scenario's discounting, else 0 — undiscounted)",
    )
    parser.add_argument(
        "--inflation",
        type=rate(-0.05, 0.2),
        metavar="R",
        help="inflation for constant-price totals (default: the scenario's, else 0)",
    )


__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_READINGS_DRAWS",
    "DEFAULT_SEED",
    "UNIT_NAMES",
    "add_budget_option",
    "add_discount_options",
    "add_out_option",
    "add_output_options",
    "add_plan_option",
    "add_readings_option",
    "add_run_options",
    "add_workers_option",
    "budget_option",
    "default_language",
    "load_planned",
    "output_folder",
    "rate",
    "seed",
    "unit",
    "whole_number",
    "workers",
    "year",
]
