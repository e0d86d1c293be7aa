"""Atomic output folders: fiscalsim replaces only a folder it wrote, and never half of it.

A command writes into a hidden staging folder beside its destination
(``.<name>.partial-<random>``) and, only once every file is complete, swaps it into place
in one step (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames with
SIGINT/SIGTERM held back, undone at the next start if the machine stops in between).
So an earlier output folder is, at every instant, either as it was or replaced by a
complete new one.

Before anything is written the destination is checked:

- it must not be the working folder, one of its parents, or the filesystem root;
- a symbolic link is followed: the folder it points to is replaced, the link is kept;
- a destination that exists must be a folder that is empty or that fiscalsim wrote: its
  ``manifest.json`` carries fiscalsim's marker and lists every file in the folder with
  the SHA-256 it had when fiscalsim wrote it. A file it does not list (a note the user
  saved there), or a listed file that was changed since, makes the command refuse
  (exit 2) and name those files: fiscalsim never deletes a file it did not write.

Staging folders are removed on every exit Python sees (an error, SIGINT, SIGTERM); one
left by a process that was killed (SIGKILL, power loss) is swept at the next start in
the same parent folder, once no process holds its lock. Folders and files get the
permissions the umask allows (``mkdtemp``'s private 0700 is not kept).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from model.core.errors import InputError, Problem
from model.core.yamlio import read_bytes

try:  # POSIX: a staging folder is locked by the process that writes it
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
#: The marker fiscalsim writes into every manifest (``output_format``), with the list of
#: its files (``files_sha256``): together they say that fiscalsim wrote the folder.
OUTPUT_MARKER = "fiscalsim-output/1"
#: A staging folder whose lock cannot be tested is swept once it is this old (seconds).
STALE_AFTER_S = 24 * 3600
_STAGING = re.compile(r"^\.(?P<name>.+)\.(?P<kind>partial|previous)-[0-9a-z_]+$")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def folder_mode() -> int:
    """Permissions of a new folder under the current umask (``0o755`` for umask 022)."""
    return 0o777 & ~_umask()


def file_mode() -> int:
    """Permissions of a new file under the current umask (``0o644`` for umask 022)."""
    return 0o666 & ~_umask()


def _problem(destination: Path, message: str) -> InputError:
    return InputError([Problem(str(destination), None, "--out", message)])


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- ownership
def _listing(folder: Path) -> list[str]:
    """Every entry below ``folder`` that is not a folder (files, links, pipes…), as
    relative POSIX paths."""
    found = []
    for root, folders, files in os.walk(folder):
        base = Path(root)
        links = [name for name in folders if (base / name).is_symlink()]
        for name in [*files, *links]:
            found.append((base / name).relative_to(folder).as_posix())
    return sorted(found)


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest if it is fiscalsim's (its marker, or a pre-marker manifest
    with ``tool: fiscalsim``, and a list of files), else None."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(read_bytes(path).decode("utf-8"))
    except (InputError, ValueError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files_sha256"), dict):
        return None
    marked = manifest.get("output_format") == OUTPUT_MARKER
    legacy = "output_format" not in manifest and manifest.get("tool") == "fiscalsim"
    return manifest if marked or legacy else None


def foreign_files(folder: Path, *, hashes: bool = True) -> list[str] | None:
    """What makes ``folder`` not fiscalsim's to replace: ``None`` when it has no
    fiscalsim manifest at all, else the files (with why) that fiscalsim did not write or
    that were changed since (an empty list: the folder may be replaced)."""
    manifest = _read_manifest(folder)
    if manifest is None:
        return None
    listed: dict[str, str] = manifest["files_sha256"]
    foreign = []
    for name in _listing(folder):
        if name == MANIFEST:
            continue
        path = folder / name
        if name not in listed or path.is_symlink() or not path.is_file():
            foreign.append(f"{name} (not written by fiscalsim)")
        elif hashes and sha256_of(path) != listed[name]:
            foreign.append(f"{name} (changed since fiscalsim wrote it)")
    return foreign


def check_destination(destination: str | Path, *, hashes: bool = True) -> Path:
    """The folder a command may write to: ``destination`` with a symbolic link followed,
    after the checks listed in the module's docstring (``hashes=False``: without
    comparing the files' SHA-256 with the manifest's).

    Raises
    ------
    InputError
        Saying why the destination cannot be replaced (``--out``).
    """
    destination = Path(destination)
    if str(destination).strip() == "":
        raise _problem(destination, "is empty: name a folder")
    if destination.is_symlink():
        target = Path(os.path.realpath(destination))
        if not target.exists():
            raise _problem(destination, f"is a symbolic link to {target}, which does not exist")
        destination = target
    real = Path(os.path.realpath(destination))
    here = Path(os.path.realpath(Path.cwd()))
    if real == here or real in here.parents:
        raise _problem(
            destination, "is the working folder or one of its parents: name a folder inside it"
        )
    if destination.exists() and not destination.is_dir():
        raise _problem(destination, "is a file, not a folder: choose another --out")
    if destination.is_dir() and not os.access(destination, os.W_OK):
        raise _problem(
            destination, "is read-only (no permission to write in it): fiscalsim leaves it as it is"
        )
    if destination.is_dir() and any(destination.iterdir()):
        foreign = foreign_files(destination, hashes=hashes)
        if foreign is None:
            raise _problem(
                destination,
                "exists and is not a fiscalsim output folder (it has no fiscalsim "
                "manifest.json); fiscalsim replaces only folders it wrote: choose another "
                "--out, or empty it",
            )
        if foreign:
            more = f" and {len(foreign) - 10} more" if foreign[10:] else ""
            shown = ", ".join(foreign[:10]) + more
            raise _problem(
                destination,
                f"holds files fiscalsim would have to delete: {shown}; fiscalsim never "
                "deletes a file it did not write: move them elsewhere (or choose another "
                "--out) and run again",
            )
    return destination


# --------------------------------------------------------------------------- staging
def _lock(path: Path) -> int | None:
    """Hold an exclusive lock on a folder for as long as the returned descriptor is open
    (released by the kernel when the process dies); None where locks do not work."""
    if fcntl is None:
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return None
    return descriptor


def _unlock(descriptor: int | None) -> None:
    if descriptor is not None:
        with contextlib.suppress(OSError):
            os.close(descriptor)


def _abandoned(path: Path) -> bool:
    """Whether no living process holds the staging folder ``path`` (its lock is free; or,
    where locks cannot be tested, it is older than :data:`STALE_AFTER_S`)."""
    if fcntl is not None:
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a running fiscalsim holds it
        except OSError:
            pass  # locks unsupported here: judge by age
        else:
            return True
        finally:
            os.close(descriptor)
    try:
        return time.time() - path.stat().st_mtime > STALE_AFTER_S
    except OSError:
        return False


def sweep_staging(parent: Path) -> list[Path]:
    """Remove the staging folders that killed runs left in ``parent``; put back an
    output folder that a stop between two renames left aside. Returns what was swept."""
    swept: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return swept
    for entry in entries:
        match = _STAGING.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        if not _abandoned(path):
            continue
        original = parent / match["name"]
        if match["kind"] == "previous" and not os.path.lexists(original):
            with contextlib.suppress(OSError):
                os.rename(path, original)  # the swap stopped half way: undo it
            continue
        remove_tree(path)
        swept.append(path)
    return swept


def _cannot_create(parent: Path, error: OSError) -> str:
    """Why the folder cannot be made in ``parent``, in words."""
    if isinstance(error, FileExistsError | NotADirectoryError):
        blocking = next(
            (p for p in (parent, *parent.parents) if p.exists() and not p.is_dir()), parent
        )
        return f"cannot be created: {blocking} is a file, not a folder"
    reasons = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "it is on a read-only filesystem",
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
    }
    reason = reasons.get(error.errno or -1, error.strerror or str(error))
    return f"cannot write in {parent}: {reason}"


def remove_tree(path: Path) -> None:
    """Remove a folder fiscalsim wrote (a staging folder, or an output it replaced), even
    where a folder inside was made read-only; errors are ignored (what is left is swept
    at the next start)."""
    for root, folders, _ in os.walk(path):
        for name in folders:
            with contextlib.suppress(OSError):
                if not (Path(root) / name).is_symlink():
                    os.chmod(Path(root) / name, 0o700)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    shutil.rmtree(path, ignore_errors=True)


def _new_staging(parent: Path, name: str) -> Path:
    for _ in range(100):
        staging = parent / f".{name}.partial-{secrets.token_hex(6)}"
        try:
            staging.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(staging, folder_mode())
        return staging
    raise FileExistsError(errno.EEXIST, "no free staging folder name", str(parent))


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP held back (delivered on exit) around a few system calls."""
    held = {signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)}
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _swap(staging: Path, destination: Path) -> Path | None:
    """Put ``staging`` in place of ``destination``; returns where the old folder now is
    (to be removed), or None when there was none."""
    with _signals_held():
        if not os.path.lexists(destination):
            os.rename(staging, destination)
            return None
        if _exchange(staging, destination):
            return staging
        backup = destination.with_name(f".{destination.name}.previous-{secrets.token_hex(6)}")
        held = _lock(destination)
        try:
            os.rename(destination, backup)
            try:
                os.rename(staging, destination)
            except BaseException:
                os.rename(backup, destination)
                raise
        finally:
            _unlock(held)
        return backup


