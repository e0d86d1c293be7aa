"""``fiscalsim goalseek`` (model/cli/goalseek.py): its table and exit status."""

from __future__ import annotations

import pandas as pd

from model.cli.goalseek import run
from model.cli.main import build_parser


def test_goalseek_command_writes_its_table(tmp_path, in_project_root, capsys):
    out = tmp_path / "gs"
    args = build_parser(["goalseek"]).parse_args(
        [
            "goalseek",
            "scenarios/checks/deterministic.yaml",
            "--year",
            "2026",
            "--budget",
            "1",
            "--statistic",
            "mean",
            "--draws",
            "10",
            "--out",
            str(out),
        ]
    )
    assert run(args) == 1  # 1万元 is below even the 不少于 floor
    assert "no value in range" in capsys.readouterr().out
    answer = pd.read_csv(out / "goal_seek.csv", encoding="utf-8-sig")
    assert not answer["feasible"].iloc[0]
