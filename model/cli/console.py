"""What the commands print: every number with its unit, probabilities as percentages,
Monte Carlo errors beside estimates, in Chinese or English, and tables as a table, CSV
or JSON (``--format``).

Shared by the command modules like :mod:`model.cli.options`; it imports none of them.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TYPE_CHECKING

from model.core.units import Unit
from model.report.units import to_unit

if TYPE_CHECKING:
    import pandas as pd


def say(lang: str, zh: str, en: str) -> str:
    """The text in the chosen language (``--lang``)."""
    return zh if lang == "zh" else en


def percent(p: float) -> str:
    """A probability as a percentage with sensible precision: ``<0.1%``, ``12.3%``,
    ``>99.9%``; exactly 0 and 1 as ``0%`` and ``100%``; missing as ``—``."""
    if p is None or math.isnan(p):
        return "—"
    if p <= 0:
        return "0%"
    if p >= 1:
        return "100%"
    if p < 0.001:
        return "<0.1%"
    if p > 0.999:
        return ">99.9%"
    return f"{p:.1%}"


def amount(yuan: float, unit: Unit, *, sign: bool = False, with_unit: bool = True) -> str:
    """An amount of yuan in ``unit`` with thousands separators and the unit's decimals
    (亿元 two), and the unit's Chinese name: ``1,234.5 万元``."""
    if yuan is None or math.isnan(yuan):
        return "—"
    value = yuan / unit.divisor
    text = f"{value:+,.{unit.decimals}f}" if sign and value else f"{value:,.{unit.decimals}f}"
    return f"{text} {unit.label_zh}" if with_unit else text


def times(x: float) -> str:
    """A ratio such as a variance reduction: ``12.3×``; ``∞`` when the denominator is 0
    (identical draws), ``—`` when undefined."""
    if x is None or math.isnan(x):
        return "—"
    return "∞" if math.isinf(x) else f"{x:,.1f}×"


def machine_table(table: pd.DataFrame, unit: Unit, fmt: str) -> str:
    """A table for programs: money converted to ``unit`` (columns ``*_<unit>``), as CSV
    or JSON records."""
    shown = to_unit(table, unit)
    if any(name is not None for name in shown.index.names):
        shown = shown.reset_index()
    if fmt == "csv":
        return shown.to_csv(index=False, lineterminator="\n")
    records = json.loads(shown.to_json(orient="records", force_ascii=False))
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def emit(args: argparse.Namespace, table: pd.DataFrame | None, text: str, note: str = "") -> None:
    """Print a command's result: ``text`` for ``--format table``, ``table`` as CSV or
    JSON otherwise (``note``, such as where files were written, then goes to stderr);
    nothing with ``--quiet``."""
    if args.quiet:
        return
    fmt = getattr(args, "format", "table")
    if fmt == "table" or table is None:
        print(text + (f"\n\n{note}" if note else ""))
        return
    sys.stdout.write(machine_table(table, getattr(args, "unit", Unit.YUAN), fmt))
    if note:
        print(note, file=sys.stderr)


def wrote(lang: str, count: int, folder: object) -> str:
    """The closing line of a command that wrote files."""
    return say(lang, f"已写入 {count} 个文件：{folder}", f"wrote {count} files to {folder}")


__all__ = ["amount", "emit", "machine_table", "percent", "say", "times", "wrote"]
