"""What the commands print (model/cli/console.py, model/cli/options.py): probabilities as
percentages, every amount with its unit, Monte Carlo errors, no raw inf/NaN, --format,
--quiet, --lang, Chinese unit names and "did you mean" for a mistyped scenario."""

from __future__ import annotations

import argparse
import json
import math

import pytest

from model.cli.console import amount, percent, times
from model.cli.main import main
from model.cli.options import unit
from model.core.units import Unit


@pytest.mark.parametrize(
    ("p", "shown"),
    [
        (0.0, "0%"),
        (0.0004, "<0.1%"),
        (0.001, "0.1%"),
        (0.5532, "55.3%"),
        (0.9991, ">99.9%"),
        (1.0, "100%"),
        (math.nan, "—"),
    ],
)
def test_probabilities_are_percentages_with_sensible_precision(p, shown):
    assert percent(p) == shown


def test_amounts_carry_their_unit_and_ratios_never_show_inf():
    assert amount(12_345_678.0, Unit.WAN) == "1,234.6 万元"
    assert amount(12_345_678.0, Unit.YI) == "0.12 亿元"
    assert amount(-5e4, Unit.WAN, sign=True) == "-5.0 万元"
    assert amount(0.0, Unit.WAN, sign=True, with_unit=False) == "0.0"
    assert (times(math.inf), times(math.nan), times(12.34)) == ("∞", "—", "12.3×")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yi", Unit.YI), ("亿元", Unit.YI), ("亿", Unit.YI), ("万元", Unit.WAN), ("元", Unit.YUAN)],
)
def test_units_are_accepted_by_their_chinese_names(text, expected):
    assert unit(text) is expected


def test_an_unknown_unit_is_refused():
    with pytest.raises(argparse.ArgumentTypeError, match="万元"):
        unit("thousand")


def test_compare_shows_monte_carlo_errors_and_no_raw_inf_or_nan(tmp_path, capsys):
    status = main(
        ["compare", "baseline", "two_more_labs", "--draws", "300", "--out", str(tmp_path / "c")]
    )
    out = capsys.readouterr().out
    assert status == 0 and "±MC s.e." in out and "∞" in out  # two labs: identical draws
    words = out.replace("\n", " ").split()
    assert not {"inf", "nan", "NaN", "-inf"} & set(words)
    assert "万元" in out


def test_goalseek_prints_its_answer_with_monte_carlo_errors(tmp_path, capsys):
    seek = ["goalseek", "baseline", "--year", "2026", "--budget", "9.5", "--unit", "亿元"]
    main([*seek, "--draws", "500", "--out", str(tmp_path / "g")])
    out = capsys.readouterr().out
    assert "cap_scale = " in out and " ± " in out and "亿元 ± " in out


def test_the_timeline_prints_amounts_with_their_unit(tmp_path, capsys):
    main(["timeline", "appropriation_ceilings", "--draws", "20", "--out", str(tmp_path / "t")])
    out = capsys.readouterr().out
    assert "万元 per draw" in out and "P95" in out


def test_run_prints_json_for_programs_and_chinese_for_people(tmp_path, capsys):
    args = ["run", "baseline", "--draws", "300", "--no-draws-file", "--out", str(tmp_path / "r")]
    assert main([*args, "--format", "json", "--unit", "亿"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert rows[0]["year"] == "2025" and "mean_yi" in rows[0] and "wrote" in captured.err
    main([*args, "--lang", "zh", "--budget", "10", "--unit", "yi"])
    out = capsys.readouterr().out
    assert "市级支出" in out and "超预算概率" in out and "%" in out and "亿元" in out


@pytest.mark.parametrize(
    "command",
    [
        ["catalog"],
        ["validate", "baseline"],
        ["run", "baseline", "--draws", "50", "--no-draws-file"],
        ["funds", "baseline", "--draws", "50"],
    ],
    ids=lambda c: c[0],
)
def test_quiet_prints_nothing_on_every_command(command, tmp_path, capsys):
    out_option = [] if command[0] in ("catalog", "validate") else ["--out", str(tmp_path / "q")]
    assert main([*command, *out_option, "--quiet"]) == 0
    assert capsys.readouterr().out == ""


def test_a_mistyped_scenario_gets_the_nearest_name(tmp_path, capsys):
    assert main(["run", "basline", "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "basline: file not found; did you mean baseline?" in capsys.readouterr().err
