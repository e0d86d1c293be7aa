"""Throughput, parallel efficiency, sweeps and memory of fiscalsim, side by side.

Runs the full baseline at each size in a fresh subprocess, so that the peak resident
set size reported is that size's own, consuming the run chunk by chunk the way the
batch run does (each chunk reduced to per-draw yearly totals of the city's cost, then
dropped). "Full" is what ``model.simulate`` runs for the scenario: the grant line items
and, where the scenario configures them, the funds, 先投后股 and the loan pool; "grant
items" is the vectorized grant engine alone (the scenario with those three sections
removed), the model the per-draw loop reference (``tests/sim/loop_reference.py``, the
test suite's oracle) implements. The loop runs on a smaller number of draws for its
draws per second; the speed-up is the grant engine's rate over the loop's.

With ``--workers N`` (default: the machine's cores) every size is also run through
:func:`model.sim.parallel.map_chunks` on N processes, start-up included, and the yearly
totals are checked to be bit-for-bit those of the single-process run; the parallel
efficiency is the N-process rate over N times the one-process rate. Then (``scale.py``):
a sweep of ``--sweep-points`` scenarios in one process and on a 2-worker Dask
LocalCluster (identical partitions required), a Sobol analysis on the simulated P95, and
the peak RSS of ``fiscalsim run baseline`` at ``--memory-draws``.

Usage (from the project root)::

    .venv/bin/python benchmarks/bench_engine.py --wait-quiet 60      # everything (~25 min)
    .venv/bin/python benchmarks/bench_engine.py --sizes 20000 --loop-draws 200 \
        --sweep-points 4 --sobol-n 0 --memory-draws 20000            # a quick look
    .venv/bin/python benchmarks/bench_engine.py --profile 100000

The last line is machine-readable: ``draws_per_s=… peak_rss_mb=… speedup_vs_loop=…
parallel_efficiency=… sweep_speedup=…``: the one-process draws per second of the largest
full run, the peak RSS of ``fiscalsim run`` at the largest ``--memory-draws`` (else of
that engine run), the grant engine's one-process speed-up over the loop, the parallel
efficiency of the largest full run and the sweep's speed-up on the cluster.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import functools
import hashlib
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scale  # beside this script

import model
from model import RunAccumulator, load_scenario, simulate, simulate_chunks
from model.core.streams import BLOCK_DRAWS
from model.sim.parallel import default_workers, map_chunks

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent
#: The folder of the per-draw loop reference, the test suite's oracle (loop_reference.py).
LOOP_REFERENCE_DIR = PROJECT_ROOT / "tests" / "sim"
#: Draws per chunk: one random-stream block, the engine's own default for the baseline.
DEFAULT_CHUNK_DRAWS = BLOCK_DRAWS


# ------------------------------------------------------------------ measurements
def grant_items_only(scenario):
    """The scenario without funds, 先投后股 and loan pool: the grant engine alone."""
    removable = {"funds": {}, "conversion": None, "loan_compensation": None}
    update = {
        key: value for key, value in removable.items() if key in type(scenario.spec).model_fields
    }
    return dataclasses.replace(scenario, spec=scenario.spec.model_copy(update=update))


def load_timed_scenario(scenario_ref: str, grants_only: bool):
    """Load the scenario to time (the grant items alone with ``grants_only``)."""
    scenario = load_scenario(scenario_ref)
    return grant_items_only(scenario) if grants_only else scenario


def _own_cpu_seconds() -> float:
    """CPU seconds used by this process and its waited-for children."""
    return sum(
        getattr(resource.getrusage(who), field)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for field in ("ru_utime", "ru_stime")
    )


def _cpu_seconds() -> tuple[float, float] | None:
    """Busy CPU seconds of the whole machine (Linux ``/proc/stat``) and of this process
    with its waited-for children, or None where ``/proc/stat`` does not exist."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:9]]
    except OSError:
        return None
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait
    return busy, _own_cpu_seconds()


def other_load(
    before: tuple[float, float] | None, seconds: float, helpers_cpu: float = 0.0
) -> float | None:
    """CPUs' worth of work done by *other* processes since ``before`` (0 on a quiet
    machine; 1 means another process took a whole CPU), or None when unknown.

    ``helpers_cpu`` is CPU time of this run's own worker processes in that interval
    that the process's own accounting does not see yet.
    """
    after = _cpu_seconds()
    if before is None or after is None or seconds <= 0:
        return None
    own = after[1] - before[1] + helpers_cpu
    return max(0.0, (after[0] - before[0]) - own) / seconds


