"""Throughput of the fund, 先投后股 and loan-pool models on the baseline scenario.

Each programme of ``model.finance.programme.programmes(scenario)`` (the seed and angel
funds of article 20, the 先投后股 programme of article 11 and the loan-risk compensation
pool of article 21) is simulated on the run's year axis (``scenario.payment_years``) with
``programme.simulate(years, 0, n, seed=seed)``, the way a scenario run calls it. Each timing
is the best of ``--repeat`` runs after one warm-up run; "other CPUs" is the work other
processes did meanwhile (``bench_engine.other_load``: 1.0 means they took a whole CPU
of the machine), so that numbers from a shared machine can be judged.

With ``--workers 2`` the four models are also run with the draws split in two at the
random-stream block boundary nearest the middle, one part per process
(``multiprocessing``, spawn). Each worker returns a SHA-256 digest of its draws rather
than the arrays (pickling them back would cost more than simulating them), and the
digests are checked against the same rows of the single-process run (keyed block
streams make them bit-for-bit equal).

Usage (from the project root)::

    .venv/bin/python benchmarks/bench_funds.py
    .venv/bin/python benchmarks/bench_funds.py --draws 100000 --workers 2 --wait-quiet 120
    .venv/bin/python benchmarks/bench_funds.py --profile angel_funds

The last line is machine-readable: ``funds_draws_per_s=…``, the draws per second of the
four models together (with ``--workers 2``, of the two-process run).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import hashlib
import multiprocessing
import pstats
import time

import numpy as np
from bench_engine import _cpu_seconds, other_load, wait_until_quiet

from model import load_scenario
from model.core.streams import BLOCK_DRAWS
from model.finance.draw_arrays import slice_draws
from model.finance.programme import programmes


def _programmes(scenario_name: str):
    """The scenario's programme models and the run's year axis."""
    scenario = load_scenario(scenario_name)
    return programmes(scenario), scenario.payment_years


def _timed(run, repeat: int, wait: float) -> tuple[float, float | None]:
    """Best wall time of ``repeat`` runs after a warm-up, and the other processes' load
    during the best one."""
    run()  # warm-up: imports, caches, page faults of the first large allocations
    best, load = np.inf, None
    for _ in range(repeat):
        if wait > 0:
            wait_until_quiet(wait)
        before = _cpu_seconds()
        started = time.perf_counter()
        helpers = run()
        seconds = time.perf_counter() - started
        if seconds < best:
            helpers_cpu = helpers if isinstance(helpers, float) else 0.0
            best, load = seconds, other_load(before, seconds, helpers_cpu)
    return best, load


def _digest(draws) -> str:
    """SHA-256 of every field of a draws dataclass (arrays by their bytes)."""
    sha = hashlib.sha256()
    for field in dataclasses.fields(draws):
        value = getattr(draws, field.name)
        sha.update(field.name.encode())
        if isinstance(value, np.ndarray):
            sha.update(str(value.dtype).encode() + np.ascontiguousarray(value).tobytes())
        else:
            sha.update(repr(value).encode())
    return sha.hexdigest()


def _run_all(args: tuple[str, int, int, int, bool]) -> tuple[dict[str, str], float]:
    """Simulate draws ``[start, stop)`` of every programme (a worker's share): their digests
    (when asked; hashing is not timed) and the worker's CPU seconds."""
    scenario_name, start, stop, seed, digest = args
    models, years = _programmes(scenario_name)
    cpu = time.process_time()
    draws = {
        programme.id: programme.simulate(years, start, stop, seed=seed) for programme in models
    }
    return {k: _digest(v) for k, v in draws.items()} if digest else {}, time.process_time() - cpu


def _load_text(load: float | None) -> str:
    return "" if load is None else f"   other CPUs {load:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, choices=(1, 2))
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each measurement, wait up to SECONDS for other "
        "processes to leave the CPUs idle (default 0: don't wait)",
    )
    parser.add_argument("--profile", metavar="ID", help="cProfile one model instead")
    args = parser.parse_args()

    models, years = _programmes(args.scenario)
    n = args.draws
    if args.profile:
        programme = next(e for e in models if e.id == args.profile)
        profiler = cProfile.Profile()
        profiler.runcall(programme.simulate, years, 0, n, seed=args.seed)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return

    total = 0.0
    print(f"{'model':<34} {'seconds':>8} {'draws/s':>12}   ({n:,} draws, best of {args.repeat})")
    for programme in models:
        seconds, load = _timed(
            lambda e=programme: e.simulate(years, 0, n, seed=args.seed),
            args.repeat,
            args.wait_quiet,
        )
        total += seconds
        print(f"{programme.id:<34} {seconds:8.3f} {n / seconds:12,.0f}{_load_text(load)}")
    rate = n / total
    print(f"{'all four, one process':<34} {total:8.3f} {rate:12,.0f}")

    if args.workers == 2:
        # a block's rows before the range are simulated too, so split on a block boundary
        middle = min(n, round(n / 2 / BLOCK_DRAWS) * BLOCK_DRAWS)
        shares = [(args.scenario, 0, middle, args.seed), (args.scenario, middle, n, args.seed)]
        context = multiprocessing.get_context("spawn")
        with context.Pool(2) as pool:

            def run_both() -> float:
                parts = pool.map(_run_all, [(*share, False) for share in shares])
                return sum(cpu for _, cpu in parts)  # the workers' CPU, for other_load

            seconds, load = _timed(run_both, args.repeat, args.wait_quiet)
            parts = pool.map(_run_all, [(*share, True) for share in shares])
        whole = {
            programme.id: programme.simulate(years, 0, n, seed=args.seed) for programme in models
        }
        same = all(
            digests[k] == _digest(slice_draws(whole[k], lo, hi))
            for (digests, _), (_, lo, hi, _) in zip(parts, shares, strict=True)
            for k in whole
        )
        rate = n / seconds
        print(
            f"{'all four, two processes':<34} {seconds:8.3f} {rate:12,.0f}"
            f"{_load_text(load)}   (identical to one process: {same})"
        )
    print(f"funds_draws_per_s={rate:.0f}")


if __name__ == "__main__":
    main()
