"""Reading input files safely, every failure an :class:`~model.core.errors.InputError`.

Scenario, variant and catalog files (and the policy text a catalog quotes) are read with
limits checked *before* parsing: only regular files (a device such as ``/dev/zero``, a
named pipe, a directory or a symbolic-link loop is refused), at most
:data:`MAX_INPUT_BYTES`, UTF-8 with or without a byte-order mark (GBK or other bytes are
named as such). The YAML loader is ``yaml.safe_load``'s (libyaml's parser where
available), with these changes:

- a key repeated in one mapping is an error instead of keeping the last value;
- aliases may add at most :data:`MAX_ALIAS_NODES` nodes to the document (a "billion
  laughs" bomb is refused before it is expanded), and may not refer to themselves;
- a mapping key must be a plain value, not a list or a mapping;
- merge keys (``<<: *defaults``) work;
- ``2e9`` and ``1.5e9`` are numbers (YAML 1.1 reads them as text; YAML 1.2 and every
  analyst read them as numbers);
- a number with a leading zero (``010``, which YAML 1.1 reads as octal 8) and a
  sexagesimal number (``1:30``, read as 90) are errors naming the field;
- an integer longer than 30 digits is an error (it could never be in range).

Every problem names the file, and the field where it has one; a file reached through
another file's field (``extends``, ``catalog``, ``policy.text_file``) names that file and
field too.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from model.core.errors import InputError, Problem

#: Largest input file read (4 MiB): the shipped catalog and baseline are about 30 KB.
MAX_INPUT_BYTES = 4 * 1024 * 1024
#: Most nodes aliases may add to a document once expanded (merge keys of a few defaults
#: into every item need hundreds; a "billion laughs" bomb needs a billion).
MAX_ALIAS_NODES = 10_000
#: Longest integer, in digits: no field accepts a number anywhere near this long.
MAX_INT_DIGITS = 30

#: (referring file, field): where a file's name was found, for messages.
Via = tuple[str, str]

_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")


class _NodeProblems(yaml.YAMLError):
    """Problems found in the composed document, each ``(field path, line, message)``."""

    def __init__(self, problems: list[tuple[str | None, int, str]]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


class _SafeFileLoader(_SafeLoader):
    """yaml.safe_load's rules with the checks listed in the module's docstring."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        problems = _node_problems(node)
        if problems:
            raise _NodeProblems(problems)
        return self.construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # merged keys may be overridden: not duplicates
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


# numbers written with an exponent but no sign or dot (2e9, 1.5e9) are floats
_SafeFileLoader.add_implicit_resolver(_FLOAT_TAG, _EXPONENT_FLOAT, list("-+0123456789."))


def _node_problems(root: yaml.Node) -> list[tuple[str | None, int, str]]:
    """Alias bombs and cycles, unhashable keys and ambiguous numbers of a composed
    document, without expanding its aliases beyond :data:`MAX_ALIAS_NODES`."""
    size, cycle = _expanded_sizes(root)
    if cycle is not None:
        return [(None, cycle.start_mark.line, "an alias refers to the node that contains it")]
    if size[id(root)] - len(size) > MAX_ALIAS_NODES:
        field, node = _largest_field(root, size)
        return [
            (
                field,
                node.start_mark.line,
                f"aliases (*name) expand the document by more than {MAX_ALIAS_NODES:,} "
                "nodes: refused (a YAML alias bomb?); write the values out instead",
            )
        ]
    problems: list[tuple[str | None, int, str]] = []
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        field = ".".join(path) or None
        line = node.start_mark.line
        if isinstance(node, yaml.ScalarNode):
            message = _scalar_problem(node)
            if message:
                problems.append((field, line, message))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, (*path, str(i))) for i, child in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.tag == _MERGE_TAG:
                    stack.append((value, path))
                elif not isinstance(key, yaml.ScalarNode):
                    kind = "list" if isinstance(key, yaml.SequenceNode) else "mapping"
                    problems.append(
                        (field, key.start_mark.line, f"a key must be a plain value, not a {kind}")
                    )
                else:
                    stack.append((key, path))
                    stack.append((value, (*path, str(key.value))))
    return sorted(problems, key=lambda p: p[1])


def _largest_field(root: yaml.Node, size: dict[int, int]) -> tuple[str | None, yaml.Node]:
    """The mapping field holding the bulk of an alias bomb: from the top, follow the
    mapping value that expands the most, as long as it alone is over the budget."""
    path: list[str] = []
    node = root
    while isinstance(node, yaml.MappingNode) and node.value:
        key, value = max(node.value, key=lambda pair: size[id(pair[1])])
        if size[id(value)] <= MAX_ALIAS_NODES or not isinstance(key, yaml.ScalarNode):
            break
        path.append(str(key.value))
        node = value
    return ".".join(path) or None, node


