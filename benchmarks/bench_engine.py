"""Throughput and memory of the vectorized engine, against the per-draw loop reference.

Runs the full baseline at each size in a fresh subprocess, so that the peak resident
set size reported is that size's own, consuming the run chunk by chunk the way the
batch run does (each chunk reduced to per-draw yearly totals of the city's cost, then
dropped). "Full" is what ``model.simulate`` runs for the scenario: the grant line items
and, where the scenario configures them, the funds, 先投后股 and the loan pool; "grant
items" is the vectorized grant engine alone (the scenario with those three sections
removed), the model the per-draw loop reference (``tests/sim/loop_reference.py``, the
test suite's oracle) implements. The loop runs on a smaller number of draws for its
draws per second; the speed-up is the grant engine's rate over the loop's.

With ``--workers 2`` every size is also run with its chunks split over two processes
(``multiprocessing``, spawn), each simulating ``simulate(scenario, n, seed=seed,
start=first)`` for its share of the chunks, and the yearly totals are checked to be
bit-for-bit those of the single-process run (the engine's keyed block streams).

Usage (from the project root)::

    .venv/bin/python benchmarks/bench_engine.py
    .venv/bin/python benchmarks/bench_engine.py --sizes 10000,100000,1000000 \\
        --loop-draws 2000 --workers 2
    .venv/bin/python benchmarks/bench_engine.py --profile 100000

The last line is machine-readable: ``draws_per_s=… peak_rss_mb=… speedup_vs_loop=…``:
the draws per second and peak RSS of the largest full run (with ``--workers 2``, of its
two-process run) and the grant engine's speed-up over the loop at that size and worker
count (``--only full``: the full run's, a lower bound).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import hashlib
import json
import multiprocessing
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import model
from model import RunAccumulator, load_scenario, simulate, simulate_chunks
from model.core.streams import BLOCK_DRAWS

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


def _worker(
    scenario_ref: str, grants_only: bool, seed: int, ranges: list[tuple[int, int]], barrier, queue
) -> None:
    """One process of a ``--workers`` run: simulate its chunks, send back reductions."""
    scenario = load_timed_scenario(scenario_ref, grants_only)
    simulate(scenario, 1, seed=seed)  # imports and first-call costs, before the clock
    barrier.wait()
    cpu = _own_cpu_seconds()
    parts = [
        (first, *reduce_chunk(simulate(scenario, n, seed=seed, start=first))) for first, n in ranges
    ]
    queue.put((parts, peak_rss_mb(), _own_cpu_seconds() - cpu))


def run_engine_workers(
    scenario_ref: str, grants_only: bool, draws: int, seed: int, chunk_draws: int, workers: int
) -> dict:
    """Time a run whose chunks are split over ``workers`` spawned processes.

    The clock starts once every worker has imported the package and loaded the
    scenario (that start-up is reported separately, as ``startup_s``). Peak RSS is
    this process's plus every worker's (an upper bound of the run's footprint).
    """
    source = source_digest()
    context = multiprocessing.get_context("spawn")
    ranges = chunk_ranges(draws, chunk_draws)
    shares = [
        ranges[i * len(ranges) // workers : (i + 1) * len(ranges) // workers]
        for i in range(workers)
    ]
    barrier = context.Barrier(workers + 1)
    queue = context.Queue()
    processes = [
        context.Process(
            target=_worker,
            daemon=True,
            args=(scenario_ref, grants_only, seed, share, barrier, queue),
        )
        for share in shares
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    barrier.wait()
    cpu = _cpu_seconds()
    clock = time.perf_counter()
    replies = [queue.get() for _ in processes]
    seconds = time.perf_counter() - clock
    load = other_load(cpu, seconds, helpers_cpu=sum(reply[2] for reply in replies))
    for process in processes:
        process.join()
    parts = sorted((part for reply in replies for part in reply[0]), key=lambda p: p[0])
    sums, digest = combine([(chunk_sums, chunk_digest) for _, chunk_sums, chunk_digest in parts])
    return {
        "draws": draws,
        "workers": workers,
        "seconds": seconds,
        "startup_s": clock - started,
        "peak_rss_mb": peak_rss_mb() + sum(reply[1] for reply in replies),
        "worker_rss_mb": [reply[1] for reply in replies],
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


def measure_sizes(args: argparse.Namespace, grants_only: bool) -> dict | None:
    """Run every size (and its split run with ``--workers 2``); the largest's headline."""
    headline = None
    for draws in sorted(args.sizes):
        single = in_subprocess("engine", args, grants_only=grants_only, draws=draws)
        print(row(single), flush=True)
        headline = single
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
                row(
                    split, f"start-up {split['startup_s']:.1f} s not timed; yearly totals {verdict}"
                ),
                flush=True,
            )
            if comparable and not same:
                raise SystemExit(
                    "error: the split run's yearly totals differ from the single-process run's"
                )
            headline = split
    return headline


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
        choices=(1, 2),
        default=1,
        help="also run every size over 2 processes (default 1)",
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
    headlines = {}
    for part in parts:
        title = {
            "full": "full scenario (model.simulate: grant items"
            + (" + funds, 先投后股, loan pool)" if extras else ")"),
            "grants": "grant items only (the vectorized engine; the loop's model)",
        }[part]
        print(f"\n{title}")
        print(f"{'draws':>10} {'workers':>7} {'seconds':>9} {'draws/s':>11} {'peak RSS MB':>12}")
        headlines[part] = measure_sizes(args, grants_only=part == "grants")
    headline = headlines.get("full") or headlines["grants"]
    speedup = float("nan")
    if args.loop_draws > 0:
        loop = in_subprocess("loop", args, draws=args.loop_draws)
        print(
            f"\nloop reference (grant items): {loop['draws']:,} draws in "
            f"{loop['seconds']:.1f} s = {rate(loop):,.0f} draws/s, "
            f"peak RSS {loop['peak_rss_mb']:,.0f} MB {busy_note(loop)}".rstrip()
        )
        for part, result in headlines.items():
            print(
                f"speed-up over the loop, {part} at {result['draws']:,} draws with "
                f"{result['workers']} worker(s): {rate(result) / rate(loop):,.0f}×"
            )
        compared = headlines.get("grants") or headline
        speedup = rate(compared) / rate(loop)
    print(
        f"draws_per_s={rate(headline):.0f} peak_rss_mb={headline['peak_rss_mb']:.0f} "
        f"speedup_vs_loop={speedup:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
