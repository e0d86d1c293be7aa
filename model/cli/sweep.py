"""``fiscalsim sweep SPEC.yaml``: a grid or a sample of scenarios on a Dask cluster.

Every point of the sweep (:mod:`model.analysis.sweep`) is a task; by default they run on
an embedded Dask ``LocalCluster`` with ``--workers`` processes (one process per core),
with ``--scheduler tcp://HOST:8786`` on an existing cluster, and with ``--workers 1`` in
this process (no Dask needed). Each point's draws are written, as they arrive, to a
partition of a Parquet dataset (``draws/point=<id>/part-0.parquet``, written whole or not
at all), so an interrupted sweep resumes from them (``--resume``); the summary table,
the Sobol indices of a Sobol sample and the manifest are written once every point is in.
A failed point is reported with its id and label (and ``failures.csv``), never dropped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from model.analysis.sweep import Point, Sweep, load_sweep, point_summary, run_point, sobol_table
from model.cli.options import add_out_option, add_workers_option
from model.core.errors import InputError, Problem
from model.core.paths import default_output_dir
from model.core.units import Unit
from model.report.manifest import build_manifest, write_manifest
from model.report.outputs import write_tables
from model.sim.parallel import default_workers

#: The file that marks a folder as a sweep's and records what it holds.
MARKER = "sweep.json"
#: The Parquet dataset's folder: one partition per point.
DATASET = "draws"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim sweep``."""
    parser.add_argument("spec", type=Path, help="sweep specification (YAML; see docs/cli.md)")
    add_out_option(parser, "outputs/sweep_<name>/")
    add_workers_option(parser)
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on an existing Dask cluster (e.g. tcp://HOST:8786) instead of a local one",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the points an interrupted run of the same sweep already wrote",
    )
    parser.add_argument(
        "--unit",
        type=Unit,
        choices=list(Unit),
        default=Unit.WAN,
        help="presentation unit of the summary: yuan, wan (万元, default) or yi (亿元)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _digest(sweep: Sweep) -> str:
    """What the partitions depend on: the points' scenarios, the draws and the seed."""
    text = json.dumps(
        {
            "draws": sweep.spec.draws,
            "seed": sweep.spec.seed,
            "points": [[p.id, p.scenario.digest()] for p in sweep.points],
        }
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _partition(out_dir: Path, point: Point) -> Path:
    return out_dir / DATASET / f"point={point.id}" / "part-0.parquet"


def prepare_folder(out_dir: Path, sweep: Sweep, *, resume: bool) -> set[str]:
    """Check (and clear, without ``--resume``) the output folder; the ids of the points
    already written."""
    digest = _digest(sweep)
    marker = out_dir / MARKER
    if out_dir.exists():
        if not out_dir.is_dir() or (any(out_dir.iterdir()) and not marker.is_file()):
            raise InputError(
                [Problem(str(out_dir), None, "--out", "exists and is not a sweep's folder")]
            )
        if marker.is_file():
            earlier = json.loads(marker.read_text(encoding="utf-8"))
            if resume and earlier.get("digest") != digest:
                raise InputError(
                    [
                        Problem(
                            str(out_dir),
                            None,
                            "--resume",
                            "the folder holds another sweep (other points, draws or seed)",
                        )
                    ]
                )
            if not resume:  # start over: remove what this tool wrote there
                shutil.rmtree(out_dir / DATASET, ignore_errors=True)
                for name in earlier.get("files", []):
                    (out_dir / name).unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "tool": "fiscalsim",
        "digest": digest,
        "spec": sweep.source,
        "files": ["summary.csv", "sobol.csv", "failures.csv", "manifest.json"],
        "points": [{"id": p.id, "label": p.label, **p.factors} for p in sweep.points],
    }
    temporary = marker.with_name(f".{MARKER}.{os.getpid()}")
    temporary.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, marker)
    done = {p.id for p in sweep.points if resume and _partition(out_dir, p).is_file()}
    return done


