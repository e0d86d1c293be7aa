"""``fiscalsim validate FILE ...``: check catalog, scenario and variant files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.core.errors import InputError
from model.core.paths import resolve_scenario_path
from model.core.yamlio import read_yaml
from model.policy.catalog import load_catalog
from model.policy.scenario import load_scenario


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fiscalsim validate``."""
    parser.add_argument("files", nargs="+", type=Path)


def run(args: argparse.Namespace) -> int:
    """Run ``fiscalsim validate``: check each file, report every problem; exit 2 if any."""
    failures = 0
    for path in args.files:
        try:
            path = resolve_scenario_path(path)
            data = read_yaml(path)
            scenario_keys = {"horizon", "extends", "catalog", "admission_years"}
            if "policy" in data or (
                isinstance(data.get("items"), list) and not scenario_keys & set(data)
            ):
                catalog = load_catalog(path)
                print(f"ok: {path} (catalog, {len(catalog.items)} line items)")
            else:
                scenario = load_scenario(path)
                print(f"ok: {path} (scenario '{scenario.name}', {len(scenario.items)} grant items)")
        except InputError as error:
            failures += 1
            print(error.report(), file=sys.stderr)
    return 2 if failures else 0


__all__ = ["add_arguments", "run"]
