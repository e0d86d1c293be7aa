"""Scenario and variant documents: reading, following ``extends``, merging, provenance.

A *variant* names the scenario it ``extends`` and overrides fields by item id; variants
chain (``baseline+cap_cut_20_max+two_more_labs``). Merging works on raw YAML documents, so
applying a variant never changes the scenario it extends, and every field remembers the
file that set it, so that an error names the file the user must edit.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.core.errors import InputError, Problem
from model.core.paths import outside_roots, real_path, resolve_scenario_path, scenario_roots
from model.core.yamlio import Via, read_yaml
from model.policy.catalog import Catalog, load_catalog
from model.policy.scenario_schema import ITEM_KEYS, VARIANT_KEYS


def merge(base: Any, overlay: Any) -> Any:
    """Deep-merge ``overlay`` into a copy of ``base``.

    Mappings merge key by key, except a mapping with a ``dist`` key, which replaces the
    whole distribution (so a switch from poisson to fixed keeps no stale parameter).
    Lists and scalars replace.
    """
    if isinstance(base, dict) and isinstance(overlay, dict) and "dist" not in overlay:
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(overlay)


def display_path(path: Path) -> str:
    """A path as a user reads it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


@dataclass
class Document:
    """A scenario or variant chain merged into one raw document (not yet validated).

    Attributes
    ----------
    data : dict
        The merged YAML document.
    files : list of str
        The files read, the base first.
    base_dir : Path
        The base scenario's folder (where its catalog is looked up).
    provenance : dict
        ``(top key[, item id[, field]])`` → the file that set it, for error messages.
    problems : list of Problem
        Problems found while merging, reported with the schema's and the resolution's.
    roots : tuple of Path
        The folders files named inside the documents (``extends``, ``catalog``) may come
        from (:func:`model.core.paths.scenario_roots`).
    """

    data: dict
    files: list[str]
    base_dir: Path
    provenance: dict[tuple, str]  # (top key[, item id[, field]]) -> file that set it
    problems: list[Problem] = field(default_factory=list)  # found while merging, reported
    roots: tuple[Path, ...] = field(default_factory=scenario_roots)


def read_document(
    path: Path,
    seen: tuple[Path, ...] = (),
    *,
    roots: tuple[Path, ...] | None = None,
    via: Via | None = None,
) -> Document:
    """Read a scenario or a variant (following ``extends``) into one raw document.

    Parameters
    ----------
    path : Path
        The file to read.
    seen : tuple of Path
        The files of the chain so far (a cycle is an error).
    roots : tuple of Path, optional
        The folders ``extends`` may lead to; by default the scenario folders and the
        folder of ``path`` (see :func:`model.core.paths.scenario_roots`).
    via : (str, str), optional
        The file and field that named ``path``, for messages.
    """
    path = Path(os.path.normpath(path))
    name = str(path)
    roots = roots if roots is not None else scenario_roots(path)
    resolved = real_path(path)
    if resolved in seen:
        chain = " -> ".join(display_path(p) for p in (*seen, resolved))
        raise InputError([Problem(name, None, "extends", f"variants extend in a cycle: {chain}")])
    data = read_yaml(path, via=via)
    if "extends" not in data:
        provenance: dict[tuple, str] = {(key,): name for key in data}
        items = data.get("items")
        if isinstance(items, dict):
            for item_id, fields in items.items():
                if isinstance(fields, dict):
                    provenance.update({("items", item_id, key): name for key in fields})
        return Document(data, [name], path.parent, provenance, roots=roots)
    parent_ref = data["extends"]
    if not isinstance(parent_ref, str):
        raise InputError([Problem(name, None, "extends", "must be a file path or scenario name")])
    parent_path = path.parent / parent_ref
    if not parent_path.exists() and not parent_path.is_symlink():
        parent_path = resolve_scenario_path(parent_ref)
    if not parent_path.exists() and not parent_path.is_symlink():  # a link: read, then said
        raise InputError(
            [
                Problem(
                    name,
                    None,
                    "extends",
                    f"{parent_ref!r} not found (looked "
                    f"beside this file, in {path.parent}, and among the "
                    "shipped scenarios)",
                )
            ]
        )
    if outside_roots(parent_path, roots):
        raise InputError([outside_problem(name, "extends", parent_ref, parent_path, roots)])
    base = read_document(parent_path, (*seen, resolved), roots=roots, via=(name, "extends"))
    return apply_overlay(base, data, name)


def outside_problem(
    file: str, field_name: str, ref: str, path: Path, roots: tuple[Path, ...]
) -> Problem:
    """The problem of a file named inside ``file`` that lies outside the scenario roots."""
    folders = ", ".join(str(root) for root in roots)
    target = str(real_path(path))
    shown = repr(ref) if target == ref else f"{ref!r} ({target})"
    return Problem(
        file,
        None,
        field_name,
        f"{shown} is outside the scenario folders ({folders}): files named inside a "
        "scenario must be in one of them; pass a file elsewhere on the command line instead",
    )


