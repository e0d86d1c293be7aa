"""Files named inside scenario files, and who is blamed for a problem
(model/policy/documents.py, model/policy/scenario.py).

``extends``, ``catalog`` and ``policy.text_file`` must stay inside the scenario folders
(or the folder of the file the user named); a problem found through them names the file
and field that pointed there; a variant that shortens the horizon is blamed for what it
leaves outside; every problem is reported at once.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from model.core.errors import InputError
from model.core.paths import CATALOG_PATH, SCENARIOS_DIR, scenario_roots
from model.policy.catalog import load_catalog
from model.policy.scenario import load_scenario


def _problems(ref) -> list:
    with pytest.raises(InputError) as caught:
        load_scenario(ref)
    return caught.value.problems


def _variant(folder: Path, text: str, name: str = "v.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("target", ["/dev/zero", "/etc/hostname", "../../../../../../etc/passwd"])
def test_extends_cannot_leave_the_scenario_folders(tmp_path, target):
    path = _variant(tmp_path, f"extends: {target}\n")
    (problem,) = _problems(path)
    assert (problem.file, problem.field) == (str(path), "extends")
    assert "outside the scenario folders" in problem.message and repr(target) in problem.message


def test_a_symbolic_link_out_of_the_folder_is_outside_too(tmp_path):
    (tmp_path / "base.yaml").symlink_to("/etc/hostname")
    path = _variant(tmp_path, "extends: base.yaml\n")
    (problem,) = _problems(path)
    assert problem.field == "extends" and "outside the scenario folders" in problem.message


def test_the_catalog_cannot_leave_the_scenario_folders(tmp_path):
    path = _variant(tmp_path, "extends: baseline\ncatalog: /dev/zero\n")
    problems = _problems(path)
    assert [(p.file, p.field) for p in problems] == [(str(path), "catalog")]
    assert "outside the scenario folders" in problems[0].message


def test_the_policy_text_cannot_leave_the_catalog_folder(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    text = CATALOG_PATH.read_text(encoding="utf-8")
    catalog.write_text(
        text.replace(
            "text_file: policy/changchun-innovation-policy-draft.zh.txt",
            "text_file: ../../../../../../../etc/hostname",
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_catalog(catalog)
    assert [(p.field, "outside" in p.message) for p in caught.value.problems] == [
        ("policy.text_file", True)
    ]


def test_files_beside_an_explicit_file_may_be_named(tmp_path):
    for name in ("baseline.yaml", "catalog.yaml"):
        shutil.copy(SCENARIOS_DIR / name, tmp_path / name)
    (tmp_path / "policy").symlink_to(SCENARIOS_DIR / "policy")
    path = _variant(tmp_path, "extends: baseline.yaml\ncap_scale: 0.5\n")
    scenario = load_scenario(path)
    assert scenario.spec.cap_scale == 0.5 and scenario.files[0] == str(tmp_path / "baseline.yaml")


def test_the_roots_are_the_scenario_folders_and_the_explicit_files_folders(tmp_path):
    roots = scenario_roots(tmp_path / "v.yaml")
    assert SCENARIOS_DIR.resolve() in roots and tmp_path.resolve() in roots
    assert (Path.cwd() / "scenarios").resolve() in roots


def test_a_bad_parent_names_the_variant_that_extends_it(tmp_path):
    _variant(tmp_path, "name: [unclosed\n", "parent.yaml")
    path = _variant(tmp_path, "extends: parent.yaml\n")
    (problem,) = _problems(path)
    assert problem.file == os.path.normpath(tmp_path / "parent.yaml")
    assert f"reached through field 'extends' of {path}" in problem.message


def test_a_parent_that_is_a_device_is_blamed_on_extends(tmp_path):
    (tmp_path / "dev.yaml").symlink_to("/dev/zero")
    # the link resolves outside: refused before anything is read
    path = _variant(tmp_path, "extends: dev.yaml\n")
    (problem,) = _problems(path)
    assert (problem.file, problem.field) == (str(path), "extends")


def test_a_bad_catalog_names_the_scenario_that_names_it(tmp_path):
    shutil.copy(SCENARIOS_DIR / "catalog.yaml", tmp_path / "catalog.yaml")
    text = (tmp_path / "catalog.yaml").read_text(encoding="utf-8")
    (tmp_path / "catalog.yaml").write_text(
        text.replace("text_file: policy/", f"text_file: {SCENARIOS_DIR}/policy/").replace(
            "cap_yuan: 500000\n", "cap_yuan: -500000\n", 1
        ),
        encoding="utf-8",
    )
    path = _variant(tmp_path, "extends: baseline\ncatalog: catalog.yaml\n")
    problems = _problems(path)
    head, *rest = problems
    assert (head.file, head.field) == (str(path), "catalog")
    assert "names the catalog" in head.message and "1 problem" in head.message
    assert [(p.file, p.field) for p in rest] == [(str(tmp_path / "catalog.yaml"), "cap_yuan")]


def test_a_variant_that_shortens_the_horizon_is_blamed_for_it(tmp_path):
    path = _variant(tmp_path, "extends: baseline\nhorizon: {start: 2025, end: 2026}\n")
    problems = _problems(path)
    assert problems and {p.file for p in problems} == {str(path)}
    # every check against the horizon: admission windows, and the plan years
    assert {p.field for p in problems} == {"admission_years", "plan_start"}


def test_a_variant_that_moves_the_window_out_is_blamed_for_it(tmp_path):
    path = _variant(tmp_path, "extends: baseline\nadmission_years: {start: 2029, end: 2031}\n")
    problems = _problems(path)
    assert {(p.file, p.field) for p in problems if p.item is None} == {
        (str(path), "admission_years")
    }


def test_unknown_item_ids_are_reported_with_broken_top_level_fields(tmp_path):
    scenario = (SCENARIOS_DIR / "baseline.yaml").read_text(encoding="utf-8")
    scenario = scenario.replace("title_en: Baseline", "title_en: 5\ncap_scale: -1", 1)
    scenario = scenario.replace("\nitems:\n", "\nitems:\n  no_such_item: {cap_yuan: 5}\n", 1)
    scenario = scenario.replace("catalog: catalog.yaml", f"catalog: {CATALOG_PATH}", 1)
    path = _variant(tmp_path, scenario, "broken.yaml")
    problems = _problems(path)
    found = {(p.item, p.field) for p in problems}
    assert {(None, "cap_scale"), (None, "title_en"), ("no_such_item", "uptake")} <= found
    assert ("no_such_item", None) in found  # the id is not withheld
    assert len(problems) == len(set(problems))


def test_a_city_share_beside_the_baselines_funding_is_blamed_on_the_variant(baseline, tmp_path):
    item = next(iter(baseline.spec.funding))
    path = _variant(
        tmp_path,
        f"extends: baseline\nitems:\n  {item}:\n    city_share: {{value: 0.5, basis: test}}\n",
    )
    (problem,) = _problems(path)
    assert (problem.file, problem.item, problem.field) == (str(path), item, "funding")
