"""The adversarial suite's hypothesis settings: bounded and reproducible.

The fuzzers run a fixed number of examples with a deadline, derandomized so that CI
sees the same inputs every time (a failure replays). Set ``FISCALSIM_FUZZ_EXAMPLES``
to fuzz longer and with fresh randomness on a workstation, e.g.
``FISCALSIM_FUZZ_EXAMPLES=2000 pytest tests/adversarial``.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import sys
from collections.abc import Iterator

from hypothesis import HealthCheck, settings

#: Examples per fuzzer in CI (about a second each at most).
CI_EXAMPLES = 25

_deep = int(os.environ.get("FISCALSIM_FUZZ_EXAMPLES", "0"))
settings.register_profile(
    "adversarial",
    max_examples=_deep or CI_EXAMPLES,
    deadline=10_000,  # ms: any input is answered within the ten seconds
    derandomize=not _deep,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)

#: The profile's settings, for ``@ADVERSARIAL`` on each fuzzer.
ADVERSARIAL = settings.get_profile("adversarial")

#: Seconds after which a hung example kills the test process: hypothesis's deadline only
#: judges the examples that finish, so without it a hang would stall CI, not fail it.
HARD_LIMIT_S = 30


@contextlib.contextmanager
def hard_limit(seconds: float = HARD_LIMIT_S) -> Iterator[None]:
    """Kill this process, printing every thread's stack, if the block runs longer than
    ``seconds`` (``faulthandler``'s watchdog thread: it fires even while the main thread
    is stuck in C code, where no exception could be raised). The stacks go to the
    process's own standard error (``sys.__stderr__``: ``capsys`` replaces ``sys.stderr``
    by an object with no file descriptor); run pytest with ``-s`` to see them."""
    faulthandler.dump_traceback_later(seconds, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
