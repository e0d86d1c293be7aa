"""Reading input files safely (model/core/yamlio.py): limits before parsing, a YAML
loader that cannot be bombed, and numbers read the way an analyst writes them.

Each case is a failure the hardening issue reproduced (a hang, a traceback or a silent
misreading); each must now be an :class:`InputError` naming the file (and the field or
line), quickly.
"""

from __future__ import annotations

import codecs
import os
import time
from pathlib import Path

import pytest

from model.core.errors import InputError
from model.core.yamlio import MAX_ALIAS_NODES, MAX_INPUT_BYTES, read_text, read_yaml


def _write(folder: Path, text: str | bytes, name: str = "doc.yaml") -> Path:
    path = folder / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def _problems(path: Path, **kwargs) -> list:
    with pytest.raises(InputError) as caught:
        read_yaml(path, **kwargs)
    return caught.value.problems


def _laughs(levels: int, width: int = 9) -> str:
    """The "billion laughs": each level an anchored list of ``width`` aliases of the last."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- what is read
@pytest.mark.parametrize("where", ["description", "title_zh", "items"])
def test_an_alias_bomb_is_refused_quickly(tmp_path, where):
    # a billion "lol"s (9^9) once expanded, under a description, a title or the items
    bomb = _laughs(8).replace("l8: &l8", f"{where}: &l8")
    path = _write(tmp_path, bomb)
    start = time.perf_counter()
    (problem,) = _problems(path)
    assert time.perf_counter() - start < 2
    assert problem.file == str(path)
    assert "aliases" in problem.message and f"{MAX_ALIAS_NODES:,}" in problem.message


def test_a_few_aliases_and_merge_keys_are_fine(tmp_path):
    text = (
        "defaults: &d {dist: poisson, basis: shared basis}\n"
        "a: {<<: *d, mean: 2}\n"
        "b:\n  <<: *d\n  mean: 3\n  dist: fixed\n"
        "c: [*d, *d]\n"
    )
    data = read_yaml(_write(tmp_path, text))
    assert data["a"] == {"dist": "poisson", "basis": "shared basis", "mean": 2}
    assert data["b"] == {"dist": "fixed", "basis": "shared basis", "mean": 3}  # own key wins
    assert data["c"] == [data["defaults"], data["defaults"]]


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    (problem,) = _problems(_write(tmp_path, "a: &a [1, *a]\n"))
    assert "refers to the node that contains it" in problem.message


@pytest.mark.parametrize(
    ("text", "field"),
    [("[1, 2]: x\n", None), ("a:\n  {b: 1}: x\n", "a"), ("a: {[3]: x}\n", "a")],
)
def test_a_list_or_mapping_as_a_key_is_refused(tmp_path, text, field):
    (problem,) = _problems(_write(tmp_path, text))
    assert problem.field == field
    assert "a key must be a plain value" in problem.message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2e9", 2e9),
        ("2E9", 2e9),
        ("1.5e9", 1.5e9),
        ("-3e-2", -0.03),
        ("2.0e+9", 2e9),
        ("1_000_000", 1_000_000),
        ("0", 0),
        ("0.5", 0.5),
        ("'2e9'", "2e9"),
    ],
)
def test_numbers_are_read_as_an_analyst_writes_them(tmp_path, text, value):
    data = read_yaml(_write(tmp_path, f"x: {text}\n"))
    assert data["x"] == value and type(data["x"]) is type(value)


@pytest.mark.parametrize(("text", "why"), [("010", "leading zero"), ("1:30", "base-60")])
def test_ambiguous_numbers_are_refused_naming_the_field(tmp_path, text, why):
    path = _write(tmp_path, f"items:\n  x:\n    uptake: {{mean: {text}}}\n")
    (problem,) = _problems(path)
    assert (problem.file, problem.field) == (str(path), "items.x.uptake.mean")
    assert why in problem.message and "line 3" in problem.message


def test_a_quoted_leading_zero_is_text(tmp_path):
    assert read_yaml(_write(tmp_path, "code: '010'\n")) == {"code": "010"}


def test_an_absurdly_long_integer_is_refused(tmp_path):
    (problem,) = _problems(_write(tmp_path, "x: " + "9" * 5000 + "\n"))
    assert problem.field == "x" and "digits" in problem.message


def test_duplicate_keys_are_refused(tmp_path):
    (problem,) = _problems(_write(tmp_path, "a: 1\nb: 2\na: 3\n"))
    assert "duplicate key 'a' (first at line 1)" in problem.message


# --------------------------------------------------------------------------- encodings
def test_utf8_with_a_byte_order_mark_is_read(tmp_path):
    path = _write(tmp_path, codecs.BOM_UTF8 + "title_zh: 基准情景\n".encode())
    assert read_yaml(path) == {"title_zh": "基准情景"}


def test_gbk_is_named_as_such(tmp_path):
    path = _write(tmp_path, "a: 1\ntitle_zh: 基准情景\n".encode("gbk"))
    (problem,) = _problems(path)
    assert "is not UTF-8" in problem.message and "line 2" in problem.message
    assert "GBK" in problem.message and "save it as UTF-8" in problem.message


def test_invalid_utf8_is_reported(tmp_path):
    (problem,) = _problems(_write(tmp_path, b"a: \xff\xfe\xfd\n"))
    assert "is not UTF-8: byte 0xff at line 1" in problem.message


def test_utf16_is_named_as_such(tmp_path):
    path = _write(tmp_path, "a: 1\n".encode("utf-16"))
    (problem,) = _problems(path)
    assert "is UTF-16 text; save it as UTF-8" in problem.message


# --------------------------------------------------------------------------- what a file is
def test_a_device_is_refused_without_reading_it():
    start = time.perf_counter()
    (problem,) = _problems(Path("/dev/zero"))
    assert time.perf_counter() - start < 1
    assert problem.message == "is a device, not a regular file"


def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    (problem,) = _problems(fifo)
    assert "named pipe" in problem.message


def test_a_directory_is_refused(tmp_path):
    (problem,) = _problems(tmp_path)
    assert problem.message == "is a directory, not a file"


def test_a_loop_of_symbolic_links_is_refused(tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    (problem,) = _problems(tmp_path / "a.yaml")
    assert problem.message == "is a loop of symbolic links"


def test_a_dangling_link_says_where_it_points(tmp_path):
    (tmp_path / "a.yaml").symlink_to("nowhere.yaml")
    (problem,) = _problems(tmp_path / "a.yaml")
    assert "symbolic link to nowhere.yaml, which does not exist" in problem.message


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path):
    path = _write(tmp_path, "a: [" + "1, " * (MAX_INPUT_BYTES // 3) + "1]\n")
    (problem,) = _problems(path)
    assert f"limited to {MAX_INPUT_BYTES:,} bytes" in problem.message


def test_a_sparse_huge_file_is_not_read_to_its_end(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024**3)  # 50 GB of holes: reading it all would take minutes
    start = time.perf_counter()
    (problem,) = _problems(path)
    assert time.perf_counter() - start < 2
    assert "53,687,091,200 bytes" in problem.message


# --------------------------------------------------------------------------- referring files
def test_a_file_that_cannot_be_opened_is_blamed_on_the_field_that_named_it():
    (problem,) = _problems(Path("/dev/zero"), via=("variants/x.yaml", "extends"))
    assert (problem.file, problem.field) == ("variants/x.yaml", "extends")
    assert problem.message == "/dev/zero: is a device, not a regular file"


def test_a_bad_file_reached_through_another_names_both(tmp_path):
    path = _write(tmp_path, "a: [1\n")
    (problem,) = _problems(path, via=("variants/x.yaml", "extends"))
    assert problem.file == str(path)
    assert "YAML syntax error" in problem.message
    assert "reached through field 'extends' of variants/x.yaml" in problem.message


def test_read_text_applies_the_same_limits(tmp_path):
    with pytest.raises(InputError, match="is a device"):
        read_text(Path("/dev/urandom"))
    assert read_text(_write(tmp_path, codecs.BOM_UTF8 + "政策".encode(), "t.txt")) == "政策"
