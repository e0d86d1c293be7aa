"""``fiscalsim timeline`` (model/cli/timeline.py): its files, reruns and defaults."""

from __future__ import annotations

import pandas as pd

from model.cli.main import build_parser
from model.cli.timeline import run


def test_cli_writes_the_outputs_and_can_rerun(tmp_path):
    parser = build_parser(["timeline"])
    out = tmp_path / "timeline"
    argv = [
        "timeline",
        "appropriation_ceilings",
        "--draws",
        "8",
        "--seed",
        "3",
        "--out",
        str(out),
        "--on-shortfall",
        "defer",
        "--quiet",
    ]
    assert run(parser.parse_args(argv)) == 0
    assert run(parser.parse_args(argv)) == 0  # replaces its own earlier output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "manifest.json",
        "monthly_cashflow.csv",
        "monthly_cashflow.png",
        "peak_month.csv",
        "rationing.csv",
    ]
    rationing = pd.read_csv(out / "rationing.csv", encoding="utf-8-sig")
    assert {"mean_deferred_wan", "wait_months_mean"} <= set(rationing.columns)
    assert parser.parse_args(["timeline", "baseline"]).draws == 200