@contextlib.contextmanager
def atomic_directory(destination: str | Path) -> Iterator[Path]:
    """Stage a command's files and swap them into ``destination`` only on success.

    Yields
    ------
    Path
        The staging folder to write into.

    Raises
    ------
    InputError
        If ``destination`` may not be replaced (see the module's docstring).
    OSError
        When the disk is full, a file too large, a folder read-only…: the command line
        reports these with exit status 2; the earlier output is untouched either way.
    """
    destination = check_destination(destination)
    parent = destination.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        sweep_staging(parent)
        staging = _new_staging(parent, destination.name)
    except OSError as error:
        raise _problem(destination, _cannot_create(parent, error)) from None
    held = _lock(staging)
    try:
        yield staging
        # files saved into the destination while the command ran are not deleted either
        check_destination(destination, hashes=False)
        old = _swap(staging, destination)
    except OSError as error:  # name the file (a failed write() names none) as it will be
        _unlock(held)
        remove_tree(staging)
        raise _named(error, staging, destination) from error
    except BaseException:
        _unlock(held)
        remove_tree(staging)
        raise
    _unlock(held)
    if old is not None:
        remove_tree(old)


def _named(error: OSError, staging: Path, destination: Path) -> OSError:
    """``error`` naming the file it hit as the destination will hold it (not the hidden
    staging folder), or the destination when it names none."""
    name = str(error.filename) if error.filename else ""
    prefix = str(staging)
    if name.startswith(prefix):
        name = str(destination) + name[len(prefix) :]
    elif not name:
        name = str(destination)
    named = OSError(error.errno, error.strerror or str(error), name)
    return named


@contextlib.contextmanager
def naming(path: Path) -> Iterator[None]:
    """An OSError while writing ``path`` names it (a failed ``write()`` names no file)."""
    try:
        yield
    except OSError as error:
        if error.filename:
            raise
        raise OSError(error.errno, error.strerror or str(error), str(path)) from error


__all__ = [
    "MANIFEST",
    "OUTPUT_MARKER",
    "atomic_directory",
    "check_destination",
    "file_mode",
    "folder_mode",
    "foreign_files",
    "naming",
    "remove_tree",
    "sha256_of",
    "sweep_staging",
]
