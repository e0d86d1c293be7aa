"""``fiscalsim plan`` (model/cli/plan.py) and the budget options every simulating command
shares (``--budget``, ``--plan-start``, ``--discount-rate``): what is printed and written,
and bad values as input errors naming the option (exit 2)."""

from __future__ import annotations

import csv

import pytest

from model.cli.main import main
from model.cli.options import budget_option
from model.core.errors import InputError
from model.core.units import Unit

YEARS = [2025, 2026, 2027, 2028, 2029, 2030]


def _rows(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_plan_prints_and_writes_the_three_year_table(tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["plan", "baseline", "--draws", "300", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "中期财政规划 2027–2029" in printed and "2027 binding" in printed
    assert "合计 total [all]" in printed and "市科技局 [existing]" in printed
    assert "share of general budget revenue" in printed
    written = {path.name for path in out.iterdir()}
    assert {"plan.csv", "by_payer.csv", "present_value.csv", "plan.xlsx"} <= written
    assert {"fund_budget.csv", "fund_budget_totals.csv", "summary_by_year.csv"} <= written
    total = next(r for r in _rows(out / "plan.csv") if r["level"] == "total")
    by_year = {r["year"]: r for r in _rows(out / "summary_by_year.csv")}
    for year in ("2027", "2028", "2029"):  # the same text: equal to the yuan
        assert total[f"mean_{year}_wan"] == by_year[year]["mean_wan"]
        assert total[f"p95_{year}_wan"] == by_year[year]["p95_wan"]


def test_plan_start_moves_the_plan(tmp_path, capsys):
    out = tmp_path / "later"
    assert (
        main(
            [
                "plan",
                "baseline",
                "--draws",
                "50",
                "--plan-start",
                "2028",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == ""
    header = (out / "plan.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "mean_2030_wan" in header and "mean_2027_wan" not in header
    status = main(["plan", "baseline", "--plan-start", "2029", "--out", str(tmp_path / "x")])
    assert status == 2
    assert "plan_start" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_six_budgets_give_six_probabilities(tmp_path):
    out = tmp_path / "run"
    argv = ["run", "baseline", "--draws", "200", "--out", str(out), "--quiet"]
    assert main([*argv, "--budget", "9,10,11,7,7,2", "--unit", "yi", "--no-draws-file"]) == 0
    rows = _rows(out / "summary_by_year.csv")
    years = [r for r in rows if r["year"].isdigit()]
    assert [float(r["budget_yi"]) for r in years] == [9, 10, 11, 7, 7, 2]
    assert all(r["p_exceed"] != "" for r in years) and len(years) == 6
    assert rows[-1]["p_exceed"] == ""  # the horizon total has no yearly budget


@pytest.mark.parametrize("command", ["run", "report", "goalseek", "plan"])
@pytest.mark.parametrize("budget", ["-5", "nan", "inf", "1e400", "9,10", "abc", "9,10,11,7,7,2,1"])
def test_bad_budgets_exit_2_naming_the_option(command, budget, tmp_path, capsys):
    out = tmp_path / "x"
    status = main([command, "baseline", "--draws", "10", "--out", str(out), f"--budget={budget}"])
    assert status == 2
    err = capsys.readouterr().err
    assert "--budget" in err and "Traceback" not in err
    assert not out.exists()


def test_budget_files(tmp_path):
    table = tmp_path / "budget.csv"
    table.write_text("year,budget\n" + "".join(f"{y},{y - 2020}\n" for y in YEARS), "utf-8")
    assert budget_option(str(table), Unit.YI, YEARS) == {y: (y - 2020) * 1e8 for y in YEARS}
    mapping = tmp_path / "budget.yaml"
    mapping.write_text("".join(f"{y}: 9\n" for y in YEARS), "utf-8")
    assert budget_option(str(mapping), Unit.WAN, YEARS) == dict.fromkeys(YEARS, 9e4)
    short = tmp_path / "short.yaml"
    short.write_text("2025: 9\n2026: -1\n", "utf-8")
    with pytest.raises(InputError) as error:
        budget_option(str(short), Unit.YI, YEARS)
    messages = [p.message for p in error.value.problems]
    assert any("negative" in m for m in messages) and any("horizon" in m for m in messages)
    assert all(p.field == "--budget" for p in error.value.problems)


def test_one_budget_is_every_years():
    assert budget_option("9", Unit.YI, YEARS) == dict.fromkeys(YEARS, 9e8)
    assert budget_option(None, Unit.YI, YEARS) is None


@pytest.mark.parametrize("rate", ["-0.01", "0.5", "nan", "x"])
def test_bad_discount_rates_exit_2(rate, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["plan", "baseline", "--discount-rate", rate, "--out", str(tmp_path / "x")])
    assert exit_.value.code == 2
    assert "--discount-rate" in capsys.readouterr().err
