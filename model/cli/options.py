"""Options shared by the commands: ``--draws``, ``--seed``, ``--unit``, ``--out`` and
``--plan-start``; and what every command prints: ``--format``, ``--quiet``, ``--lang``.

Imported by every command module and importing none of them, so that the commands'
options are spelled and checked the same way everywhere.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from model.core.units import Unit
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


__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_READINGS_DRAWS",
    "DEFAULT_SEED",
    "UNIT_NAMES",
    "add_out_option",
    "add_output_options",
    "add_plan_option",
    "add_readings_option",
    "add_run_options",
    "default_language",
    "load_planned",
    "output_folder",
    "seed",
    "unit",
    "whole_number",
    "year",
]
