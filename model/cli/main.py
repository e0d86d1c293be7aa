"""The ``fiscalsim`` command line: parse, dispatch, and turn input problems into exit 2.

Each command lives in a module of its own (:mod:`model.cli.run`, …) with
``add_arguments(parser)`` and ``run(args)``. :data:`COMMANDS` names them, so that the
command line imports only the module of the command it runs: ``fiscalsim --help``
loads no numerical, plotting or file-format library. Every input problem is reported
with its file, item and field, all at once, and the command exits with status 2
without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from model.core.errors import InputError
from model.core.version import package_version


class Command(NamedTuple):
    """A subcommand: the module that implements it and its one-line help."""

    module: str
    help: str


#: The subcommands, in the order ``fiscalsim --help`` lists them.
COMMANDS: dict[str, Command] = {
    "run": Command("model.cli.run", "simulate a scenario and write budget tables"),
    "catalog": Command("model.cli.catalog", "list the policy's fiscal line items"),
    "funds": Command(
        "model.cli.funds",
        "funds, 先投后股 and loan pool: breach risk and losses against the tolerance rates "
        "(article 20)",
    ),
    "timeline": Command(
        "model.cli.timeline", "monthly cash out and first-come-first-served rationing"
    ),
    "compare": Command(
        "model.cli.compare", "compare variants with a base scenario on common random numbers"
    ),
    "sensitivity": Command(
        "model.cli.sensitivity",
        "which assumptions drive the cost: tornado, Sobol indices, Monte Carlo convergence",
    ),
    "goalseek": Command(
        "model.cli.goalseek",
        "the largest cap scale, cap or count keeping a year's P95 (or mean) cost within a budget",
    ),
    "report": Command(
        "model.cli.report",
        "run a scenario and write a self-contained HTML report (report.html)",
    ),
    "validate": Command("model.cli.validate", "check catalog, scenario or variant files"),
}


def build_parser(commands: Iterable[str] = ()) -> argparse.ArgumentParser:
    """The argument parser, with the options of ``commands`` (every subcommand is listed;
    only these have their options, which needs their modules)."""
    parser = argparse.ArgumentParser(
        prog="fiscalsim",
        description="Fiscal cost simulation of Changchun's draft S&T innovation policy "
        "(关于科技创新推动新质生产力发展的实施意见).",
    )
    parser.add_argument("--version", action="version", version=f"fiscalsim {package_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = set(commands)
    for name, command in COMMANDS.items():
        subparser = subparsers.add_parser(name, help=command.help, description=command.help)
        if name in wanted:
            importlib.import_module(command.module).add_arguments(subparser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fiscalsim`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # the command is the first word that is not an option; only its module is loaded
    named = next((word for word in argv if not word.startswith("-")), None)
    args = build_parser([named] if named in COMMANDS else []).parse_args(argv)
    try:
        return int(importlib.import_module(COMMANDS[args.command].module).run(args))
    except InputError as error:
        print(error.report(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: earlier outputs were left as they were", file=sys.stderr)
        return 130


__all__ = ["COMMANDS", "Command", "build_parser", "main"]
