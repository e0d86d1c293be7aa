"""The ``fiscalsim`` command line: parse, dispatch, and turn every failure into an exit
status with one clear message.

Each command lives in a module of its own (:mod:`model.cli.run`, …) with
``add_arguments(parser)`` and ``run(args)``. :data:`COMMANDS` names them, so that the
command line imports only the module of the command it runs: ``fiscalsim --help``
loads no numerical, plotting or file-format library.

Exit statuses (``docs/cli.md``): 0 success; 1 ``goalseek`` found no value, or an
unexpected fault (a bug: the traceback is printed); 2 bad input or a problem of the
machine (every input problem at once, each naming file, item and field; a full disk, a
file-size limit, a read-only or forbidden folder, too little memory); 130 stopped by
SIGINT (Ctrl-C); 143 stopped by SIGTERM. On 2, 130 and 143 the message is short and
there is no traceback, and no output folder is half-written: each is as it was, or this
run's and complete.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from model.core.errors import InputError
from model.core.version import package_version

#: Exit status of bad input, and of a problem of the machine (disk, permissions, memory).
EXIT_INPUT = 2
#: Exit status after SIGINT (128 + 2), SIGTERM (128 + 15) and, where there is one, SIGHUP
#: (128 + 1: the terminal closed), as shells report them.
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}
if hasattr(signal, "SIGHUP"):  # not on Windows
    EXIT_SIGNAL[signal.SIGHUP] = 129


class Command(NamedTuple):
    """A subcommand: the module that implements it and its one-line help."""

    module: str
    help: str


#: The subcommands, in the order ``fiscalsim --help`` lists them.
COMMANDS: dict[str, Command] = {
    "run": Command("model.cli.run", "simulate a scenario and write budget tables"),
    "plan": Command(
        "model.cli.plan",
        "the three-year medium-term plan table (中期财政规划) by 责任单位 and 206 科目, "
        "who pays, present values",
    ),
    "catalog": Command("model.cli.catalog", "list the policy's fiscal line items"),
    "funds": Command(
        "model.cli.funds",
        "funds, 先投后股 and loan pool: breach risk and losses against the tolerance rates "
        "(article 20)",
    ),
    "timeline": Command(
        "model.cli.timeline", "monthly cash out and first-come-first-served rationing"
    ),
    "readings": Command(
        "model.cli.readings",
        "what each reading of an ambiguous clause costs, and the envelope of all readings",
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
    "sweep": Command(
        "model.cli.sweep",
        "a grid or a sample of scenarios on a Dask cluster, one Parquet partition each",
    ),
    "validate": Command("model.cli.validate", "check catalog, scenario or variant files"),
}


class Stopped(KeyboardInterrupt):
    """Raised in the main thread by SIGINT or SIGTERM, so that every ``finally`` and
    cleanup runs (a ``KeyboardInterrupt``, so code that handles Ctrl-C handles both)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


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


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[list[int]]:
    """SIGINT and SIGTERM raise :class:`Stopped`, once: after the first signal (or once
    the caller appends to the yielded list, when it is only reporting) further signals
    are ignored, so that cleanup and the last message finish. The previous handlers come
    back afterwards."""
    stopping: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield stopping
        return

    def handler(signum: int, frame: object) -> None:
        if stopping:
            return
        stopping.append(signum)
        raise Stopped(signum)

    previous = {signum: signal.signal(signum, handler) for signum in EXIT_SIGNAL}
    try:
        yield stopping
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _machine_problem(error: OSError | MemoryError) -> str:
    """One line saying what the machine refused, and that nothing was half-written."""
    if isinstance(error, MemoryError):
        return (
            "fiscalsim: out of memory: the run needs more memory than this machine (or its "
            "ulimit -v) allows; try fewer --draws, or --no-draws-file; no output was changed"
        )
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EFBIG: "the file would exceed the size limit (ulimit -f)",
        errno.EROFS: "the folder is on a read-only filesystem",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EEXIST: "a file of that name is in the way",
        errno.ENAMETOOLONG: "the name is too long",
        errno.EMFILE: "too many open files",
    }
    reason = reasons.get(error.errno or -1, error.strerror or str(error) or type(error).__name__)
    where = f" ({error.filename})" if error.filename else ""
    return (
        f"fiscalsim: cannot write{where}: {reason}; nothing was half-written and earlier "
        "outputs are unchanged"
    )


def _dispatch(argv: Sequence[str] | None) -> tuple[int, str | None]:
    """Run the command; its exit status and the message to print (``None``: nothing)."""
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        # the command is the first word that is not an option; only its module is loaded
        named = next((word for word in argv if not word.startswith("-")), None)
        args = build_parser([named] if named in COMMANDS else []).parse_args(argv)
        return int(importlib.import_module(COMMANDS[args.command].module).run(args)), None
    except InputError as error:
        return EXIT_INPUT, error.report()
    except (OSError, MemoryError) as error:
        return EXIT_INPUT, _machine_problem(error)
    except KeyboardInterrupt as error:
        signum = getattr(error, "signum", signal.SIGINT)
        return EXIT_SIGNAL.get(signum, 130), (
            f"fiscalsim: stopped by {signal.Signals(signum).name}; nothing was half-written "
            "(each output folder is as it was, or this run's and complete)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fiscalsim`` console script; returns the exit status."""
    with _stop_on_signals() as stopping:
        try:
            status, message = _dispatch(argv)
        except KeyboardInterrupt as error:  # a signal between the command's end and here
            signum = getattr(error, "signum", signal.SIGINT)
            status = EXIT_SIGNAL.get(signum, 130)
            message = f"fiscalsim: stopped by {signal.Signals(signum).name}"
        stopping.append(0)  # from here on, signals are ignored: the message is printed whole
        if message:
            print(message, file=sys.stderr)
        return status


__all__ = ["COMMANDS", "EXIT_INPUT", "EXIT_SIGNAL", "Command", "Stopped", "build_parser", "main"]
