"""``fiscalsim sensitivity`` (model/cli/sensitivity.py): its tables, charts and manifest."""

from __future__ import annotations

from model.cli.main import build_parser
from model.cli.sensitivity import run


def test_sensitivity_command_runs_the_convergence_check(tmp_path, in_project_root):
    out = tmp_path / "sens"
    args = build_parser(["sensitivity"]).parse_args(
        [
            "sensitivity",
            "baseline",
            "--method",
            "convergence",
            "--target-se",
            "0.01",
            "--out",
            str(out),
        ]
    )
    assert run(args) == 0
    assert {"convergence.csv", "convergence.png", "manifest.json"} <= {
        p.name for p in out.iterdir()
    }


def _run(*argv: str) -> int:
    return run(build_parser(["sensitivity"]).parse_args(["sensitivity", *argv]))


def test_tornado_prints_the_structural_factors_with_their_ranks(tmp_path, capsys):
    out = tmp_path / "tornado"
    assert _run("baseline", "--draws", "200", "--top-rows", "5", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    for factor in (
        "admission_years:window",
        "provincial_lab_funding:uptake",
        "future_seed_fund:multiple",
        "angel_funds:write_off",
        "provincial_lab_funding:reading",
    ):
        assert factor in printed, factor
    assert "structural factors further down" in printed
    assert {"tornado.csv", "tornado.png", "spider.png"} <= {p.name for p in out.iterdir()}


def test_sobol_says_which_indices_are_not_resolved_and_the_n_that_would(tmp_path, capsys):
    out = tmp_path / "sobol"
    status = _run(
        "baseline",
        "--method",
        "sobol",
        "--sobol-n",
        "4",
        "--top",
        "2",
        "--draws",
        "100",
        "--out",
        str(out),
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert "p95" in printed and "S1_conf" in printed
    assert "NOT RESOLVED: n = 4 is too small" in printed
    assert "Rerun with --sobol-n" in printed
    assert (out / "sobol.csv").is_file()
