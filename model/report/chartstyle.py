"""The look every chart of :mod:`model.report.plots` shares: bilingual text, display names,
number formats on the axes, the unit on every money axis, saving, and showing a chart
in a notebook.

Text is bilingual where a CJK font exists (:mod:`model.report.fonts`): a title is Chinese
over English, an axis label ``中文 / English``; without a CJK font, English alone. Ids
(``provincial_lab_funding``, ``cap_cut_20_max``) are never shown where a name exists:
:func:`display_names` maps them to their (Chinese, English) names.
"""

from __future__ import annotations

import functools
import io
import itertools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model.core.paths import CATALOG_PATH
from model.core.units import Unit
from model.policy.catalog import load_catalog
from model.report.fonts import configure_cjk_font, label
from model.report.labels import FACTOR_KINDS

if TYPE_CHECKING:
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

    from model.policy.scenario import Scenario

#: Names of things, by id: (Chinese, English).
Names = Mapping[str, tuple[str, str]]
#: Resolution of saved charts, dots per inch.
DPI = 120


def new_figure(width: float, height: float) -> Figure:
    """A constrained-layout figure (no pyplot), with the CJK font configured."""
    from matplotlib.figure import Figure

    configure_cjk_font()
    return Figure(figsize=(width, height), layout="constrained")


def title(zh: str, en: str) -> str:
    """A title: Chinese over English (English alone without a CJK font)."""
    return label(zh, en, sep="\n")


def heading(target: Any, zh: str, en: str, fontsize: str = "large") -> None:
    """A bold bilingual title of an axes, or of a figure (its ``suptitle``)."""
    setter = target.suptitle if hasattr(target, "suptitle") else target.set_title
    setter(title(zh, en), fontweight="bold", fontsize=fontsize)


def text(zh: str, en: str) -> str:
    """An axis label or legend entry: ``中文 / English`` (English alone without a CJK font;
    once when both are the same, as ``P95``)."""
    return zh if zh == en else label(zh, en)


def name(names: tuple[str, str]) -> str:
    """A display name in one language: Chinese with a CJK font, else English."""
    zh, en = names
    return zh if configure_cjk_font() is not None else en


def money_label(unit: Unit, zh: str = "市级支出", en: str = "cost to the city") -> str:
    """A money axis' label with its unit, Chinese over English: ``市级支出（万元）`` over
    ``cost to the city, 10,000 yuan (wan)``."""
    return label(f"{zh}（{unit.label_zh}）", f"{en}, {unit.label_en}", sep="\n")


def thousands(axis: Axis, decimals: int = 0) -> None:
    """Thousands separators (and ``decimals``) on an axis' tick labels."""
    from matplotlib.ticker import StrMethodFormatter

    axis.set_major_formatter(StrMethodFormatter(f"{{x:,.{decimals}f}}"))


def money_axis(axis: Axis, unit: Unit) -> None:
    """Tick labels of money in ``unit``: thousands separators, and as many decimals as
    the tick step needs (2.5 亿元 steps show one)."""
    from matplotlib.ticker import FuncFormatter

    def fmt(value: float, _position: Any) -> str:
        ticks = sorted(axis.get_majorticklocs())
        step = min((b - a for a, b in itertools.pairwise(ticks)), default=1.0)
        decimals = 0
        while decimals < 4 and abs(round(step, decimals) - step) > 1e-9 * max(1.0, step):
            decimals += 1
        return f"{value:,.{decimals}f}"

    axis.set_major_formatter(FuncFormatter(fmt))


def percent_axis(axis: Axis, decimals: int = 0) -> None:
    """Tick labels of shares (0–1) as percentages."""
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(1.0, decimals=decimals))


@functools.cache
def _catalog_names() -> dict[str, tuple[str, str]]:
    return {item.id: (item.name_zh, item.name_en) for item in load_catalog(CATALOG_PATH).items}


def display_names(scenarios: Iterable[Scenario] = ()) -> dict[str, tuple[str, str]]:
    """(Chinese, English) names by id: the shipped catalog's line items, and the given
    scenarios' own titles, line items and capital programmes."""
    names = dict(_catalog_names())
    for scenario in scenarios:
        names.update({item.id: (item.name_zh, item.name_en) for item in scenario.catalog.items})
        for spec in scenario.programmes:
            line = names.get(spec.id)
            zh = getattr(spec, "name_zh", None) or (line[0] if line else spec.id)
            names.setdefault(spec.id, (zh, line[1] if line else spec.id.replace("_", " ")))
        names[scenario.name] = (scenario.title_zh, scenario.title_en)
    return names


def names_for(key: str, names: Names | None) -> tuple[str, str]:
    """The (Chinese, English) names of ``key``: from ``names``, the catalog, or the key."""
    found = (names or {}).get(key) or _catalog_names().get(key)
    return found or (key, key.replace("_", " "))


def factor_labels(rows: Iterable[Any], names: Names | None, ranges: bool = True) -> list[str]:
    """Labels of sensitivity factors (rows with ``item``, ``kind``, ``low``, ``high``):
    the item's name, the kind of factor and, with ``ranges``, its multipliers."""
    labels = []
    for row in rows:
        kind = name(FACTOR_KINDS.get(row.kind, (row.kind, row.kind)))
        levels = getattr(row, "low_level", None)
        if not ranges:
            span = ""
        elif isinstance(levels, str):  # the tornado's ends, as it names them
            span = f" {levels}–{row.high_level}"
        else:
            span = f" ×{row.low:.2f}–{row.high:.2f}"
        labels.append(f"{short(name(names_for(row.item, names)), 30)} · {kind}{span}")
    return labels


def short(text_: str, limit: int = 46) -> str:
    """``text_`` cut to ``limit`` characters with an ellipsis."""
    return text_ if len(text_) <= limit else text_[: limit - 1].rstrip() + "…"


def png_bytes(figure: Figure, dpi: int = DPI) -> bytes:
    """A chart as PNG bytes, without run-dependent metadata."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def save_figure(figure: Figure, path: str | Path) -> None:
    """Save a PNG without run-dependent metadata (so reruns are byte-identical)."""
    figure.savefig(path, dpi=DPI, metadata={"Software": None})


class Chart:
    """A chart as a notebook shows it: one PNG image (``_repr_png_``), and its title as
    the plain-text form. Figures are made without pyplot, so no backend displays them;
    ``show(figure)`` as a cell's last line shows each chart exactly once."""

    def __init__(self, figure: Figure):
        self.figure = figure

    def _repr_png_(self) -> bytes:
        return png_bytes(self.figure)

    def __repr__(self) -> str:
        heading = self.figure.get_suptitle() or next(
            (axes.get_title() for axes in self.figure.axes if axes.get_title()), "chart"
        )
        return f"chart: {heading}".replace("\n", " · ")


def show(figure: Figure) -> Chart:
    """Show a chart in a notebook, once, as a PNG image (see :class:`Chart`)."""
    return Chart(figure)


__all__ = [
    "DPI",
    "Chart",
    "Names",
    "display_names",
    "factor_labels",
    "heading",
    "money_axis",
    "money_label",
    "name",
    "names_for",
    "new_figure",
    "percent_axis",
    "png_bytes",
    "save_figure",
    "short",
    "show",
    "text",
    "thousands",
    "title",
]
