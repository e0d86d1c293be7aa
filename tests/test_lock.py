"""requirements.lock, the audited install (README), is in step with pyproject.toml: every
runtime dependency is pinned to a version its range admits, every pin carries hashes, and
every pin is needed by a runtime dependency (no orphan left from an older lock).

Offline on purpose: resolving again would pick up new releases, and a lock is meant to
change only when someone runs the command in its header."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
COMMAND = (
    "uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes "
    "-o requirements.lock"
)


def _runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(text) for text in project["dependencies"]]


def _pins() -> list[dict]:
    """Each pin of the lock: name, version, hashes and the packages it is there for."""
    pins: list[dict] = []
    via_block = False
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        pin = re.match(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)", line)
        if pin:
            pins.append(
                {"name": canonicalize_name(pin[1]), "version": Version(pin[2]), "hashes": 0}
            )
            pins[-1]["via"] = set()
            via_block = False
        elif "--hash=sha256:" in line:
            pins[-1]["hashes"] += 1
        elif line.strip().startswith("# via"):
            rest = line.split("# via", 1)[1].strip()
            via_block = not rest
            if rest:
                pins[-1]["via"].add(rest)
        elif via_block and line.strip().startswith("#"):
            pins[-1]["via"].add(line.strip("# ").strip())
    return pins


def test_the_lock_says_how_it_was_made():
    assert COMMAND in LOCK.read_text(encoding="utf-8")


def test_every_runtime_dependency_is_pinned_within_its_range():
    pins = _pins()
    for requirement in _runtime_requirements():
        versions = [p["version"] for p in pins if p["name"] == canonicalize_name(requirement.name)]
        assert versions, f"{requirement.name} is not in requirements.lock: rerun `{COMMAND}`"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements.lock pins {requirement.name}=={version}, outside "
                f"{requirement.specifier}: rerun `{COMMAND}`"
            )


@pytest.mark.parametrize("pin", _pins(), ids=lambda p: f"{p['name']}=={p['version']}")
def test_every_pin_has_hashes_and_a_reason(pin):
    assert pin["hashes"] >= 1
    own = {canonicalize_name(r.name) for r in _runtime_requirements()}
    locked = {p["name"] for p in _pins()}
    reasons = {canonicalize_name(v.split(" ")[0]) for v in pin["via"]}
    if "fiscalsim (pyproject.toml)" in pin["via"]:
        assert pin["name"] in own, f"{pin['name']} is no longer a dependency: rerun `{COMMAND}`"
    else:
        assert reasons and reasons <= locked, pin


def test_no_font_package_from_an_unvetted_publisher():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8") + LOCK.read_text(encoding="utf-8")
    assert "manimgx" not in text.lower()
