"""Issue 13's command-line kinds through ``fiscalsim`` itself: an ``--out`` under a file,
and a full disk that hits ``draws.parquet``. Each is exit 2 within the bound,
one message naming the file and the option, no traceback, and nothing created or lost."""

from __future__ import annotations

import errno
import time

import pyarrow.parquet as pq
import pytest

from model.cli.main import main

#: Seconds within which any of these must be answered (the issue's bound is 10).
LIMIT_S = 10


def _main(argv: list[str], capsys) -> tuple[int, str]:
    start = time.perf_counter()
    status = main(argv)
    assert time.perf_counter() - start < LIMIT_S
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return status, err


def test_out_under_a_regular_file_is_refused_naming_out(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("precious", encoding="utf-8")
    out = tmp_path / "notes.txt" / "run"
    status, err = _main(["run", "baseline", "--draws", "10", "--out", str(out), "--quiet"], capsys)
    assert status == 2
    assert f"{out}: field '--out'" in err and "notes.txt is a file, not a folder" in err
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "the disk is full"), (errno.EFBIG, "size limit (ulimit -f)")],
)
def test_a_full_disk_while_writing_draws_parquet_names_it(
    code, words, tmp_path, monkeypatch, capsys
):
    # the write itself fails, as pyarrow reports it (an OSError naming no file)
    def full(self, table):
        raise OSError(code, "write failed")

    earlier = tmp_path / "out"
    assert main(["run", "baseline", "--draws", "10", "--out", str(earlier), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in earlier.iterdir()}
    capsys.readouterr()
    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    status, err = _main(["run", "baseline", "--draws", "10", "--out", str(earlier)], capsys)
    assert status == 2 and words in err
    assert f"({earlier / 'draws.parquet'})" in err  # the file as it would have been
    assert len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in earlier.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left
