"""Exit statuses of the command line (model/cli/main.py): a problem of the machine (a full
disk, a file-size limit, a read-only folder, no memory) is exit 2 with one line naming
it, a signal is 130/143, and the earlier output is untouched either way. The same faults
are provoked for real in ``tests/adversarial/test_faults.py``."""

from __future__ import annotations

import errno
import os
import signal

import pytest

import model.cli.run
import model.core.paths
from model.cli.main import EXIT_INPUT, EXIT_SIGNAL, Stopped, build_parser, main

ARGS = ["run", "baseline", "--draws", "100", "--quiet", "--no-draws-file"]


def _failing(error: BaseException):
    def run_batch(*args, **kwargs):
        raise error

    return run_batch


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EFBIG, "size limit (ulimit -f)"),
        (errno.EROFS, "read-only filesystem"),
        (errno.EACCES, "permission denied"),
        (errno.EDQUOT, "quota"),
    ],
)
def test_a_fault_of_the_machine_is_exit_2_with_one_line(tmp_path, monkeypatch, capsys, code, words):
    monkeypatch.setattr(
        model.cli.run,
        "run_batch",
        _failing(OSError(code, os.strerror(code), "draws.parquet")),
    )
    status = main([*ARGS, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == EXIT_INPUT
    assert words in err and "draws.parquet" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


def test_running_out_of_memory_is_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(model.cli.run, "run_batch", _failing(MemoryError()))
    assert main([*ARGS, "--out", str(tmp_path / "out")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "out of memory" in err and "--draws" in err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_is_its_exit_status_with_one_line(tmp_path, monkeypatch, capsys, signum):
    monkeypatch.setattr(model.cli.run, "run_batch", _failing(Stopped(signum)))
    assert main([*ARGS, "--out", str(tmp_path / "out")]) == EXIT_SIGNAL[signum]
    err = capsys.readouterr().err
    assert f"stopped by {signal.Signals(signum).name}" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_the_signal_handlers_are_restored_after_main(tmp_path):
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    main(["validate", "baseline"])
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


@pytest.mark.parametrize("out", ["", "   "])
def test_an_empty_out_is_refused_by_the_parser(out, capsys):
    with pytest.raises(SystemExit) as caught:
        main([*ARGS, "--out", out])
    assert caught.value.code == 2
    assert "--out: is empty" in capsys.readouterr().err


def test_out_the_working_folder_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    assert main([*ARGS, "--out", "."]) == EXIT_INPUT
    assert "working folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_each_sensitivity_method_writes_its_own_default_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(model.core.paths, "OUTPUTS_DIR", tmp_path)
    common = ["sensitivity", "baseline", "--draws", "200"]
    assert main([*common, "--method", "tornado", "--top", "2"]) == 0
    assert main([*common, "--method", "convergence", "--target-se", "0.05"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "sensitivity_baseline_convergence",
        "sensitivity_baseline_tornado",
    ]
    assert (tmp_path / "sensitivity_baseline_tornado" / "tornado.csv").is_file()
    assert (tmp_path / "sensitivity_baseline_convergence" / "convergence.csv").is_file()


@pytest.mark.parametrize("command", ["sensitivity", "goalseek", "readings"])
def test_every_simulating_command_takes_workers(command, capsys):
    budget = ["--budget", "1e8"] if command == "goalseek" else []
    argv = [command, "baseline", *budget]
    assert build_parser([command]).parse_args([*argv, "--workers", "3"]).workers == 3
    assert build_parser([command]).parse_args(argv).workers is None  # cores, when it runs
    with pytest.raises(SystemExit) as refused:
        build_parser([command]).parse_args([*argv, "--workers", "0"])
    assert refused.value.code == EXIT_INPUT
    assert "--workers" in capsys.readouterr().err
