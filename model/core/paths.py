"""Project paths, resolved in one place.

Nothing is read or created at import time; the functions only compute paths.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from model.core.errors import InputError, Problem

#: Root of the source checkout (the folder holding ``pyproject.toml``).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Policy catalog, baseline and variants.
SCENARIOS_DIR = PROJECT_ROOT / "scenarios"
#: Default destination of generated tables and charts.
OUTPUTS_DIR = PROJECT_ROOT / "outputs"
#: The shipped policy catalog.
CATALOG_PATH = SCENARIOS_DIR / "catalog.yaml"


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """Turn ``baseline`` or ``variants/cap_cut_20_max`` into a scenario file path.

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


def scenario_roots(*explicit: str | Path) -> tuple[Path, ...]:
    """The folders that files named *inside* scenario files may come from.

    ``extends``, ``catalog`` and ``policy.text_file`` may name files in the shipped
    ``scenarios/`` folder, in ``scenarios/`` of the working directory, and in the folder
    (or below) of each file the user named explicitly (on the command line, or to
    :func:`model.load_scenario`); anything else is refused, so that a scenario received
    from someone else cannot make fiscalsim read ``/etc/…`` or ``~/.ssh/…``.

    Parameters
    ----------
    *explicit : str or Path
        Files the user named explicitly.

    Returns
    -------
    tuple of Path
        The roots, resolved (symbolic links followed), without repeats.
    """
    folders = [SCENARIOS_DIR, Path.cwd() / "scenarios"]
    folders += [Path(path).parent for path in explicit]
    return tuple(dict.fromkeys(real_path(folder) for folder in folders))


def real_path(path: str | Path) -> Path:
    """``path`` made absolute with symbolic links followed as far as they go (a loop of
    links stays as it is, for the reader to report)."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # a loop of symbolic links (RuntimeError before 3.13)
        return Path(os.path.abspath(path))


def outside_roots(path: str | Path, roots: tuple[Path, ...]) -> bool:
    """Whether ``path`` (symbolic links followed) lies outside every folder of ``roots``."""
    resolved = real_path(path)
    return not any(resolved == root or resolved.is_relative_to(root) for root in roots)


def scenario_names() -> list[str]:
    """The names of the shipped scenarios and variants (``baseline``, ``cap_cut_20_max``), and
    those under ``scenarios/`` of the working directory."""
    names: set[str] = set()
    for folder in (Path.cwd() / "scenarios", SCENARIOS_DIR):
        for sub in (folder, folder / "variants"):
            if sub.is_dir():
                names.update(path.stem for path in sub.glob("*.yaml") if path.stem != "catalog")
    return sorted(names)


def missing_scenario_message(name_or_path: str | Path) -> str:
    """``file not found``, with the closest scenario names when a name looks mistyped:
    ``file not found; did you mean baseline?``"""
    import difflib  # only when something is missing

    stem = Path(name_or_path).stem
    close = difflib.get_close_matches(stem, scenario_names(), n=3, cutoff=0.6)
    if not close:
        return "file not found"
    return f"file not found; did you mean {' or '.join(close)}?"


def require_scenario_files(refs: Iterable[str | Path]) -> None:
    """Raise :class:`~model.core.errors.InputError` naming every scenario reference that
    has no file, with the nearest names of a mistyped one (all problems at once)."""
    missing = [
        path
        for path in map(resolve_scenario_path, refs)
        if not path.exists() and not path.is_symlink()  # a broken link: the reader says why
    ]
    if missing:
        raise InputError(
            [Problem(str(p), None, None, missing_scenario_message(p)) for p in missing]
        )


def default_output_dir(scenario_name: str) -> Path:
    """``outputs/<scenario>/``, the default destination of a run.

    Raises
    ------
    InputError
        When the name is not one folder name (empty, ``.``, ``..`` or with a slash):
        the schema refuses such scenario names, this guards every other caller.
    """
    name = str(scenario_name)
    if name.strip(".") == "" or "/" in name or "\\" in name or name != name.strip():
        raise InputError(
            [
                Problem(
                    "--out",
                    None,
                    None,
                    f"the name {name!r} cannot name a folder under {OUTPUTS_DIR}: "
                    "choose a folder with --out",
                )
            ]
        )
    return OUTPUTS_DIR / name
