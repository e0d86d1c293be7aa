"""Throughput of the event model (``model.sim.timeline``): draws per second.

Runs the baseline timeline (target: 1,000 draws in at most 60 s on 2 cores), then, for
context, the baseline with every batch sent through the SimPy loop and the
appropriation-ceilings variant (whose rationed items always run the loop). The last
line is machine-readable::

    timeline_draws_per_s=… peak_rss_mb=…

Usage: ``.venv/bin/python benchmarks/bench_timeline.py [--draws 1000] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

from model import load_scenario
from model.sim.timeline import timeline


def rate(scenario, draws: int, seed: int, **options) -> tuple[float, object]:
    """Draws per second of one timeline run (and the result)."""
    started = time.perf_counter()
    result = timeline(scenario, draws, seed=seed, **options)
    return draws / (time.perf_counter() - started), result


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MiB (``ru_maxrss`` is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    baseline = load_scenario("baseline")
    ceilings = load_scenario("appropriation_ceilings")
    timeline(baseline, 4, seed=args.seed)  # imports and first-call costs out of the timing
    context = args.draws // 5
    full, _ = rate(baseline, context, args.seed, full_loop=True)
    print(f"baseline, every batch through the SimPy loop: {full:,.0f} draws/s ({context} draws)")
    for rule in ("reject", "defer"):
        speed, result = rate(ceilings, context, args.seed, timing={"on_shortfall": rule})
        print(
            f"appropriation_ceilings, {rule}: {speed:,.0f} draws/s ({context} draws, "
            f"{result.batches.mean():,.0f} batches a draw)"
        )
    speed, result = rate(baseline, args.draws, args.seed)
    print(
        f"baseline: {args.draws:,} draws in {args.draws / speed:.1f} s, "
        f"{result.batches.mean():,.0f} payment batches a draw"
    )
    print(f"timeline_draws_per_s={speed:.1f} peak_rss_mb={peak_rss_mb():.0f}")


if __name__ == "__main__":
    main()