def wait_until_quiet(timeout: float, threshold: float = 0.15) -> float | None:
    """Wait (up to ``timeout`` seconds) until other processes use under ``threshold``
    CPUs over a 2-second sample; return the last sample's load."""
    started = time.monotonic()
    while True:
        before = _cpu_seconds()
        time.sleep(2.0)
        load = other_load(before, 2.0)
        waited = time.monotonic() - started
        if load is None or load < threshold or waited > timeout:
            if waited > 2.5 and load is not None:
                print(
                    f"  (waited {waited:.0f} s for a quiet machine; other processes now use "
                    f"{load:.1f} CPUs)",
                    file=sys.stderr,
                    flush=True,
                )
            return load


def source_digest() -> str:
    """SHA-256 of the package's source and the scenario files: two runs can only be
    compared bit for bit when nobody edited either in between."""
    digest = hashlib.sha256()
    roots = (Path(model.__file__).resolve().parent, PROJECT_ROOT / "scenarios")
    for path in sorted(
        p for root in roots for p in root.rglob("*") if p.suffix in (".py", ".yaml") and p.is_file()
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes vs KiB


def chunk_ranges(draws: int, chunk_draws: int) -> list[tuple[int, int]]:
    """``(first draw, draws)`` of each chunk, as :func:`model.simulate_chunks` splits."""
    return [(first, min(chunk_draws, draws - first)) for first in range(0, draws, chunk_draws)]


def reduce_chunk(results) -> tuple[np.ndarray, str]:
    """A chunk's sum of yearly city totals (yuan) and a digest of its per-draw totals.

    The per-draw totals ``results.city.sum(axis=1)`` are what the batch run keeps of
    every chunk (:meth:`model.RunAccumulator.add`).
    """
    totals = np.ascontiguousarray(results.city.sum(axis=1))
    return totals.sum(axis=0), hashlib.sha256(totals.tobytes()).hexdigest()


def combine(parts: list[tuple[np.ndarray, str]]) -> tuple[list[float], str]:
    """Yearly sums and one digest of a run from its chunks' reductions, in draw order."""
    sums = np.zeros_like(parts[0][0])
    digest = hashlib.sha256()
    for chunk_sums, chunk_digest in parts:
        sums += chunk_sums
        digest.update(chunk_digest.encode())
    return sums.tolist(), digest.hexdigest()


def run_engine(
    scenario_ref: str, grants_only: bool, draws: int, seed: int, chunk_draws: int, accumulate: bool
) -> dict:
    """Time one single-process run (this process), chunk by chunk."""
    source = source_digest()
    scenario = load_timed_scenario(scenario_ref, grants_only)
    cpu = _cpu_seconds()
    clock = time.perf_counter()
    accumulator = RunAccumulator(scenario) if accumulate else None
    parts = []
    for chunk in simulate_chunks(scenario, draws, seed=seed, chunk_draws=chunk_draws):
        parts.append(reduce_chunk(chunk))
        if accumulator is not None:
            accumulator.add(chunk)
    if accumulator is not None:
        accumulator.finish()
    seconds = time.perf_counter() - clock
    load = other_load(cpu, seconds)
    sums, digest = combine(parts)
    return {
        "draws": draws,
        "workers": 1,
        "seconds": seconds,
        "startup_s": 0.0,
        "peak_rss_mb": peak_rss_mb(),
        "other_load": load,
        "sums": sums,
        "digest": digest,
        "source": source,
    }


@functools.lru_cache(maxsize=2)
def _cached_scenario(scenario_ref: str, grants_only: bool):
    return load_timed_scenario(scenario_ref, grants_only)


def bench_chunk(scenario_ref: str, grants_only: bool, seed: int, first: int, n: int):
    """A ``--workers`` run's task (in whichever process runs it): a chunk's reduction."""
    scenario = _cached_scenario(scenario_ref, grants_only)
    return reduce_chunk(simulate(scenario, n, seed=seed, start=first))


def run_engine_workers(
    scenario_ref: str, grants_only: bool, draws: int, seed: int, chunk_draws: int, workers: int
) -> dict:
    """Time a run through :func:`model.sim.parallel.map_chunks` with ``workers`` processes
    (the calling one included), the way every command runs in parallel.

    The clock covers everything, the workers' start-up included (spawned interpreters
    importing the package while the calling process already simulates the first chunks).
    Peak RSS is this process's plus the largest worker's times the number of workers
    (an upper bound of the run's footprint).
    """
    source = source_digest()
    _cached_scenario(scenario_ref, grants_only)  # loaded before the clock, as in run_engine
    task = functools.partial(bench_chunk, scenario_ref, grants_only, seed)
    cpu = _cpu_seconds()
    clock = time.perf_counter()
    parts = list(map_chunks(task, draws, chunk_draws=chunk_draws, workers=workers))
    seconds = time.perf_counter() - clock
    load = other_load(cpu, seconds)
    sums, digest = combine(parts)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**10
    return {
        "draws": draws,
        "workers": workers,
        "seconds": seconds,
        "startup_s": 0.0,
        "peak_rss_mb": peak_rss_mb() + (workers - 1) * children,
        "other_load": load,
        "sums": sums,
        "digest": digest,
        "source": source,
    }


def _load_loop_reference():
    """The loop reference module, imported from the test suite's folder."""
    if str(LOOP_REFERENCE_DIR) not in sys.path:
        sys.path.insert(0, str(LOOP_REFERENCE_DIR))
    import loop_reference

    return loop_reference


def run_loop(scenario_ref: str, draws: int, seed: int) -> dict:
    """Time the per-draw loop reference (this process)."""
    simulate_loop = _load_loop_reference().simulate_loop
    scenario = load_scenario(scenario_ref)
    cpu = _cpu_seconds()
    clock = time.perf_counter()
    simulate_loop(scenario, draws, seed=seed)
    seconds = time.perf_counter() - clock
    return {
        "draws": draws,
        "workers": 1,
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "other_load": other_load(cpu, seconds),
    }


def profile_engine(
    scenario_ref: str, grants_only: bool, draws: int, seed: int, chunk_draws: int, top: int = 25
) -> None:
    """Print the cProfile of a single-process run, by own time and by cumulative time."""
    scenario = load_timed_scenario(scenario_ref, grants_only)
    profiler = cProfile.Profile()
    profiler.enable()
    for chunk in simulate_chunks(scenario, draws, seed=seed, chunk_draws=chunk_draws):
        reduce_chunk(chunk)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


# ------------------------------------------------------------------ driver
def in_subprocess(
    job: str, args: argparse.Namespace, *, grants_only: bool = False, **options
) -> dict:
    """Run one measurement in a fresh interpreter (so its peak RSS is its own)."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--job",
        job,
        "--scenario",
        args.scenario,
        "--seed",
        str(args.seed),
        "--chunk-draws",
        str(args.chunk_draws),
    ]
    if args.accumulate:
        command.append("--accumulate")
    if grants_only:
        command.append("--grants-only")
    if args.wait_quiet > 0:
        wait_until_quiet(args.wait_quiet)
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def parse_sizes(text: str) -> list[int]:
    sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive whole numbers")
    return sizes


def describe_source() -> str:
    """The git commit of the checkout, and whether the model or scenarios differ from it."""

    def git(*command: str) -> str:
        try:
            done = subprocess.run(
                ["git", *command],
                cwd=PROJECT_ROOT,
                capture_output=True,
                text=True,
                check=False,
                timeout=10,
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "model", "scenarios")
    return f"commit {commit}{' + uncommitted changes to model/ or scenarios/' if dirty else ''}"


def describe_machine() -> str:
    return (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy "
        f"{np.__version__}, {platform.platform()}, OPENBLAS_CORETYPE="
        f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}"
    )


def rate(result: dict) -> float:
    """Draws per second of a measurement."""
    return result["draws"] / result["seconds"]


def busy_note(result: dict) -> str:
    """A warning when other processes competed for the CPUs during a measurement."""
    load = result.get("other_load")
    return "" if load is None or load < 0.15 else f"[other processes used {load:.1f} CPUs]"


def row(result: dict, note: str = "") -> str:
    return (
        f"{result['draws']:>10,} {result['workers']:>7} {result['seconds']:>9.2f} "
        f"{rate(result):>11,.0f} {result['peak_rss_mb']:>12,.0f}  "
        f"{' '.join(filter(None, [note, busy_note(result)]))}"
    ).rstrip()


def measure_sizes(args: argparse.Namespace, grants_only: bool) -> tuple[dict, dict | None]:
    """Run every size on one process (and on ``--workers``); the largest's two results."""
    single, split = {}, None
    for draws in sorted(args.sizes):
        single = in_subprocess("engine", args, grants_only=grants_only, draws=draws)
        print(row(single), flush=True)
        split = None
        if args.workers > 1:
            split = in_subprocess(
                "engine", args, grants_only=grants_only, draws=draws, job_workers=args.workers
            )
            same = split["digest"] == single["digest"] and split["sums"] == single["sums"]
            comparable = split["source"] == single["source"]
            verdict = (
                "not compared (the model's source or scenarios changed between the two runs)"
                if not comparable
                else "identical to 1 worker"
                if same
                else "DIFFER FROM 1 worker"
            )
            print(
                row(split, f"start-up included; yearly totals {verdict}"),
                flush=True,
            )
            if comparable and not same:
                raise SystemExit(
                    "error: the split run's yearly totals differ from the single-process run's"
                )
    return single, split


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[10_000, 100_000, 1_000_000],
        help="comma-separated numbers of draws (default 10000,100000,1000000)",
    )
    parser.add_argument(
        "--loop-draws",
        type=int,
        default=2_000,
        help="draws of the loop reference (default 2000; 0 skips it)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="also run every size on this many processes through model.sim.parallel, "
        "start-up included (default: the machine's cores; 1 skips it)",
    )
    parser.add_argument(
        "--only",
        choices=("full", "grants"),
        help="time only the full scenario, or only its grant items "
        "(default: both, when the scenario has funds or the like)",
    )
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument(
        "--chunk-draws",
        type=int,
        default=DEFAULT_CHUNK_DRAWS,
        help=f"draws per chunk, whole blocks (default {DEFAULT_CHUNK_DRAWS})",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each measurement, wait up to SECONDS for other "
        "processes to leave the CPUs idle (default 0: don't wait)",
    )
    parser.add_argument(
        "--accumulate",
        action="store_true",
        help="also feed each chunk to RunAccumulator and build the tables "
        "(the batch run's whole reduction; single-process runs only)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="DRAWS",
        help="print a cProfile of one run of DRAWS draws and exit "
        "(of the grant items alone with --only grants)",
    )
    parser.add_argument(
        "--sweep-points",
        type=int,
        default=64,
        help="scenarios of the sweep timed in one process and on a 2-worker Dask "
        "LocalCluster (default 64; 0 skips it)",
    )
    parser.add_argument(
        "--sweep-draws", type=int, default=16_384, help="draws of each sweep scenario"
    )
    parser.add_argument(
        "--sobol-n",
        type=int,
        default=1024,
        help="base sample of the Sobol analysis on the simulated P95 (default 1024; 0 skips)",
    )
    parser.add_argument("--sobol-factors", type=int, default=8, help="Sobol factors (default 8)")
    parser.add_argument(
        "--sobol-draws", type=int, default=5_000, help="draws of each Sobol point (default 5000)"
    )
    parser.add_argument(
        "--memory-draws",
        type=parse_sizes,
        default=[1_000_000, 10_000_000],
        help="peak RSS of `fiscalsim run baseline --draws N` at these sizes "
        "(default 1000000,10000000)",
    )
    parser.add_argument("--job", choices=("engine", "loop"), help=argparse.SUPPRESS)
    parser.add_argument("--draws", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--job-workers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--grants-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.chunk_draws < BLOCK_DRAWS or args.chunk_draws % BLOCK_DRAWS:
        parser.error(f"--chunk-draws must be a multiple of the block size {BLOCK_DRAWS}")

    if args.job == "engine":
        if args.job_workers == 1:
            result = run_engine(
                args.scenario,
                args.grants_only,
                args.draws,
                args.seed,
                args.chunk_draws,
                args.accumulate,
            )
        else:
            result = run_engine_workers(
                args.scenario,
                args.grants_only,
                args.draws,
                args.seed,
                args.chunk_draws,
                args.job_workers,
            )
        print(json.dumps(result))
        return 0
    if args.job == "loop":
        print(json.dumps(run_loop(args.scenario, args.draws, args.seed)))
        return 0
    if args.profile:
        profile_engine(
            args.scenario, args.only == "grants", args.profile, args.seed, args.chunk_draws
        )
        return 0

    scenario = load_scenario(args.scenario)
    extras = grant_items_only(scenario).spec != scenario.spec
    parts = [args.only] if args.only else (["full", "grants"] if extras else ["full"])
    print(
        f"fiscalsim engine benchmark: scenario {scenario.name}, {len(scenario.items)} grant "
        f"items, {len(scenario.payment_years)} years, seed {args.seed}, chunks of "
        f"{args.chunk_draws:,} draws, reduction: "
        f"{'RunAccumulator + tables' if args.accumulate else 'yearly totals per draw'}"
    )
    print(f"machine: {describe_machine()}")
    print(f"source: {describe_source()}")
    singles, splits = {}, {}
    for part in parts:
        title = {
            "full": "full scenario (model.simulate: grant items"
            + (" + funds, 先投后股, loan pool)" if extras else ")"),
            "grants": "grant items only (the vectorized engine; the loop's model)",
        }[part]
        print(f"\n{title}")
        print(f"{'draws':>10} {'workers':>7} {'seconds':>9} {'draws/s':>11} {'peak RSS MB':>12}")
        singles[part], splits[part] = measure_sizes(args, grants_only=part == "grants")
    headline = singles.get("full") or singles["grants"]
    efficiency = float("nan")
    split = splits.get("full") or splits.get("grants")
    if split is not None:
        efficiency = rate(split) / (split["workers"] * rate(headline))
        print(
            f"\nparallel efficiency at {split['draws']:,} draws on {split['workers']} processes "
            f"(start-up included): {efficiency:.2f}"
        )
    speedup = float("nan")
    if args.loop_draws > 0:
        loop = in_subprocess("loop", args, draws=args.loop_draws)
        print(
            f"\nloop reference (grant items): {loop['draws']:,} draws in "
            f"{loop['seconds']:.1f} s = {rate(loop):,.0f} draws/s, "
            f"peak RSS {loop['peak_rss_mb']:,.0f} MB {busy_note(loop)}".rstrip()
        )
        for part, result in singles.items():
            print(
                f"speed-up over the loop, {part} at {result['draws']:,} draws on one "
                f"process: {rate(result) / rate(loop):,.0f}×"
            )
        compared = singles.get("grants") or headline
        speedup = rate(compared) / rate(loop)
    sweep_speedup = float("nan")
    if args.sweep_points:
        sweep = scale.measure_sweep(args.sweep_points, args.sweep_draws, workers=2)
        sweep_speedup = sweep["speedup"]
        print(
            f"\nsweep of {sweep['points']} scenarios × {sweep['draws']:,} draws: one process "
            f"{sweep['one_s']:.1f} s, Dask LocalCluster of 2 workers {sweep['cluster_s']:.1f} s "
            f"(start-up included) = {sweep_speedup:.2f}×; partitions "
            f"{'identical' if sweep['identical'] else 'DIFFER'}"
        )
        if not sweep["identical"]:
            raise SystemExit("error: the cluster's partitions differ from the one process's")
    if args.sobol_n:
        sobol = scale.measure_sobol(
            args.sobol_n, args.sobol_factors, args.sobol_draws, max(args.workers, 1)
        )
        print(
            f"\nSobol on the simulated P95: {sobol['factors']} factors, base sample "
            f"{sobol['n']:,} ({sobol['points']:,} points × {sobol['draws']:,} draws) on "
            f"{sobol['workers']} processes: {sobol['seconds']:.1f} s; largest total indices "
            f"{sobol['top']}"
        )
    peak = headline["peak_rss_mb"]
    for draws in sorted(args.memory_draws):
        memory = scale.measure_run_memory(draws, workers=1)
        peak = memory["peak_rss_mb"]
        print(
            f"fiscalsim run baseline --draws {draws:,} --no-draws-file --workers 1: "
            f"{memory['seconds']:.1f} s, peak RSS {peak:,.0f} MB"
        )
    print(
        f"draws_per_s={rate(headline):.0f} peak_rss_mb={peak:.0f} "
        f"speedup_vs_loop={speedup:.0f} parallel_efficiency={efficiency:.2f} "
        f"sweep_speedup={sweep_speedup:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
