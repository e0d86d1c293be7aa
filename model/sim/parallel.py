"""Running a simulation's chunks in parallel, on this machine's cores.

A run's draws are cut into chunks of whole random-stream blocks
(:data:`model.core.streams.BLOCK_DRAWS`); draw ``i`` is the same whichever process
simulates it, because every stream is keyed by its block. :func:`map_chunks` runs a
task on every chunk, in worker processes and in the calling process at once, and hands
back the results **in chunk order**, so that a caller that folds them in that order gets
the same bytes for any number of workers. Chunk boundaries depend only on the number of
draws and the chunk size, never on the number of workers.

This is the one way fiscalsim runs simulations in parallel: the batch run, ``compare``,
the sensitivity analyses, goal seeking, the timeline (and any new command) call it with
a task of their own, a picklable function ``task(first, n)`` (a module-level function,
bound with :func:`functools.partial`) that simulates draws ``[first, first + n)`` and
reduces them to what the caller keeps.

Workers are started with ``spawn`` (the same on Linux, macOS and Windows, and safe with
the threads numpy and tqdm start); while they import the package, the calling process
already works through the first chunks, so a short run is never slower with more
workers, and a run of one chunk starts no process at all. Workers ignore SIGINT: an
interrupt reaches the calling process, which stops them.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

import numpy as np

from model.core.errors import InputError, Problem
from model.core.streams import BLOCK_DRAWS
from model.policy.scenario import Scenario
from model.sim.engine import plan_items, simulate

T = TypeVar("T")

#: Most worker processes accepted by ``--workers``.
MAX_WORKERS = 256


def default_workers() -> int:
    """The number of cores this process may run on (``--workers``' default)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_workers(workers: object, *, source: str = "command line") -> int:
    """Validate a number of worker processes (1 … :data:`MAX_WORKERS`).

    Raises
    ------
    InputError
        Naming ``source`` and the field ``--workers``.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise InputError(
            [
                Problem(
                    source,
                    None,
                    "--workers",
                    f"must be a whole number from 1 to {MAX_WORKERS}, got {workers!r}",
                )
            ]
        )
    return workers


def chunk_ranges(draws: int, chunk_draws: int) -> list[tuple[int, int]]:
    """``(first draw, draws)`` of every chunk of ``chunk_draws`` (whole blocks) draws."""
    if chunk_draws < BLOCK_DRAWS or chunk_draws % BLOCK_DRAWS:
        raise ValueError(f"chunk_draws must be a multiple of {BLOCK_DRAWS}, got {chunk_draws}")
    return [(first, min(chunk_draws, draws - first)) for first in range(0, draws, chunk_draws)]


def _start_worker(warm_up: Callable[[], object] | None) -> None:
    """Worker initializer: SIGINT (and SIGHUP, the terminal closing) are the calling
    process's to handle, which stops the workers; then the caller's warm-up (imports,
    tables built once per process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if warm_up is not None:
        warm_up()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP noted, and delivered when the block ends.

    A submission may start a worker process, which reads its start-up data from a pipe
    the calling process writes; a signal handled in the middle of that write (as an
    exception) would leave the new process reading a truncated pickle and printing a
    traceback. The signals are not blocked instead, since a spawned process would inherit
    the blocked mask and could then not be stopped with SIGTERM.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    signums = [getattr(signal, name) for name in names if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, lambda s, _: caught.append(s)) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if caught:
            signal.raise_signal(caught[0])  # to the handler that was there


def _submit(pool: ProcessPoolExecutor, task: Callable[..., T], *args: object) -> Future[T]:
    """``pool.submit``, with signals deferred while it may start a worker process."""
    with _signals_deferred():
        return pool.submit(task, *args)


def _ready() -> None:
    """A task that returns once a worker has started (and warmed up)."""


def map_chunks(
    task: Callable[[int, int], T],
    draws: int,
    *,
    chunk_draws: int = BLOCK_DRAWS,
    workers: int = 1,
    warm_up: Callable[[], object] | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> Iterator[T]:
    """``task(first, n)`` for every chunk of ``draws``, yielded in chunk order.

    Parameters
    ----------
    task : callable
        Picklable; ``task(first, n)`` simulates draws ``[first, first + n)`` and returns
        what the caller folds (also picklable).
    draws : int
        Draws of the run.
    chunk_draws : int
        Draws per chunk, a multiple of :data:`~model.core.streams.BLOCK_DRAWS`.
    workers : int
        Processes working at once, the calling one included (1: no process is started).
    warm_up : callable, optional
        Picklable; run once by each worker process as it starts (say, building the
        count tables), before it takes a chunk.
    pool : ProcessPoolExecutor, optional
        Workers of :func:`worker_pool` to use (then ``workers`` and ``warm_up`` are the
        pool's, and it is not stopped at the end).

    Yields
    ------
    The results of the chunks, first chunk first. At most about ``2·workers`` results
    are held at a time, so memory stays bounded whatever the number of chunks.

    Raises
    ------
    InputError
        When a worker process died (killed, or out of memory), naming ``--workers``.
    """
    yield from map_ordered(
        task, chunk_ranges(draws, chunk_draws), workers=workers, warm_up=warm_up, pool=pool
    )


def map_ordered(
    task: Callable[..., T],
    arguments: Sequence[tuple],
    *,
    workers: int = 1,
    warm_up: Callable[[], object] | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> Iterator[T]:
    """``task(*args)`` for every ``args`` of ``arguments``, yielded in their order.

    The same scheduling as :func:`map_chunks` (which calls it with chunk ranges), for
    independent simulations of another kind: the scenarios of a sensitivity analysis,
    the readings of a clause, a plan's variants. ``task``, its arguments and its results
    must be picklable.

    Raises
    ------
    InputError
        When a worker process died (killed, or out of memory), naming ``--workers``.
    """
    if pool is not None:
        helpers = min(pool._max_workers, len(arguments) - 1)  # type: ignore[attr-defined]
        if helpers <= 0:
            yield from (task(*args) for args in arguments)
            return
        try:
            yield from _ordered(task, arguments, pool, helpers)
        except BrokenProcessPool:
            raise _died() from None
        return
    helpers = min(check_workers(workers, source="map_ordered") - 1, len(arguments) - 1)
    if helpers <= 0:
        for args in arguments:
            yield task(*args)
        return
    with worker_pool(helpers + 1, warm_up) as started:
        assert started is not None
        yield from _ordered(task, arguments, started, helpers)


@contextlib.contextmanager
def worker_pool(
    workers: int, warm_up: Callable[[], object] | None = None
) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes kept for several :func:`map_ordered` calls (``pool=``), so that a
    command that simulates many times (a goal seek's evaluations, a tornado's base and
    variants) starts them once. ``None`` for one worker (everything runs here).

    The calling process counts as one of the ``workers``: the pool has ``workers − 1``.
    On leaving (normally, on an error or an interrupt) the workers are stopped.

    Raises
    ------
    InputError
        When a worker process died (killed, or out of memory), naming ``--workers``.
    """
    helpers = check_workers(workers, source="worker_pool") - 1
    if helpers <= 0:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        helpers, mp_context=context, initializer=_start_worker, initargs=(warm_up,)
    )
    try:
        yield pool
    except BrokenProcessPool:
        raise _died() from None
    finally:
        _stop(pool)


def _died() -> InputError:
    """The error of a worker process that died."""
    return InputError(
        [
            Problem(
                "command line",
                None,
                "--workers",
                "a worker process died (out of memory?); run with fewer --workers or fewer --draws",
            )
        ]
    )


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut the pool down; workers still starting (the run ended before they could
    help) are stopped rather than waited for."""
    idle = [p for p in getattr(pool, "_processes", {}).values() if p.is_alive()]
    pool.shutdown(wait=False, cancel_futures=True)
    for process in idle:
        process.terminate()
    for process in idle:
        process.join()


def _city_chunk(scenario: Scenario, seed: int, totals: bool, first: int, draws: int) -> np.ndarray:
    city = simulate(scenario, draws, seed=seed, start=first).city
    return city.sum(axis=1) if totals else city


def city_costs(
    scenario: Scenario, draws: int, *, seed: int, workers: int = 1, totals: bool = False
) -> np.ndarray:
    """The city's cost by draw, row and year (yuan), as ``simulate(...).city``, simulated
    in chunks over ``workers`` processes; with ``totals``, summed over the rows
    (draws × years)."""
    task = functools.partial(_city_chunk, scenario, seed, totals)
    warm_up = functools.partial(plan_items, scenario, scenario.payment_years)
    parts = list(map_chunks(task, draws, workers=workers, warm_up=warm_up))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _ordered(
    task: Callable[..., T],
    ranges: Sequence[tuple],
    pool: ProcessPoolExecutor,
    helpers: int,
) -> Iterator[T]:
    """The scheduling of :func:`map_chunks`. Until a worker has started, the calling
    process simulates the chunks in order; then the pool is kept fed with the next
    chunks, and while the result due is not ready the calling process simulates it
    itself if no worker took it yet, else the next chunk nobody has taken (holding at
    most ``2·helpers + 2`` results ahead)."""
    started = [_submit(pool, _ready) for _ in range(helpers)]
    pending = deque(enumerate(ranges))
    running: dict[int, Future] = {}
    done: dict[int, T] = {}
    in_flight = 2 * helpers
    for due in range(len(ranges)):
        while due not in done:
            for index in [i for i, future in running.items() if future.done()]:
                done[index] = running.pop(index).result()
            if due in done:
                break
            if any(future.done() for future in started):
                while pending and len(running) < in_flight:
                    index, args = pending.popleft()
                    running[index] = _submit(pool, task, *args)
            if due not in running:  # no worker is up yet, or all are busy
                index, args = pending.popleft()
                done[index] = task(*args)
            elif running[due].cancel():  # no worker took it yet: do it here
                del running[due]
                done[due] = task(*ranges[due])
            elif pending and len(done) < in_flight + 2:
                index, args = pending.popleft()
                done[index] = task(*args)
            else:
                wait([running[due]])
        yield done.pop(due)
    for future in started:
        if future.done():
            future.result()  # a worker that failed to start is an error


__all__ = [
    "MAX_WORKERS",
    "check_workers",
    "chunk_ranges",
    "city_costs",
    "default_workers",
    "map_chunks",
    "map_ordered",
    "worker_pool",
]
