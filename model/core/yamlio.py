"""Reading YAML input files safely, every failure an :class:`~model.core.errors.InputError`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from model.core.errors import InputError, Problem


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml.safe_load's rules (libyaml's parser where available, about ten times faster),
    but a mapping that repeats a key is an error instead of keeping the last value."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    """Read a YAML file with a safe loader, turning every failure into an InputError.

    A missing file, an unreadable one, a syntax error and an empty document are each
    reported with the file's name (and the line of a syntax error).
    """
    name = str(path)
    if not path.exists():
        raise InputError([Problem(name, None, None, "file not found")])
    if path.is_dir():
        raise InputError([Problem(name, None, None, "is a directory, not a YAML file")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(name, None, None, f"cannot be read: {exc}")]) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        kind = (
            "YAML error"
            if isinstance(exc, yaml.constructor.ConstructorError)
            else ("YAML syntax error")
        )
        message = f"{kind}{where}: {reason}"
        raise InputError([Problem(name, None, None, message)]) from None
    if data is None:
        raise InputError([Problem(name, None, None, "file is empty")])
    if not isinstance(data, dict):
        raise InputError(
            [Problem(name, None, None, f"top level must be a mapping, got {type(data).__name__}")]
        )
    return data
