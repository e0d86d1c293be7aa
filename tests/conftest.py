"""Shared fixtures of the test suite.

The tests mirror the package's layers (``tests/<layer>/test_<module>.py``) and are
imported with ``--import-mode=importlib`` (files of the same name live in several
folders), so a test module cannot import another by name. Shared helpers live in the
``helpers`` package beside this file, which is put on ``sys.path`` here:
``from helpers.funds import binary_fund``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from model import Scenario, load_scenario
from model.core.paths import SCENARIOS_DIR

#: The source checkout (the folder holding pyproject.toml).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: This folder: the home of the ``helpers`` package.
TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))
pytest.register_assert_rewrite("helpers")  # detailed assertion messages in the helpers too


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    """The shipped baseline scenario, loaded once for the session (read only: variants
    build new scenarios with ``apply_variant``)."""
    return load_scenario("baseline")


@pytest.fixture(scope="session")
def deterministic() -> Scenario:
    """The deterministic check scenario: one recipient per item at the full amount."""
    return load_scenario(SCENARIOS_DIR / "checks" / "deterministic.yaml")


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The source checkout; CLI commands are run from here."""
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def malformed_dir() -> Path:
    """The corpus of malformed input files (tests/malformed/)."""
    return PROJECT_ROOT / "tests" / "malformed"


@pytest.fixture
def in_project_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test with the project root as working directory (as the CLI is used)."""
    monkeypatch.chdir(PROJECT_ROOT)
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def run_fiscalsim() -> Callable[..., subprocess.CompletedProcess]:
    """Run ``python -m model ARGS...`` in a subprocess from the project root.

    Returns the completed process with text ``stdout`` and ``stderr``; each call costs
    about a second (interpreter start and imports), so use it sparingly.
    """

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "model", *args],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run