def _expanded_sizes(root: yaml.Node) -> tuple[dict[int, int], yaml.Node | None]:
    """The size of each distinct node once aliases are expanded (by ``id``), and a node
    that contains itself (or None); nothing is expanded (each node is visited once)."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            continue
        if key in size:
            continue
        if key in on_path:
            return size, node
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                return size, child
            if id(child) not in size:
                stack.append((child, False))
    return size, None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _scalar_problem(node: yaml.ScalarNode) -> str | None:
    """What is ambiguous about a plain number, or None."""
    value = node.value
    if node.tag == _INT_TAG:
        if _LEADING_ZERO.match(value):
            return (
                f"{value} has a leading zero, which YAML reads as an octal number "
                f"({_octal(value)}); write {value.lstrip('+-0_') or '0'} (or quote it as text)"
            )
        if ":" in value:
            return f"{value} is read by YAML as a base-60 number; write the number you mean"
        if sum(ch.isdigit() for ch in value) > MAX_INT_DIGITS:
            return f"a whole number of more than {MAX_INT_DIGITS} digits"
    if node.tag == _FLOAT_TAG and ":" in value:
        return f"{value} is read by YAML as a base-60 number; write the number you mean"
    return None


def _octal(value: str) -> str:
    digits = value.lstrip("+-").replace("_", "")
    try:
        return f"= {int(digits, 8)}"
    except ValueError:
        return "not even a valid one"


# --------------------------------------------------------------------------- reading
def _where(path: Path, via: Via | None, message: str) -> Problem:
    """A problem with opening ``path``: blamed on the field that named it, if any."""
    if via is None:
        return Problem(str(path), None, None, message)
    return Problem(via[0], None, via[1], f"{path}: {message}")


def _inside(path: Path, via: Via | None, message: str, field: str | None = None) -> Problem:
    """A problem with the contents of ``path`` (at ``field``), saying which field of which
    file led there."""
    if via is not None:
        message += f" (reached through field '{via[1]}' of {via[0]})"
    return Problem(str(path), None, field, message)


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def _open_problem(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        if path.is_symlink():
            return f"is a symbolic link to {os.readlink(path)}, which does not exist"
        return "file not found"
    if exc.errno == errno.ELOOP:
        return "is a loop of symbolic links"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied"
    if exc.errno == errno.ENOTDIR:
        return "file not found (a part of the path is a file, not a folder)"
    return f"cannot be read: {exc.strerror or exc}"


def read_bytes(path: Path, *, via: Via | None = None, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular input file of at most ``limit`` bytes.

    Never blocks or reads without end: the file is checked before it is opened (a device,
    named pipe, socket or directory is refused), opened without blocking, checked again,
    and read only up to ``limit + 1`` bytes.

    Raises
    ------
    InputError
        Naming the file (and, with ``via``, the file and field that named it).
    """
    path = Path(path)
    try:
        kind = _kind(os.stat(path).st_mode)
        if kind is not None:
            raise InputError([_where(path, via, kind)])
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise InputError([_where(path, via, _open_problem(path, exc))]) from None
    with os.fdopen(descriptor, "rb") as handle:
        try:
            info = os.fstat(handle.fileno())
            kind = _kind(info.st_mode)  # replaced between the check and the open?
            if kind is not None:
                raise InputError([_where(path, via, kind)])
            data = handle.read(limit + 1)
        except OSError as exc:
            raise InputError([_where(path, via, _open_problem(path, exc))]) from None
    if len(data) > limit:
        size = max(info.st_size, len(data))
        message = f"is {size:,} bytes or more; input files are limited to {limit:,} bytes"
        raise InputError([_where(path, via, message)])
    return data


def decode_text(data: bytes, path: Path, *, via: Via | None = None) -> str:
    """UTF-8 text (a leading byte-order mark is dropped); anything else is an InputError
    saying what the bytes look like."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise InputError([_inside(path, via, "is UTF-32 text; save it as UTF-8")])
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError([_inside(path, via, "is UTF-16 text; save it as UTF-8")])
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            data.decode("gb18030")
            guess = "it looks like GBK/GB18030 (Chinese Windows) text"
        except UnicodeDecodeError:
            guess = "it is in some other encoding"
        message = (
            f"is not UTF-8: byte 0x{data[exc.start]:02x} at line {line} cannot be decoded; "
            f"{guess}: save it as UTF-8"
        )
        raise InputError([_inside(path, via, message)]) from None


def read_text(path: Path, *, via: Via | None = None, limit: int = MAX_INPUT_BYTES) -> str:
    """A regular UTF-8 text file of at most ``limit`` bytes (see :func:`read_bytes`)."""
    path = Path(path)
    return decode_text(read_bytes(path, via=via, limit=limit), path, via=via)


def parse_yaml(text: str, path: Path, *, via: Via | None = None) -> Any:
    """Parse YAML text with the safe loader, every failure an InputError of ``path``."""
    try:
        return yaml.load(text, Loader=_SafeFileLoader)
    except _NodeProblems as exc:
        raise InputError(
            [
                _inside(path, via, f"{message} (line {line + 1})", field)
                for field, line, message in exc.problems
            ]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        kind = (
            "YAML error"
            if isinstance(exc, yaml.constructor.ConstructorError)
            else "YAML syntax error"
        )
        raise InputError([_inside(path, via, f"{kind}{where}: {reason}")]) from None
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError([_inside(path, via, f"YAML error: {reason}")]) from None


def read_yaml(path: Path, *, via: Via | None = None) -> Any:
    """Read a YAML input file safely, turning every failure into an InputError.

    A missing or unreadable file, a file that is not a regular file or is too large, one
    that is not UTF-8, a syntax error, an alias bomb, an ambiguous number, an empty
    document and a top level that is not a mapping are each reported with the file's
    name (and the line, or the field, where there is one).

    Parameters
    ----------
    path : Path
        The file to read.
    via : (str, str), optional
        The file and field that named ``path`` (``extends``, ``catalog``), for messages.

    Returns
    -------
    dict
        The document's top-level mapping.
    """
    path = Path(path)
    data = parse_yaml(read_text(path, via=via), path, via=via)
    if data is None:
        raise InputError([_inside(path, via, "file is empty")])
    if not isinstance(data, dict):
        message = f"top level must be a mapping, got {type(data).__name__}"
        raise InputError([_inside(path, via, message)])
    return data


__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_INPUT_BYTES",
    "MAX_INT_DIGITS",
    "Via",
    "decode_text",
    "parse_yaml",
    "read_bytes",
    "read_text",
    "read_yaml",
]
