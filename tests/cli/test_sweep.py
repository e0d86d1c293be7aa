"""``fiscalsim sweep`` (model/cli/sweep.py): the same partitions in one process, on a
local Dask cluster of two workers and on a cluster started here; resumed from what an
interrupted run wrote; a failed point reported with its id, never dropped."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from model.cli.main import main

SPEC = """\
name: tiny
draws: 200
seed: 3
scenarios: [cap_cut_20_max]
grid:
  key_tech_major_project:uptake: [0.5, 1.5]
"""
POINTS = ["p0000", "p0001", "p0002"]


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sweep") / "spec.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def in_process(spec, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("one") / "out"
    assert main(["sweep", str(spec), "--workers", "1", "--out", str(out), "--quiet"]) == 0
    return out


def _files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and (p.suffix == ".parquet" or p.name == "summary.csv")
    }


def test_it_writes_one_partition_per_point_and_a_summary(in_process):
    import pyarrow.dataset as ds

    table = ds.dataset(in_process / "draws", format="parquet", partitioning="hive").to_table()
    frame = table.to_pandas()
    assert sorted(frame["point"].astype(str).unique()) == POINTS
    assert len(frame) == 3 * 200
    summary = (in_process / "summary.csv").read_text(encoding="utf-8-sig")
    assert "cap_cut_20_max" in summary and "mean_wan" in summary
    assert json.loads((in_process / "manifest.json").read_text())["command"] == "sweep"


@pytest.mark.slow
def test_a_local_cluster_of_two_workers_writes_the_same_bytes(spec, in_process, tmp_path):
    out = tmp_path / "two"
    assert main(["sweep", str(spec), "--workers", "2", "--out", str(out), "--quiet"]) == 0
    assert _files(out) == _files(in_process)


@pytest.mark.slow
def test_a_cluster_started_here_is_reached_with_scheduler(spec, in_process, tmp_path):
    address_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    scheduler = subprocess.Popen(
        [
            *dask,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(address_file),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        for _ in range(300):
            if address_file.is_file() and address_file.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(address_file.read_text())["address"]
        worker = subprocess.Popen(
            [*dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        out = tmp_path / "remote"
        status = main(["sweep", str(spec), "--scheduler", address, "--out", str(out), "--quiet"])
        assert status == 0
        assert _files(out) == _files(in_process)
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def test_an_unreachable_scheduler_is_an_input_error(spec, tmp_path, capsys):
    status = main(
        ["sweep", str(spec), "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "x")]
    )
    assert status == 2
    assert "--scheduler" in capsys.readouterr().err


def test_a_failed_point_is_reported_and_resumed(spec, in_process, tmp_path, monkeypatch, capsys):
    import model.cli.sweep as sweep_command

    real = sweep_command.run_point

    def flaky(scenario, draws, seed):
        if scenario.name == "cap_cut_20_max":
            raise RuntimeError("worker lost")
        return real(scenario, draws, seed)

    out = tmp_path / "resumed"
    monkeypatch.setattr(sweep_command, "run_point", flaky)
    assert main(["sweep", str(spec), "--workers", "1", "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "p0000 (cap_cut_20_max): RuntimeError: worker lost" in err
    assert "p0000" in (out / "failures.csv").read_text(encoding="utf-8-sig")
    assert not (out / "summary.csv").exists()
    kept = (out / "draws" / "point=p0001" / "part-0.parquet").stat().st_mtime_ns

    calls = []
    monkeypatch.setattr(sweep_command, "run_point", lambda *a: calls.append(a[0].name) or real(*a))
    assert (
        main(["sweep", str(spec), "--resume", "--out", str(out), "--quiet", "--workers", "1"]) == 0
    )
    assert calls == ["cap_cut_20_max"]  # only the failed point ran again
    assert (out / "draws" / "point=p0001" / "part-0.parquet").stat().st_mtime_ns == kept
    assert not (out / "failures.csv").exists()
    assert _files(out) == _files(in_process)


def test_it_never_writes_into_a_folder_it_did_not_make(spec, tmp_path, capsys):
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    assert main(["sweep", str(spec), "--out", str(foreign), "--workers", "1"]) == 2
    assert (foreign / "thesis.docx").read_text() == "precious"
    assert "not a sweep's folder" in capsys.readouterr().err


def test_a_bad_spec_exits_2_naming_file_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("draws: -3\n", encoding="utf-8")
    assert main(["sweep", str(bad), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "draws" in err
