"""``fiscalsim readings`` (model/cli/readings.py) and the readings envelope in the output of
``fiscalsim run``: what is printed and written, and bad pins reported with exit 2."""

from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook

from model.cli.main import main


def test_readings_lists_every_reading_and_writes_its_tables(tmp_path, capsys):
    out = tmp_path / "readings"
    status = main(["readings", "baseline", "--draws", "200", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0
    # at least 10 readings over at least 7 articles
    assert "16 readings of 12 clauses" in printed
    table = pd.read_csv(out / "readings.csv", encoding="utf-8-sig")
    totals = table[table["year"] == "2025–2030"]
    others = totals[~totals["in_force"]]
    assert len(others) >= 10
    assert others["article"].dropna().nunique() >= 7
    row = totals.set_index(["clause", "reading"]).loc[("provincial_lab_funding", "programme_total")]
    assert row["delta_mean_wan"] == -100_000.0
    assert row["delta_ci_low_wan"] == row["delta_ci_high_wan"] == -100_000.0
    assert "programme_total" in printed and "envelope" in printed
    envelope = pd.read_csv(out / "readings_envelope.csv", encoding="utf-8-sig", index_col="bound")
    assert list(envelope.index) == ["low", "in_force", "high"]
    definitions = pd.read_csv(out / "tolerance_definitions.csv", encoding="utf-8-sig")
    assert set(definitions["clause"]) == {
        "fund_loss_measure",
        "fund_loss_base",
        "fund_tolerance_level",
    }
    assert "容错率 under each definition" in printed
    sheets = load_workbook(out / "readings.xlsx", read_only=True).sheetnames
    assert sheets[:3] == ["条文解读", "条文解读包络", "容错率口径"]


def test_a_variant_pinning_an_unknown_reading_exits_2(tmp_path, capsys):
    variant = tmp_path / "bad.yaml"
    variant.write_text(
        "extends: baseline\nname: bad\nreadings: {listing_reward: on_ipo}\n", encoding="utf-8"
    )
    status = main(["readings", str(variant), "--draws", "100", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert status == 2
    assert "bad.yaml" in err and "readings.listing_reward" in err and "on_ipo" in err
    assert "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_run_prints_both_kinds_of_uncertainty_and_writes_them_first(tmp_path, capsys):
    out = tmp_path / "run"
    status = main(
        ["run", "baseline", "--draws", "400", "--readings-draws", "200", "--out", str(out)]
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert "Monte Carlo 90% interval (P5–P95; chosen readings and assumptions)" in printed
    assert "Readings envelope (lowest- and highest-cost combinations of readings)" in printed
    table = pd.read_csv(out / "uncertainty.csv", encoding="utf-8-sig", index_col="kind")
    summary = pd.read_csv(out / "summary_by_year.csv", encoding="utf-8-sig", index_col="year")
    total = summary.loc["2025–2030"]
    assert table.loc["monte_carlo", "low_wan"] == total["p5_wan"]
    assert table.loc["monte_carlo", "high_wan"] == total["p95_wan"]
    envelope = table.loc["readings_envelope"]
    assert envelope["low_wan"] < total["p5_wan"] < total["p95_wan"] < envelope["high_wan"]
    assert load_workbook(out / "budget.xlsx", read_only=True).sheetnames[0] == "两类不确定性"
    assert (out / "readings.csv").is_file()


def test_run_without_readings_writes_no_envelope(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(["run", "baseline", "--draws", "200", "--readings-draws", "0", "--out", str(out)]) == 0
    )
    assert "Readings envelope" not in capsys.readouterr().out
    assert not (out / "uncertainty.csv").exists()
