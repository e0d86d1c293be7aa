"""Faults provoked for real on ``fiscalsim run --report`` in a subprocess: signals at
random moments, a file-size limit (a full filesystem as the process sees it), a
read-only destination and too little memory. After each, the earlier output's SHA-256
is what it was (or, if the run finished first, the new output is complete), the exit
status is 0, 2, 130 or 143 with one line and no traceback, and no staging folder is left
(a SIGKILLed one is swept by the next start)."""

from __future__ import annotations

import ctypes
import hashlib
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from model.report.folders import foreign_files, sweep_staging

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Seconds a signalled run may take to stop (the issue's bound is 10).
STOP_S = 10


def _command(out: Path, *extra: str, draws: int = 300) -> list[str]:
    return [
        sys.executable,
        "-m",
        "model",
        "run",
        "baseline",
        "--draws",
        str(draws),
        "--seed",
        "11",
        "--out",
        str(out),
        "--report",
        "--quiet",
        *extra,
    ]


def _digest(folder: Path) -> str:
    """SHA-256 over every file's relative path and bytes, in order."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _leftovers(parent: Path) -> list[str]:
    return sorted(
        p.name for p in parent.iterdir() if ".partial-" in p.name or ".previous-" in p.name
    )


@pytest.fixture(scope="module")
def earlier_output(tmp_path_factory) -> Path:
    """An earlier ``run --report`` output, written once; each test works on a copy."""
    out = tmp_path_factory.mktemp("earlier") / "baseline"
    subprocess.run(_command(out), cwd=PROJECT_ROOT, check=True, timeout=300)
    return out


@pytest.fixture
def earlier(earlier_output, tmp_path) -> tuple[Path, str]:
    out = tmp_path / "baseline"
    shutil.copytree(earlier_output, out)
    return out, _digest(out)


def _check_message(stderr: str, status: int) -> None:
    assert "Traceback" not in stderr
    if status in (129, 130, 143):
        assert len(stderr.strip().splitlines()) == 1, stderr


# --------------------------------------------------------------------------- signals
SIGNALS = [
    (signal.SIGINT, 0.4),  # the first second: still importing numpy and pandas
    (signal.SIGINT, None),
    (signal.SIGTERM, None),
    (signal.SIGTERM, None),
    (signal.SIGKILL, None),
    (signal.SIGHUP, None),  # the terminal closed
]


@pytest.mark.parametrize(
    ("signum", "delay"),
    SIGNALS,
    ids=[f"{s.name}-{i}" for i, (s, _) in enumerate(SIGNALS)],
)
def test_a_signal_at_a_random_moment_loses_nothing(earlier, signum, delay):
    out, before = earlier
    rng = random.Random(f"{signum}-{delay}")
    delay = delay if delay is not None else rng.uniform(0.3, 3.0)
    process = subprocess.Popen(
        _command(out, draws=400), cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True
    )
    time.sleep(delay)
    sent = time.perf_counter()
    process.send_signal(signum)
    stderr = process.communicate(timeout=60)[1]
    assert time.perf_counter() - sent < STOP_S
    status = process.returncode
    expected = {
        signal.SIGINT: 130,
        signal.SIGTERM: 143,
        signal.SIGHUP: 129,
        signal.SIGKILL: -signal.SIGKILL,
    }
    assert status in (0, expected[signum]), stderr
    _check_message(stderr, status)
    if status == 0:  # it finished before the signal: the new output is complete
        assert foreign_files(out) == []
    else:
        assert _digest(out) == before
    if signum == signal.SIGKILL:
        sweep_staging(out.parent)  # what the next start does
    assert _leftovers(out.parent) == []


# --------------------------------------------------------------------------- disk, permissions
@pytest.mark.parametrize("limit", [20_000, 400_000])
def test_a_full_filesystem_leaves_the_earlier_output(earlier, limit):
    out, before = earlier

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        _command(out),
        cwd=PROJECT_ROOT,
        preexec_fn=small_files,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    _check_message(done.stderr, 2)
    assert "size limit (ulimit -f)" in done.stderr
    assert f"({out / 'draws.parquet'})" in done.stderr  # the file, as the output would hold it
    assert _digest(out) == before
    assert _leftovers(out.parent) == []


def _without_root_override() -> None:
    """In the child: lose the power to write where permissions forbid it (root's
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH), so read-only means read-only even as root."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (ctypes.c_uint32 * 6)()
    if libc.capget(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    keep = ~((1 << 1) | (1 << 2)) & 0xFFFFFFFF
    data[0] &= keep
    data[1] &= keep
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    for capability in (1, 2):  # PR_CAPBSET_DROP: gone after exec too
        if libc.prctl(24, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")


@pytest.mark.skipif(sys.platform != "linux", reason="capabilities are Linux's")
@pytest.mark.parametrize("where", ["destination", "parent"])
def test_a_read_only_destination_is_refused(earlier, where):
    out, before = earlier
    target = out if where == "destination" else out.parent
    destination = out if where == "destination" else out.parent / "new"
    os.chmod(target, 0o555)
    try:
        done = subprocess.run(
            _command(destination),
            cwd=PROJECT_ROOT,
            preexec_fn=_without_root_override,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.chmod(target, 0o755)
    assert done.returncode == 2, done.stderr
    _check_message(done.stderr, 2)
    assert ("read-only" in done.stderr) or ("permission denied" in done.stderr)
    assert _digest(out) == before
    assert not (out.parent / "new").exists()
    assert _leftovers(out.parent) == []


# --------------------------------------------------------------------------- memory
@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS behaves this way on Linux")
def test_a_run_without_enough_memory_is_exit_2(earlier):
    out, before = earlier

    def little_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1200 * 2**20, 1200 * 2**20))

    done = subprocess.run(
        _command(out, "--no-draws-file", draws=1_000_000),
        cwd=PROJECT_ROOT,
        preexec_fn=little_memory,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        check=False,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    _check_message(done.stderr, 2)
    assert "out of memory" in done.stderr
    assert _digest(out) == before
    assert _leftovers(out.parent) == []


# --------------------------------------------------------------------------- with workers
def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_worker_processes_run_loses_nothing(earlier, signum):
    # three chunks over two processes: the signal comes while a worker simulates
    out, before = earlier
    process = subprocess.Popen(
        _command(out, "--workers", "2", draws=3 * 16_384),
        cwd=PROJECT_ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers: list[int] = []
    waited = time.perf_counter()
    while not workers and process.poll() is None and time.perf_counter() - waited < 60:
        time.sleep(0.2)
        workers = _children(process.pid)
    time.sleep(1.0)  # the worker is at work
    sent = time.perf_counter()
    process.send_signal(signum)
    stderr = process.communicate(timeout=60)[1]
    assert time.perf_counter() - sent < STOP_S
    status = process.returncode
    assert status in (0, {signal.SIGINT: 130, signal.SIGTERM: 143}[signum]), stderr
    _check_message(stderr, status)
    if status == 0:  # it finished before the signal: the new output is complete
        assert foreign_files(out) == []
    else:
        assert workers, "no worker process was started"
        assert _digest(out) == before
    assert _leftovers(out.parent) == []
    deadline = time.perf_counter() + 5
    while any(_alive(pid) for pid in workers) and time.perf_counter() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "a worker outlived the run"
