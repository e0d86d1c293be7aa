"""Shared fixtures of the test suite."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

#: The source checkout (the folder holding pyproject.toml).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
