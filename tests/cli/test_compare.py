"""``fiscalsim compare`` (model/cli/compare.py): its tables, charts and manifest."""

from __future__ import annotations

import pandas as pd

from model.cli.compare import run
from model.cli.main import build_parser


def test_the_command_writes_tables_charts_and_a_manifest(tmp_path, in_project_root, capsys):
    out = tmp_path / "cmp"
    args = build_parser(["compare"]).parse_args(
        [
            "compare",
            "baseline",
            "cap_cut_20_max",
            "--draws",
            "200",
            "--seed",
            "1",
            "--out",
            str(out),
        ]
    )
    assert run(args) == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "compare.csv",
        "compare_items.csv",
        "compare.xlsx",
        "compare_delta.png",
        "compare_fan.png",
        "manifest.json",
    } <= names
    table = pd.read_csv(out / "compare.csv", encoding="utf-8-sig")
    assert "delta_mean_wan" in table.columns
    assert "cap_cut_20_max" in capsys.readouterr().out
