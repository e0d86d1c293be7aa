"""Every notebook runs top to bottom (with a few hundred draws), is committed clean, takes
its parameters from one tagged cell at the top, and shows each chart exactly once, as a
PNG image (never a ``<Figure size …>`` placeholder, never twice)."""

from __future__ import annotations

import ast
import hashlib
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
#: The names the parameter cell sets (papermill injects new values after it).
PARAMETERS = {"SCENARIO", "VARIANTS", "DRAWS", "SEED", "UNIT", "BUDGET"}
#: What matplotlib prints for a figure no display path knows how to show.
PLACEHOLDERS = ("<Figure size", "matplotlib.figure.Figure object", "<Figure ")


def _code_cells(book):
    return [cell for cell in book.cells if cell.cell_type == "code"]


def test_the_notebooks_are_there():
    names = [path.name for path in NOTEBOOKS]
    assert {"01_baseline.ipynb", "03_funds.ipynb"} <= set(names)
    assert all(name[:2].isdigit() for name in names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    for cell in _code_cells(book):
        assert not cell.outputs and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_parameter_cell_at_the_top_holds_every_choice(path):
    cells = _code_cells(nbformat.read(path, as_version=4))
    first = cells[0]
    assert "parameters" in first.metadata.get("tags", []), "papermill's tag"
    tree = ast.parse(first.source)
    assigned = {target.id for node in tree.body for target in node.targets}
    assert assigned == PARAMETERS
    assert all(isinstance(node, ast.Assign) for node in tree.body)  # values only
    values = {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body}
    later = "\n".join(cell.source for cell in cells[1:])
    # nothing the parameters set is spelled again below them
    assert f'"{values["SCENARIO"]}"' not in later and f"'{values['SCENARIO']}'" not in later
    for variant in values["VARIANTS"]:
        assert f'"{variant}"' not in later, variant
    assert sum("parameters" in c.metadata.get("tags", []) for c in cells) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_explanations_in_chinese_and_english_between_steps(path):
    book = nbformat.read(path, as_version=4)
    notes = [cell.source for cell in book.cells if cell.cell_type == "markdown"]
    assert len(notes) >= 4
    assert all(any("\u4e00" <= c <= "\u9fff" for c in note) for note in notes), path.name
    assert all(any(c.isascii() and c.isalpha() for c in note) for note in notes), path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_showing_each_chart_once(path, monkeypatch):
    monkeypatch.setenv("FISCALSIM_NOTEBOOK_DRAWS", "300")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    outputs = [output for cell in _code_cells(book) for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    texts = [
        str(output.get("data", {}).get("text/plain", "")) + str(output.get("text", ""))
        for output in outputs
    ]
    assert not [t for t in texts if any(p in t for p in PLACEHOLDERS)], "a chart shown as text"
    images = [o.data["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    digests = [hashlib.sha256(image.encode()).hexdigest() for image in images]
    assert len(set(digests)) == len(digests), "a chart shown twice"
    charts = sum(cell.source.count("show(") for cell in _code_cells(book))
    assert charts >= 1 and len(images) == charts  # one PNG per chart
    for cell in _code_cells(book):  # and each in the cell that draws it
        shown = sum("image/png" in o.get("data", {}) for o in cell.outputs)
        assert shown == cell.source.count("show("), cell.source
    assert os.environ["FISCALSIM_NOTEBOOK_DRAWS"] == "300"