def write_partition(out_dir: Path, point: Point, frame: pd.DataFrame) -> None:
    """One point's draws as its partition, written whole or not at all."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = _partition(out_dir, point)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".part-0.parquet.{os.getpid()}")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), temporary, compression="zstd")
    os.replace(temporary, path)


def _read_partition(out_dir: Path, point: Point) -> pd.DataFrame:
    import pyarrow.parquet as pq

    return pq.read_table(_partition(out_dir, point)).to_pandas()


def _client(args: argparse.Namespace, workers: int) -> Any:
    """A Dask client: of the cluster at ``--scheduler``, or of a new LocalCluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(
            [
                Problem(
                    "command line",
                    None,
                    "--workers" if args.scheduler is None else "--scheduler",
                    "a sweep on a cluster needs Dask: pip install 'fiscalsim[sweep]' "
                    "(or run it in this process with --workers 1)",
                )
            ]
        ) from None
    if args.scheduler is not None:
        try:
            return Client(args.scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as error:
            raise InputError(
                [Problem("command line", None, "--scheduler", f"cannot reach it: {error}")]
            ) from None
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    return Client(cluster)


def execute(
    sweep: Sweep, out_dir: Path, todo: list[Point], args: argparse.Namespace, workers: int
) -> list[tuple[Point, str]]:
    """Run the points not yet written, writing each partition as it arrives; the
    failed points with their errors."""
    spec, failures = sweep.spec, []
    if args.scheduler is None and workers == 1:
        for point in todo:
            try:
                frame = run_point(point.scenario, spec.draws, spec.seed)
            except Exception as error:  # reported with its point, like a failed task
                failures.append((point, f"{type(error).__name__}: {error}"))
                continue
            write_partition(out_dir, point, frame)
        return failures
    from distributed import as_completed

    client = _client(args, workers)
    try:
        prefix = _digest(sweep)[:12]
        futures = {
            client.submit(
                run_point, p.scenario, spec.draws, spec.seed, key=f"fiscalsim-{prefix}-{p.id}"
            ): p
            for p in todo
        }
        for future in as_completed(futures):
            point = futures[future]
            if future.status == "error":
                failed = future.exception()
                failures.append((point, f"{type(failed).__name__}: {failed}"))
            else:
                write_partition(out_dir, point, future.result())
            future.release()
    finally:
        cluster = client.cluster
        client.close()
        if cluster is not None:
            cluster.close()
    return failures


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim sweep``; exit status 1 when a point failed."""
    sweep = load_sweep(args.spec)
    spec = sweep.spec
    out_dir = args.out or default_output_dir(f"sweep_{spec.name}")
    workers = args.workers or default_workers()
    done = prepare_folder(out_dir, sweep, resume=args.resume)
    todo = [p for p in sweep.points if p.id not in done]
    if not args.quiet:
        where = (
            f"the Dask cluster at {args.scheduler}"
            if args.scheduler
            else "this process"
            if workers == 1
            else f"a local Dask cluster of {workers} workers"
        )
        print(
            f"sweep {spec.name}: {len(sweep.points)} points × {spec.draws:,} draws, seed "
            f"{spec.seed}; {len(done)} already written, {len(todo)} to run in {where}",
            flush=True,
        )
    failures = execute(sweep, out_dir, todo, args, workers)
    if failures:
        table = pd.DataFrame(
            [{"point": p.id, "label": p.label, **p.factors, "error": e} for p, e in failures]
        ).set_index("point")
        table.to_csv(out_dir / "failures.csv", encoding="utf-8-sig")
        print(f"{len(failures)} of {len(sweep.points)} points failed:", file=sys.stderr)
        for point, error in failures:
            print(f"  {point.id} ({point.label}): {error}", file=sys.stderr)
        print(f"rerun with --resume to run only them; the others are in {out_dir}", file=sys.stderr)
        return 1
    (out_dir / "failures.csv").unlink(missing_ok=True)
    summary = pd.DataFrame(
        [point_summary(p, _read_partition(out_dir, p)) for p in sweep.points]
    ).set_index("point")
    tables = {"summary": summary}
    indices = sobol_table(sweep, summary)
    if indices is not None:
        tables["sobol"] = indices
    write_tables(out_dir, tables, args.unit)
    manifest = build_manifest(
        "sweep",
        [sweep.base],
        seed=spec.seed,
        draws=spec.draws,
        unit=args.unit,
        sweep=spec.name,
        points=len(sweep.points),
        spec_file=str(args.spec),
    )
    write_manifest(out_dir, manifest)
    if not args.quiet:
        shown = summary[["label", "mean_yuan", "p95_yuan"]].head(10).copy()
        for column in ("mean_yuan", "p95_yuan"):
            shown[column] = shown[column] / args.unit.divisor
        print(shown.to_string(float_format=lambda v: f"{v:,.1f}"))
        print(f"\nwrote {len(sweep.points)} partitions and the summary to {out_dir}")
    return 0


__all__ = ["DATASET", "MARKER", "add_arguments", "execute", "prepare_folder", "run"]
