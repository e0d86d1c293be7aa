"""Start-up time of the command line: ``fiscalsim --help`` beside ``fiscalsim validate
baseline``, each a whole process, alternating, median of several runs.

``fiscalsim --help`` should finish well under 0.5 s: ``model/cli/main.py`` imports only the
module of the command it runs, and ``--help`` runs none (``tests/test_architecture.py``
checks that it loads no numpy, pandas or matplotlib; this measures the time). ``validate
baseline`` loads and checks a scenario (pydantic, PyYAML, no pandas): the yardstick of a
light command that does real work. The last line is machine-readable::

    help_s=… validate_s=… version_s=…

Usage: ``.venv/bin/python benchmarks/bench_cli.py [--runs 15]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Target of ``fiscalsim --help`` (issue 15), seconds.
HELP_TARGET_S = 0.5


def fiscalsim() -> list[str]:
    """The console script of this environment (``python -m model`` when none)."""
    script = Path(sys.executable).with_name("fiscalsim")
    if script.exists():
        return [str(script)]
    found = shutil.which("fiscalsim")
    return [found] if found else [sys.executable, "-m", "model"]


def wall_seconds(command: list[str]) -> float:
    """Wall time of one run of ``command``, from start to exit."""
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    base = fiscalsim()
    commands = {
        "help": [*base, "--help"],
        "version": [*base, "--version"],
        "validate": [*base, "validate", "baseline"],
    }
    for command in commands.values():  # warm the file cache and byte-code
        wall_seconds(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):  # alternate, so a drift of the machine's speed hits all
        for name, command in commands.items():
            times[name].append(wall_seconds(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, command in commands.items():
        values = times[name]
        print(
            f"{' '.join(command[-2:]) if name == 'validate' else command[-1]:<18} "
            f"median {medians[name]:.3f} s  (min {min(values):.3f}, max {max(values):.3f}, "
            f"{args.runs} runs)"
        )
    verdict = "within" if medians["help"] < HELP_TARGET_S else "OVER"
    print(f"--help is {verdict} its {HELP_TARGET_S} s target")
    print(
        f"help_s={medians['help']:.3f} validate_s={medians['validate']:.3f} "
        f"version_s={medians['version']:.3f}"
    )


if __name__ == "__main__":
    main()
