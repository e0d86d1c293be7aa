"""``fiscalsim run`` (model/cli/run.py): the printed table, the timeline inside a run, and
bad draw counts or scenarios reported with exit code 2 and no traceback."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers.malformed import CORPUS

from model import simulate
from model.cli.main import main
from model.core.streams import MAX_DRAWS
from model.sim.timeline import timeline


def test_cli_run_prints_the_budget_table(tmp_path, capsys):
    status = main(
        [
            "run",
            "baseline",
            "--draws",
            "400",
            "--out",
            str(tmp_path / "cli"),
            "--unit",
            "yi",
            "--budget",
            "9",
            "--quiet",
        ]
    )
    assert status == 0
    assert capsys.readouterr().out == ""
    status = main(["run", "baseline", "--draws", "400", "--out", str(tmp_path / "cli")])
    out = capsys.readouterr().out
    assert status == 0
    assert "cost to the city, 万元" in out and "2025–2030" in out and "P95" in out


@pytest.mark.parametrize("draws", ["0", "-5", "abc", "100000000000"])
def test_cli_rejects_absurd_draw_counts(draws, tmp_path, capsys):
    status = _status(["run", "baseline", "--draws", draws, "--out", str(tmp_path / "x")])
    assert status == 2
    err = capsys.readouterr().err
    assert "draws" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def _status(argv):
    try:
        return main(argv)
    except SystemExit as exit_:  # argparse rejects what is not a number
        return exit_.code


def test_run_with_timeline_writes_it_inside_the_run(baseline, tmp_path):
    out = tmp_path / "with_timeline"
    assert (
        main(
            [
                "run",
                "baseline",
                "--draws",
                "300",
                "--out",
                str(out),
                "--timeline",
                "--timeline-draws",
                "40",
                "--quiet",
            ]
        )
        == 0
    )
    monthly = pd.read_csv(out / "timeline" / "monthly_cashflow.csv", encoding="utf-8-sig")
    assert len(monthly) > 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "timeline/monthly_cashflow.csv" in manifest["files_sha256"]
    # the timeline's months add up to the engine's years for the same draws
    scenario = baseline
    annual = timeline(scenario, 40, seed=20250101).annual_item_cash()
    engine = simulate(scenario, 40, seed=20250101).demand  # no ceilings in the baseline
    assert np.allclose(annual, engine, rtol=1e-9, atol=1e-3)


DRAWS_RANGE = f"must be a whole number from 1 to {MAX_DRAWS:,}"


@pytest.mark.parametrize("draws", ["0", "-5", "100000000000", str(MAX_DRAWS + 1)])
def test_run_rejects_absurd_draws(draws: str, in_project_root, tmp_path, capsys):
    out_dir = tmp_path / "out"
    status = main(["run", "baseline", f"--draws={draws}", "--out", str(out_dir), "--quiet"])
    out, err = capsys.readouterr()
    assert status == 2
    assert f"command line: field 'draws': {DRAWS_RANGE}, got {int(draws)}" in err
    assert "Traceback" not in out + err
    assert not out_dir.exists()


@pytest.mark.parametrize("draws", ["abc", "1e12", "2.5", ""])
def test_run_rejects_non_integer_draws(draws: str, in_project_root, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "baseline", f"--draws={draws}", "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"not a whole number: {draws!r}" in err
    assert "Traceback" not in err


def test_run_rejects_bad_draws_in_a_subprocess(run_fiscalsim, tmp_path):
    out_dir = tmp_path / "out"
    result = run_fiscalsim("run", "baseline", "--draws", "0", "--out", str(out_dir))
    assert result.returncode == 2
    assert f"{DRAWS_RANGE}, got 0" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not out_dir.exists()


@pytest.mark.parametrize(
    "ref", [f"{CORPUS}/no_such_scenario.yaml", "no_such_scenario", "baseline+no_such_variant"]
)
def test_run_missing_scenario(ref: str, in_project_root, tmp_path, capsys):
    status = main(["run", ref, "--draws", "10", "--out", str(tmp_path / "out"), "--quiet"])
    out, err = capsys.readouterr()
    assert status == 2
    assert f"{ref.split('+')[-1]}: file not found" in err
    assert "Traceback" not in out + err


def test_run_out_of_memory_exits_2_naming_draws(tmp_path, capsys, monkeypatch):
    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("model.report.batch.chunk_stats", no_memory)
    status = main(["run", "baseline", "--draws", "300", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert status == 2
    assert "--draws" in err and "not enough memory" in err and "Traceback" not in err
