"""Fuzzing the scenario schema with hypothesis.

- Random **valid** variants of the baseline (any value in the documented ranges of
  ``docs/scenario-format.md``) are accepted, and simulate to finite, non-negative costs.
- Random **mutations** of the baseline document (a value replaced by junk of any type or
  size, a key removed or added, bytes of the YAML text garbled) make ``fiscalsim validate``
  exit 0 or 2, never anything else, within the deadline; the accepted ones simulate, and
  a few run end to end through ``fiscalsim run``.

Settings: ``helpers.fuzzing.ADVERSARIAL`` (bounded and derandomized in CI): a deadline of
10 s an example, and ``hard_limit``, which kills an example that hangs.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from helpers.fuzzing import ADVERSARIAL, HARD_LIMIT_S, hard_limit
from hypothesis import event, given, settings
from hypothesis import strategies as st

from model import apply_variant, simulate, summarize
from model.cli.main import main
from model.core.paths import CATALOG_PATH, SCENARIOS_DIR
from model.core.schema import MAX_COUNT, MAX_YUAN
from model.policy.scenario import load_scenario

BASELINE_DOC = yaml.safe_load((SCENARIOS_DIR / "baseline.yaml").read_text(encoding="utf-8"))
BASIS = "Fuzzer: a value inside the documented range."


# --------------------------------------------------------------------------- valid variants
def _capped_items(baseline) -> list[str]:
    """Engine items whose awards are shares of a cap (a new cap keeps them valid), and
    whose payers are not given in ``funding`` (where a ``city_share`` would be a second,
    refused statement of the same shares)."""
    return [
        item_id
        for item_id, item in baseline.items.items()
        if item.line.cap_yuan is not None
        and item.line.payment.value not in ("formula",)
        and item_id not in baseline.spec.funding
    ]


def _uptake() -> st.SearchStrategy[dict]:
    mean = st.floats(0, MAX_COUNT)
    count = st.integers(0, MAX_COUNT)
    shape = st.floats(0.01, 1e6)
    return st.one_of(
        st.builds(lambda m: {"dist": "poisson", "mean": m, "basis": BASIS}, mean),
        st.builds(lambda v: {"dist": "fixed", "value": v, "basis": BASIS}, count),
        st.builds(
            lambda n, p: {"dist": "binomial", "pool": n, "p": p, "basis": BASIS},
            count,
            st.floats(0, 1),
        ),
        st.builds(
            lambda m, k: {"dist": "negative_binomial", "mean": m, "dispersion": k, "basis": BASIS},
            mean,
            shape,
        ),
    )


def _assumed() -> st.SearchStrategy[dict]:
    return st.builds(lambda v: {"value": v, "basis": BASIS}, st.floats(0, 1))


@st.composite
def valid_overlays(draw, items: list[str]) -> dict[str, Any]:
    """A variant of the baseline with values anywhere in their documented ranges."""
    overlay: dict[str, Any] = {}
    if draw(st.booleans()):
        overlay["cap_scale"] = draw(st.floats(1e-3, 10))
    chosen = draw(st.lists(st.sampled_from(items), min_size=1, max_size=4, unique=True))
    overlay["items"] = {}
    for item_id in chosen:
        fields: dict[str, Any] = {}
        if draw(st.booleans()):
            fields["uptake"] = draw(_uptake())
        if draw(st.booleans()):
            fields["takeup"] = draw(_assumed())
        if draw(st.booleans()):
            fields["city_share"] = draw(_assumed())
        if draw(st.booleans()):
            fields["cap_yuan"] = draw(st.floats(0, MAX_YUAN))
        if draw(st.booleans()):
            fields["ceiling_yuan"] = draw(st.floats(0, MAX_YUAN))
        overlay["items"][item_id] = fields
    return overlay


@pytest.fixture(scope="module")
def capped_items(baseline) -> list[str]:
    return _capped_items(baseline)


# no deadline: a count at the edge of its range (mean 1,000,000, dispersion 0.01) takes
# about 0.4 s per item and year to tabulate, several seconds on a busy machine; what is
# checked here is that it is accepted and gives finite costs
@settings(ADVERSARIAL, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_valid_variants_are_accepted_and_simulate_to_finite_costs(
    baseline, capped_items, data, seed
):
    overlay = data.draw(valid_overlays(capped_items), label="overlay")
    with hard_limit(2 * HARD_LIMIT_S):
        variant = apply_variant(baseline, overlay)  # never raises for values in range
        results = simulate(variant, 32, seed=seed)
    assert np.isfinite(results.city).all() and (results.city >= 0).all()
    by_year = summarize(results, variant).tables["summary_by_year"]
    money = by_year[["mean_yuan", "p95_yuan"]].to_numpy()
    assert np.isfinite(money).all() and (money >= 0).all()


# --------------------------------------------------------------------------- mutations
HOSTILE_TEXT = [
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "/dev/zero",
    "\u202e\u0000",
    "基准" * 50,
    "",
]

JUNK = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**40), 10**40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0, -1, 1e308, -1e308, 1e-308, 2**63, MAX_COUNT + 1, MAX_YUAN * 10]),
        st.text(max_size=30),
        st.sampled_from(HOSTILE_TEXT),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value of the document."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


PATHS = [path for path in _paths(BASELINE_DOC) if path]


@st.composite
def mutated_documents(draw) -> dict:
    """The baseline with one to three values replaced by junk, removed, or given a
    neighbour with an unknown name."""
    document = copy.deepcopy(BASELINE_DOC)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = document
        try:
            for part in path[:-1]:
                parent = parent[part]
            present = path[-1] in parent if isinstance(parent, dict) else path[-1] < len(parent)
        except (KeyError, IndexError, TypeError):
            continue
        if not present:
            continue
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(JUNK)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(JUNK)
    document["catalog"] = str(CATALOG_PATH)  # the file is written elsewhere
    return document


def _write(document: Any, folder: Path) -> Path:
    path = folder / "mutated.yaml"
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _validate(path: Path) -> int:
    with hard_limit():
        status = main(["validate", str(path)])
    assert status in (0, 2)
    return status


@ADVERSARIAL
@given(document=mutated_documents())
def test_a_mutated_scenario_is_accepted_or_refused_never_a_crash(
    document, tmp_path_factory, capsys
):
    path = _write(document, tmp_path_factory.mktemp("mutated"))
    status = _validate(path)
    event(f"exit {status}")
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if status == 0:  # accepted: it must also simulate
        results = simulate(load_scenario(path), 16, seed=1)
        assert not np.isnan(results.city).any()
    else:
        assert "problem" in err


def _garble(text: bytes, edits: list[tuple[int, bytes]], cut: int | None) -> bytes:
    data = bytearray(text)
    for position, insert in edits:
        where = position % (len(data) + 1)
        data[where:where] = insert
    return bytes(data[:cut] if cut is not None else data)


#: Fragments that break YAML in interesting ways: control and non-UTF-8 bytes, aliases,
#: merge keys, structure, an octal, an overflowing float, a Python tag, a BOM.
BYTES = st.sampled_from(
    [
        b"\x00",
        b"\xff",
        b"\xbb\xf9",
        b"&a [*a]",
        b"*x",
        b"<<: ",
        b": ",
        b"\n- ",
        b"{",
        b"[",
        b"'",
        b"\t",
        b"010",
        b"1e999",
        b"!!python/object/apply:os.system ['true']",
        b"\xef\xbb\xbf",
    ]
)


@ADVERSARIAL
@given(
    edits=st.lists(st.tuples(st.integers(0, 40_000), BYTES), min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.integers(0, 40_000)),
)
def test_garbled_yaml_bytes_are_accepted_or_refused(edits, cut, tmp_path_factory, capsys):
    text = (SCENARIOS_DIR / "baseline.yaml").read_bytes()
    text = text.replace(b"catalog: catalog.yaml", f"catalog: {CATALOG_PATH}".encode())
    path = tmp_path_factory.mktemp("garbled") / "garbled.yaml"
    path.write_bytes(_garble(text, edits, cut))
    _validate(path)
    assert "Traceback" not in capsys.readouterr().err


@settings(ADVERSARIAL, max_examples=min(ADVERSARIAL.max_examples, 5))
@given(document=mutated_documents())
def test_a_mutated_scenario_runs_end_to_end_with_exit_0_or_2(document, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("run")
    path = _write(document, folder)
    out = folder / "out"
    with hard_limit():
        status = main(["run", str(path), "--draws", "16", "--out", str(out), "--no-draws-file"])
    event(f"exit {status}")
    err = capsys.readouterr().err
    assert status in (0, 2) and "Traceback" not in err
    if status == 0:
        assert (out / "manifest.json").is_file()
    else:
        assert not out.exists()


# --------------------------------------------------------------------------- the time limit
def test_a_hung_example_is_stopped_by_the_hard_limit():
    # hypothesis's deadline judges only examples that finish; a hang is killed instead
    code = (
        "import sys, time\n"
        f"sys.path.insert(0, {str(Path(__file__).parents[1])!r})\n"
        "from helpers.fuzzing import hard_limit\n"
        "with hard_limit(1):\n"
        "    time.sleep(60)\n"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert time.perf_counter() - start < 30
    assert done.returncode != 0 and "Timeout (0:00:01)" in done.stderr


def test_the_fuzzers_have_a_deadline_within_the_issues_bound():
    assert ADVERSARIAL.deadline is not None
    assert ADVERSARIAL.deadline.total_seconds() <= 10
    assert HARD_LIMIT_S <= 30
