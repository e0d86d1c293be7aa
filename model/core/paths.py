"""Project paths, resolved in one place.

Nothing is read or created at import time; the functions only compute paths.
"""

from __future__ import annotations

from pathlib import Path

#: Root of the source checkout (the folder holding ``pyproject.toml``).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Policy catalog, baseline and variants.
SCENARIOS_DIR = PROJECT_ROOT / "scenarios"
#: Default destination of generated tables and charts.
OUTPUTS_DIR = PROJECT_ROOT / "outputs"
#: The shipped policy catalog.
CATALOG_PATH = SCENARIOS_DIR / "catalog.yaml"


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """Turn ``baseline`` or ``variants/cap_cut_20`` into a scenario file path.

    A path that exists is returned as is; otherwise the name is looked up under
    ``scenarios/`` and ``scenarios/variants/`` of the working directory, then of the
    source checkout (with ``.yaml`` added when missing).

    Parameters
    ----------
    name_or_path : str or Path
        A file path, or a scenario name relative to ``scenarios/``.

    Returns
    -------
    Path
        The path to read (it may not exist; the loader reports that).
    """
    path = Path(name_or_path)
    if path.exists():
        return path
    for folder in (Path.cwd() / "scenarios", SCENARIOS_DIR):
        for candidate in (
            folder / path,
            folder / f"{path}.yaml",
            folder / "variants" / path,
            folder / "variants" / f"{path}.yaml",
        ):
            if candidate.is_file():
                return candidate
    return path


def default_output_dir(scenario_name: str) -> Path:
    """``outputs/<scenario>/``, the default destination of a run."""
    return OUTPUTS_DIR / scenario_name