def apply_overlay(base: Document, overlay: dict, name: str) -> Document:
    """Check a variant's keys and merge it over ``base`` (which is not modified)."""
    problems = [
        Problem(name, None, str(key), f"unknown field; allowed fields are {sorted(VARIANT_KEYS)}")
        for key in overlay
        if key not in VARIANT_KEYS
    ]
    items = overlay.get("items") or {}
    if not isinstance(items, dict):
        problems.append(Problem(name, None, "items", "must be a mapping of item id to fields"))
        items = {}
    raw_base_items = base.data.get("items")
    base_items: dict = raw_base_items if isinstance(raw_base_items, dict) else {}
    for item_id, fields in items.items():
        if item_id not in base_items:
            problems.append(
                Problem(
                    name,
                    str(item_id),
                    None,
                    "unknown item id: the scenario "
                    "it extends has no such grant item (funds, 先投后股 and loan "
                    "compensation have sections of their own)",
                )
            )
        elif not isinstance(fields, dict):
            problems.append(Problem(name, str(item_id), None, "overrides must be a mapping"))
        else:
            problems.extend(
                Problem(
                    name,
                    str(item_id),
                    str(key),
                    f"unknown field; allowed fields are {sorted(ITEM_KEYS)}",
                )
                for key in fields
                if key not in ITEM_KEYS
            )
    # what cannot be merged is dropped and reported with every later problem
    body = {
        key: value
        for key, value in overlay.items()
        if key in VARIANT_KEYS and key not in ("extends", "items")
    }
    body["items"] = {
        item_id: {k: v for k, v in fields.items() if k in ITEM_KEYS}
        for item_id, fields in items.items()
        if item_id in base_items and isinstance(fields, dict)
    }
    for key in ("catalog", "classification"):  # a variant's own files, beside the variant
        if isinstance(body.get(key), str):
            folder = Path(name).parent if Path(name).exists() else Path.cwd()
            body[key] = str(real_path(folder / body[key]))
    provenance = dict(base.provenance)
    for key in body:
        if key != "items" or items:
            provenance[(key,)] = name
    for item_id, fields in body["items"].items():
        provenance.update({("items", item_id, key): name for key in fields})
    for section in ("funds", "funding", "known_amounts"):  # sections keyed by item id
        if isinstance(body.get(section), dict):
            provenance.update({(section, item_id): name for item_id in body[section]})
    return Document(
        merge(base.data, body),
        [*base.files, name],
        base.base_dir,
        provenance,
        [*base.problems, *problems],
        base.roots,
    )


def blamer(document: Document) -> Callable[..., str]:
    """A function naming the file that set a given (item, field).

    ``blame(item, field, related)``: with ``related`` top-level fields or ``(item,
    field)`` pairs (a problem between an item's field and, say, the ``horizon``), the file
    read last among those that set any of them: a variant that shortens the horizon is
    blamed for the admission windows it leaves outside, not the baseline that set them.
    """

    def one(item: str | None, field_path: str | None) -> str:
        head = field_path.split(".")[0] if field_path else None
        group = item.split("[")[0] if item and item.startswith("ceilings[") else None
        for key in (
            ("items", item, head),
            ("funds", item),
            (head, item) if head in ("funding", "known_amounts") else None,
            (group,),
            (head,) if item is None else None,
        ):
            if key is not None and key in document.provenance:
                return document.provenance[key]
        return document.files[-1] if item is None else document.files[0]

    def blame(
        item: str | None,
        field_path: str | None,
        related: tuple[str | tuple[str, str], ...] = (),
    ) -> str:
        # related: top-level fields ("horizon"), or (item, field) pairs
        files = [one(item, field_path)]
        files += [one(*name) if isinstance(name, tuple) else one(None, name) for name in related]
        order = {name: index for index, name in enumerate(document.files)}
        return max(files, key=lambda name: order.get(name, -1))

    return blame


def split_chain(ref: str | Path | Sequence[str | Path]) -> list[str | Path]:
    """The references of a chain: ``"baseline+cap_cut_20_max"``, a list, or one file."""
    if isinstance(ref, str | Path):
        text = str(ref)
        return list(text.split("+")) if "+" in text and not Path(text).exists() else [ref]
    refs = list(ref)
    if not refs:
        raise ValueError("no scenario given")
    return refs


def unique_problems(problems: list[Problem]) -> list[Problem]:
    """The problems without repeats (the same check may run in two passes)."""
    return list(dict.fromkeys(problems))


def scenario_catalog(document: Document, ref: str, referrer: str) -> Catalog:
    """The catalog a scenario names (``ref``, relative to the base scenario's folder),
    checked to lie inside the scenario roots; every problem names ``referrer``'s
    ``catalog`` field as well as the catalog."""
    path = document.base_dir / ref
    if not path.is_file() and not path.is_symlink() and not path.exists():
        message = f"catalog file {os.path.normpath(path)} not found"
        raise InputError([Problem(referrer, None, "catalog", message)])
    if outside_roots(path, document.roots):
        raise InputError([outside_problem(referrer, "catalog", ref, path, document.roots)])
    try:
        return load_catalog(path, via=(referrer, "catalog"))
    except InputError as error:
        inside = [p for p in error.problems if p.file != referrer]
        if not inside:
            raise
        head = Problem(
            referrer,
            None,
            "catalog",
            f"names the catalog {display_path(path)}, which has "
            f"{len(inside)} problem{'s' if len(inside) != 1 else ''} (listed below)",
        )
        raise InputError([head, *error.problems]) from None


__all__ = [
    "Document",
    "apply_overlay",
    "blamer",
    "display_path",
    "merge",
    "outside_problem",
    "read_document",
    "scenario_catalog",
    "split_chain",
    "unique_problems",
]
