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
