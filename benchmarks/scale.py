"""The scale measurements of ``bench_engine.py``: a sweep on a 2-worker Dask LocalCluster
against the same sweep in one process, a Sobol analysis on the simulated P95, and the
peak memory of ``fiscalsim run`` at large numbers of draws.

Each runs the real command or function the way an analyst would (``fiscalsim sweep``,
``fiscalsim run`` in a subprocess; :func:`model.analysis.sensitivity.sobol`), with its
start-up in the clock.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Grid factors of the benchmark sweep (4 × 4 × 4 = 64 points).
SWEEP_GRID = {
    "key_tech_major_project:uptake": [0.7, 0.9, 1.1, 1.3],
    "basic_research_project:award": [0.8, 0.9, 1.1, 1.2],
    "cap_scale": [0.8, 0.9, 1.0, 1.1],
}


def _fiscalsim(*args: str) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``python -m model ARGS`` from the project root; its wall time."""
    clock = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "model", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - clock
    if done.returncode != 0:
        raise RuntimeError(f"fiscalsim {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return seconds, done


def _partitions(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted((folder / "draws").rglob("*.parquet"))
    }


def measure_sweep(points: int, draws: int, workers: int = 2) -> dict:
    """The same sweep in one process (``--workers 1``) and on a LocalCluster of
    ``workers``; wall times (start-up included), speed-up, and whether every partition is
    byte-identical."""
    values = list(SWEEP_GRID.items())
    grid_lines = []
    size = 1
    for name, options in values:  # take factors until the grid has ``points`` points
        if size >= points:
            break
        take = min(len(options), -(-points // size))
        grid_lines.append(f"  {name}: {options[:take]}")
        size *= take
    with tempfile.TemporaryDirectory(prefix="fiscalsim-bench-sweep-") as tmp:
        spec = Path(tmp) / "spec.yaml"
        spec.write_text(
            f"name: bench\ndraws: {draws}\nseed: 2025\ngrid:\n" + "\n".join(grid_lines) + "\n",
            encoding="utf-8",
        )
        one, _ = _fiscalsim("sweep", str(spec), "--workers", "1", "--out", f"{tmp}/one", "--quiet")
        many, _ = _fiscalsim(
            "sweep", str(spec), "--workers", str(workers), "--out", f"{tmp}/many", "--quiet"
        )
        identical = _partitions(Path(tmp) / "one") == _partitions(Path(tmp) / "many")
        count = len(_partitions(Path(tmp) / "one"))
    return {
        "points": count,
        "draws": draws,
        "workers": workers,
        "one_s": one,
        "cluster_s": many,
        "speedup": one / many,
        "identical": identical,
    }


def measure_sobol(n: int, factors: int, draws: int, workers: int) -> dict:
    """Sobol indices of the horizon total's mean and simulated P95 over the baseline's
    top ``factors`` tornado factors, base sample ``n`` (``n·(factors+2)`` points of
    ``draws`` draws each, common random numbers), on ``workers`` processes."""
    from model import load_scenario
    from model.analysis.sensitivity import sobol

    scenario = load_scenario("baseline")
    clock = time.perf_counter()
    # issue 12's sobol (simulated mean and P95) runs in one process for now: `workers` is
    # reported, not used, until it takes the shared runner (model.sim.parallel)
    result = sobol(scenario, n=n, seed=2025, top=factors, draws=draws)
    seconds = time.perf_counter() - clock
    p95 = result.table.loc["p95"]
    return {
        "n": n,
        "factors": len(result.factors),
        "points": n * (len(result.factors) + 2),
        "draws": draws,
        "workers": 1,
        "seconds": seconds,
        "top": p95["ST"].sort_values(ascending=False).head(3).round(3).to_dict(),
    }


#: Runs a command and prints the peak RSS (KiB) of its largest process: a fresh
#: interpreter, so that nothing else it waited for counts.
_PEAK_OF = (
    "import resource, subprocess, sys; "
    "status = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(status)"
)


def measure_run_memory(draws: int, workers: int = 1) -> dict:
    """Peak RSS of ``fiscalsim run baseline --draws N --no-draws-file`` (its largest
    process: the run itself with ``workers=1``), and its wall time."""
    with tempfile.TemporaryDirectory(prefix="fiscalsim-bench-run-") as tmp:
        command = [sys.executable, "-m", "model", "run", "baseline", "--draws", str(draws)]
        command += ["--no-draws-file", "--quiet", "--workers", str(workers), "--out", f"{tmp}/r"]
        clock = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _PEAK_OF, *command],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - clock
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return {
        "draws": draws,
        "workers": workers,
        "seconds": seconds,
        "peak_rss_mb": int(done.stdout.strip().splitlines()[-1]) / 2**10,
    }


__all__ = ["SWEEP_GRID", "measure_run_memory", "measure_sobol", "measure_sweep"]
