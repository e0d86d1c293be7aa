"""Atomic output folders (model/report/folders.py): fiscalsim replaces only a folder it
wrote, never deletes a file it did not write, swaps in one step, sweeps what a killed run
left, and respects the umask."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from model.core.errors import InputError
from model.report.folders import (
    MANIFEST,
    OUTPUT_MARKER,
    atomic_directory,
    check_destination,
    foreign_files,
    sweep_staging,
)
from model.report.manifest import write_manifest


def _output(folder: Path, files: dict[str, str]) -> Path:
    """A folder as fiscalsim writes it: ``files`` and a marked manifest listing them."""
    with atomic_directory(folder) as staging:
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text, encoding="utf-8")
        write_manifest(staging, {"tool": "fiscalsim", "command": "test"})
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _refusal(destination: Path) -> str:
    with pytest.raises(InputError) as caught, atomic_directory(destination) as staging:
        (staging / "new.csv").write_text("new", encoding="utf-8")
    (problem,) = caught.value.problems
    assert problem.field == "--out"
    return problem.message


def test_a_folder_fiscalsim_wrote_is_replaced_whole(tmp_path):
    out = _output(tmp_path / "run", {"a.csv": "old", "sub/b.csv": "old"})
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["output_format"] == OUTPUT_MARKER
    assert set(manifest["files_sha256"]) == {"a.csv", "sub/b.csv"}
    _output(out, {"c.csv": "new"})
    assert sorted(_snapshot(out)) == ["c.csv", MANIFEST]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no staging left behind


def test_a_folder_that_merely_holds_a_manifest_is_not_fiscalsims(tmp_path):
    site = tmp_path / "site"
    (site / "src").mkdir(parents=True)
    (site / MANIFEST).write_text('{"name": "my-web-app"}', encoding="utf-8")
    (site / "index.html").write_text("<html></html>", encoding="utf-8")
    (site / "src" / "app.js").write_text("alert(1)", encoding="utf-8")
    before = _snapshot(site)
    assert "not a fiscalsim output folder" in _refusal(site)
    assert _snapshot(site) == before


def test_a_manifest_with_the_tool_name_but_other_files_is_not_enough(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / MANIFEST).write_text(
        json.dumps({"tool": "fiscalsim", "files_sha256": {}}), encoding="utf-8"
    )
    (site / "index.html").write_text("<html></html>", encoding="utf-8")
    assert "index.html (not written by fiscalsim)" in _refusal(site)
    assert (site / "index.html").exists()


def test_a_note_saved_in_the_output_folder_survives(tmp_path):
    out = _output(tmp_path / "run", {"a.csv": "old"})
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    before = _snapshot(out)
    message = _refusal(out)
    assert "notes.txt (not written by fiscalsim)" in message
    assert "never deletes a file it did not write" in message
    assert _snapshot(out) == before


def test_a_changed_output_file_is_not_deleted(tmp_path):
    out = _output(tmp_path / "run", {"a.csv": "old"})
    (out / "a.csv").write_text("edited by hand", encoding="utf-8")
    assert "a.csv (changed since fiscalsim wrote it)" in _refusal(out)
    assert (out / "a.csv").read_text(encoding="utf-8") == "edited by hand"


def test_a_file_saved_while_the_command_runs_is_not_deleted(tmp_path):
    out = _output(tmp_path / "run", {"a.csv": "old"})
    with pytest.raises(InputError, match=r"late\.txt"), atomic_directory(out) as staging:
        (staging / "a.csv").write_text("new", encoding="utf-8")
        (out / "late.txt").write_text("saved meanwhile", encoding="utf-8")
    assert (out / "late.txt").exists() and (out / "a.csv").read_text() == "old"


def test_an_error_leaves_the_earlier_output_and_no_staging(tmp_path):
    out = _output(tmp_path / "run", {"a.csv": "old"})
    before = _snapshot(out)
    with pytest.raises(ZeroDivisionError), atomic_directory(out) as staging:
        (staging / "a.csv").write_text("half", encoding="utf-8")
        1 / 0  # noqa: B018
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize("name", [".", ".."])
def test_the_working_folder_and_its_parents_are_refused(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="working folder"):
        check_destination(Path(name))


def test_a_file_is_not_a_folder(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="is a file, not a folder"):
        check_destination(tmp_path / "file")
    with (
        pytest.raises(InputError, match="file is a file, not a folder"),
        atomic_directory(tmp_path / "file" / "out"),
    ):
        pass


def test_a_symbolic_link_is_followed_and_kept(tmp_path):
    out = _output(tmp_path / "run1", {"a.csv": "old"})
    (tmp_path / "latest").symlink_to(out)
    _output(tmp_path / "latest", {"b.csv": "new"})
    assert (tmp_path / "latest").is_symlink()
    assert sorted(_snapshot(out)) == ["b.csv", MANIFEST]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run1"]


def test_a_dangling_link_is_refused(tmp_path):
    (tmp_path / "latest").symlink_to(tmp_path / "gone")
    with pytest.raises(InputError, match="which does not exist"):
        check_destination(tmp_path / "latest")


def test_folders_and_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        out = _output(tmp_path / "run", {"a.csv": "x", "sub/b.csv": "y"})
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "sub").stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "a.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE((out / MANIFEST).stat().st_mode) == 0o644


def test_a_killed_runs_staging_folder_is_swept(tmp_path):
    out = _output(tmp_path / "run", {"a.csv": "old"})
    code = (
        "import os, sys\n"
        "from model.report.folders import atomic_directory\n"
        "with atomic_directory(sys.argv[1]) as staging:\n"
        "    (staging / 'big.bin').write_bytes(b'x' * 1000)\n"
        "    os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(out)], check=False, timeout=60)
    assert done.returncode == -9
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".run.partial-")]
    assert len(left) == 1
    assert sweep_staging(tmp_path) == left
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert (out / "a.csv").read_text() == "old"


def test_a_staging_folder_in_use_is_not_swept(tmp_path):
    with atomic_directory(tmp_path / "run") as staging:
        assert sweep_staging(tmp_path) == []
        assert staging.is_dir()


def test_a_swap_stopped_half_way_is_undone_at_the_next_start(tmp_path):
    out = _output(tmp_path / "run", {"a.csv": "old"})
    aside = tmp_path / ".run.previous-0a1b2c"
    out.rename(aside)  # as if the machine stopped between the fallback's two renames
    assert sweep_staging(tmp_path) == []
    assert (out / "a.csv").read_text() == "old" and not aside.exists()


def test_foreign_files_lists_nothing_for_a_clean_output(tmp_path):
    out = _output(tmp_path / "run", {"a.csv": "x"})
    assert foreign_files(out) == []
    assert foreign_files(tmp_path) is None
