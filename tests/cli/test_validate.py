"""``fiscalsim validate`` (model/cli/validate.py): every problem of the malformed corpus
(``helpers.malformed.CASES``) is printed with its file, item and field, the exit status is
2 and no traceback is shown, in process and end to end in a subprocess."""

from __future__ import annotations

import re

import pytest
from helpers.malformed import CASES, CORPUS, Case, case_of, case_params, find_problem, problems_of

from model.cli.main import main


@pytest.mark.parametrize("case", case_params(CASES, cli=True))
def test_cli_validate_reports_the_problem(case: Case, in_project_root, capsys):
    status = main(["validate", case.path])
    out, err = capsys.readouterr()
    assert status == 2, out + err
    assert "Traceback" not in out + err
    assert re.match(r"\d+ problems? found:\n", err), err
    problem = find_problem(case, problems_of(case.path, case.kind))
    assert f"  - {problem}\n" in err + "\n"


def _expected_lines() -> tuple[list[str], list[str]]:
    """Corpus files that must be reported cleanly, and the line each must print."""
    paths, lines = [], []
    for case in CASES:
        if case.bug or case.cli_bug:
            continue
        paths.append(case.path)
        lines.append(f"  - {find_problem(case, problems_of(case.path, case.kind))}")
    return paths, lines


def test_validate_whole_corpus_in_a_subprocess(run_fiscalsim, in_project_root):
    paths, lines = _expected_lines()
    result = run_fiscalsim("validate", *paths)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]
    assert "Traceback" not in output
    assert result.stdout == ""  # no file of the corpus passes
    assert result.stderr.count(" found:\n") == len(paths)
    missing = [line for line in lines if line not in result.stderr.splitlines()]
    assert not missing, missing


def test_validate_one_file_in_a_subprocess(run_fiscalsim, in_project_root):
    case = case_of("syntax_error.yaml")
    result = run_fiscalsim("validate", case.path)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert f"  - {find_problem(case, problems_of(case.path, case.kind))}" in result.stderr


def test_validate_crashing_file_in_a_subprocess(run_fiscalsim):
    result = run_fiscalsim("validate", f"{CORPUS}/variant_formula_award_on_plain_item.yaml")
    assert "Traceback" not in result.stderr
    assert result.returncode == 2


def test_shipped_inputs_validate(run_fiscalsim):
    result = run_fiscalsim("validate", "scenarios/baseline.yaml", "scenarios/catalog.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "ok: scenarios/baseline.yaml (scenario 'baseline'" in result.stdout
    assert "ok: scenarios/catalog.yaml (catalog" in result.stdout


def test_validate_reports_every_file(in_project_root, capsys):
    files = [
        f"{CORPUS}/variant_unknown_item.yaml",
        "scenarios/baseline.yaml",
        f"{CORPUS}/catalog_negative_cap.yaml",
        f"{CORPUS}/no_such_file.yaml",
    ]
    assert main(["validate", *files]) == 2
    out, err = capsys.readouterr()
    assert "ok: scenarios/baseline.yaml" in out
    assert err.count(" found:\n") == 3
    assert f"{CORPUS}/variant_unknown_item.yaml: item 'basic_reserch_project'" in err
    assert (
        f"{CORPUS}/catalog_negative_cap.yaml: item 'basic_research_project': field 'cap_yuan'"
    ) in err
    assert f"{CORPUS}/no_such_file.yaml: file not found" in err


def test_validate_a_folder(in_project_root, capsys):
    assert main(["validate", CORPUS]) == 2
    assert f"{CORPUS}: is a directory, not a file" in capsys.readouterr().err
