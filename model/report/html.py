"""The HTML building blocks of the report (:mod:`model.report.report`): escaping, bilingual
labels, number formatting, tables, figures as ``data:`` URIs, sections and the inline CSS.

:func:`html_table` renders any DataFrame with bilingual headers and money in the
presentation unit; :func:`png_data_uri` embeds a matplotlib figure, so that the report
needs no other file.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from model.core.units import Unit
from model.report.chartstyle import png_bytes
from model.report.labels import COLUMNS, PAYMENT_KINDS, TITLES, column_names

#: Columns dropped when they are zero throughout (and any column that is NaN throughout).
OPTIONAL_COLUMNS = {"unfunded_mean", "committed_mean", "analytic_delta"}

_YEAR_MEAN = re.compile(r"^mean_\d{4}$")


# ------------------------------------------------------------------ formatting
def esc(text: Any) -> str:
    """HTML-escaped ``str(text)``."""
    return html.escape(str(text))


def html_bilingual(zh: str, en: str, tag: str = "span") -> str:
    """The Chinese and English text side by side, each in its own ``tag`` with ``lang``."""
    return (
        f'<{tag} class="zh" lang="zh-CN">{esc(zh)}</{tag}> <{tag} class="en" lang="en">'
        f"{esc(en)}</{tag}>"
    )


def _stem(column: str, unit: Unit) -> tuple[str, bool]:
    """A column's name without its unit suffix, and whether it holds money."""
    suffix = f"_{unit.value}"
    return (column[: -len(suffix)], True) if column.endswith(suffix) else (column, False)


def format_money(value: float, unit: Unit) -> str:
    """An amount already in ``unit``, with thousands separators and the unit's decimals."""
    return f"{value:,.{unit.decimals}f}"


def _format(column: str, value: Any, unit: Unit) -> tuple[str, bool]:
    """A cell's text and whether it is a number (right-aligned)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "", True
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value), False
    stem, money = _stem(column, unit)
    if money:
        return format_money(value, unit), True
    if re.sub(r"_\d{4}$", "", stem).endswith(("revenue_share", "expenditure_share")):
        # shares of the city's budget aggregates are small: to a hundredth of a percent
        return f"{value:.2%}", True
    if (
        stem.startswith(("p_", "loss_ratio_"))
        or stem in ("tolerance", "share")
        or stem.endswith(("_share", "_rate"))
    ):
        return f"{value:.1%}", True
    if stem in ("items", "article", "rank", "draws") or stem.endswith("year"):
        return f"{value:.0f}", True
    if stem.startswith("recipients_"):
        return f"{value:,.1f}", True
    if stem == "z":
        return f"{value:+.2f}", True
    if stem == "variance_reduction":
        return "∞" if math.isinf(value) else f"{value:,.1f}", True
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}", True


def select_columns(table: pd.DataFrame, columns: Sequence[str], unit: Unit) -> pd.DataFrame:
    """The listed columns that exist (``mean_YEARS`` expanded), in the given order, less
    columns that are empty throughout."""
    chosen: list[str] = []
    for wanted in columns:
        for column in map(str, table.columns):
            stem, _ = _stem(column, unit)
            if (stem == wanted or (wanted == "mean_YEARS" and _YEAR_MEAN.match(stem))) and (
                column not in chosen
            ):
                chosen.append(column)
    out = table[chosen]
    keep = []
    for column in chosen:
        values = out[column]
        if values.isna().all():
            continue
        if _stem(column, unit)[0] in OPTIONAL_COLUMNS and (values.fillna(0) == 0).all():
            continue
        keep.append(column)
    return out[keep]


def _cell(column: str, value: Any, unit: Unit) -> str:
    """A ``<td>`` (contents escaped)."""
    if column == "payment" and isinstance(value, str) and value in PAYMENT_KINDS:
        return (
            f'<td class="text" data-col="payment">'
            f"{html_bilingual(PAYMENT_KINDS[value], value.replace('_', ' '))}</td>"
        )
    text, number = _format(column, value, unit)
    css = "num" if number else "text"
    return f'<td class="{css}" data-col="{esc(column)}">{esc(text)}</td>'


def _name_cell(name_zh: Any, name_en: Any, item_id: str | None) -> str:
    """A line item's names (and id) in one cell."""
    ident = f'<span class="id">{esc(item_id)}</span>' if item_id else ""
    return (
        f'<td class="name" data-col="name_zh"><span class="zh" lang="zh-CN">'
        f'{esc(name_zh)}</span> <span class="en" lang="en">{esc(name_en)}</span>'
        f"{ident}</td>"
    )


def html_table(
    table: pd.DataFrame,
    unit: Unit,
    *,
    table_id: str | None = None,
    headers: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """A DataFrame as an HTML table: bilingual headers, numbers right-aligned with
    thousands separators, money in ``unit`` (named in the caption); the index, when
    named, as row headers.

    A line item's ``name_zh`` and ``name_en`` (and its id, when the index is ``item``)
    share one cell. Every other cell carries ``data-col`` (the column's name), so that
    a reader or a test can find a figure without depending on the layout. ``headers``
    overrides the (Chinese, English) header of columns by name.
    """
    headers = headers or {}
    columns = [str(c) for c in table.columns]
    merge_names = {"name_zh", "name_en"} <= set(columns)
    names = list(table.index.names)
    ids_in_names = merge_names and names == ["item"]
    show_index = any(name is not None for name in names) and not ids_in_names
    head = []
    if show_index:
        head += [
            f'<th scope="col">{html_bilingual(*column_names(name or "", unit))}</th>'
            for name in names
        ]
    for column in columns:
        if merge_names and column == "name_en":
            continue
        if merge_names and column == "name_zh":
            names_of = COLUMNS["item" if ids_in_names else "name"]
        else:
            names_of = headers.get(column) or column_names(column, unit)
        head.append(f'<th scope="col">{html_bilingual(*names_of)}</th>')
    rows = []
    for key, values in zip(table.index, table.itertuples(index=False, name=None), strict=True):
        keys = key if isinstance(key, tuple) else (key,)
        total = any(str(k) == "total" or "–" in str(k) for k in keys)
        cells = []
        if show_index:
            cells += [f'<th scope="row">{esc("" if pd.isna(k) else k)}</th>' for k in keys]
        row = dict(zip(columns, values, strict=True))
        for column in columns:
            if merge_names and column == "name_en":
                continue
            if merge_names and column == "name_zh":
                item_id = str(key) if ids_in_names and not total else None
                cells.append(_name_cell(row["name_zh"], row["name_en"], item_id))
            else:
                cells.append(_cell(column, row[column], unit))
        row_class = ' class="total"' if total else ""
        rows.append(f"<tr{row_class}>{''.join(cells)}</tr>")
    attribute = f' id="{esc(table_id)}"' if table_id else ""
    money = any(_stem(column, unit)[1] for column in columns)
    unit_label = html_bilingual(f"金额单位：{unit.label_zh}", f"money in {unit.label_en}")
    caption = f"<caption>{unit_label}</caption>" if money else ""
    return (
        f'<div class="scroll"><table{attribute}>{caption}<thead><tr>{"".join(head)}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


# ------------------------------------------------------------------ charts
def png_data_uri(figure) -> str:
    """A matplotlib figure as a ``data:image/png;base64,…`` URI."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(figure, dpi=110)).decode("ascii")


def html_figure(uri: str, zh: str, en: str) -> str:
    """A chart (a ``data:`` URI) with its bilingual caption."""
    return (
        f'<figure><img src="{uri}" alt="{esc(en)}"><figcaption>{html_bilingual(zh, en)}'
        f"</figcaption></figure>"
    )


# ------------------------------------------------------------------ sections
def html_section(key: str, body: str, titles: tuple[str, str] | None = None, level: int = 2) -> str:
    """A titled ``<section>``, its titles from ``titles`` or the known table and section titles."""
    zh, en = titles or TITLES[key]
    return f'<section id="{esc(key)}"><h{level}>{html_bilingual(zh, en)}</h{level}>{body}</section>'


def html_note(zh: str, en: str) -> str:
    """A bilingual note paragraph."""
    return f'<p class="note">{html_bilingual(zh, en)}</p>'


def html_tile(zh: str, en: str, value: str, detail_zh: str = "", detail_en: str = "") -> str:
    """A headline figure: bilingual label, value and optional detail line."""
    detail = (
        f'<div class="detail">{html_bilingual(detail_zh, detail_en)}</div>'
        if (detail_zh or detail_en)
        else ""
    )
    return (
        f'<div class="tile"><div class="label">{html_bilingual(zh, en)}</div>'
        f'<div class="value">{esc(value)}</div>{detail}</div>'
    )


# ------------------------------------------------------------------ style
CSS = """
:root{--ink:#1d2733;--muted:#5b6776;--line:#d9dee5;--band:#f4f6f9;--accent:#1f4e79}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:14px/1.5 "fiscalsim CJK","Noto Sans CJK SC",
 "Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,
 -apple-system,"Segoe UI",sans-serif}
header{background:var(--accent);color:#fff;padding:28px 40px 22px}
header h1{margin:0 0 4px;font-size:26px;font-weight:600}
header h1 .en{display:block;font-size:18px;font-weight:400;opacity:.9}
header p{margin:4px 0 0;opacity:.85}
header p.description{margin-top:10px;font-size:13px;max-width:980px;opacity:.8}
main{max-width:1280px;margin:0 auto;padding:8px 40px 48px}
nav{margin:16px 0 8px;padding:10px 14px;background:var(--band);border-radius:6px}
nav a{display:inline-block;margin:2px 14px 2px 0;color:var(--accent);text-decoration:none}
nav a:hover{text-decoration:underline}
h2{margin:36px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--accent);font-size:20px}
h3{margin:24px 0 8px;font-size:16px}
h2 .en,h3 .en{color:var(--muted);font-weight:400}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:14px}
.tile{border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:6px;
 padding:12px 14px;background:#fff}
.tile .label{font-size:13px;color:var(--muted)}
.tile .label .en,.tile .detail .en{display:block}
.tile .value{font-size:24px;font-weight:600;margin:4px 0;font-variant-numeric:tabular-nums}
.tile .detail{font-size:12px;color:var(--muted)}
.note{color:var(--muted);font-size:12.5px;margin:6px 0}
.note .en{display:block}
.scroll{overflow-x:auto;margin:6px 0 4px;border:1px solid var(--line);border-radius:4px}
table{border-collapse:collapse;font-size:12.5px;width:100%}
th,td{padding:4px 7px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:var(--band);text-align:left;font-weight:600;vertical-align:bottom}
thead th .en{display:block;font-weight:400;color:var(--muted);font-size:11.5px}
tbody th{text-align:left;font-weight:500;white-space:nowrap}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafbfc}
tr.total td,tr.total th{font-weight:700;border-top:2px solid var(--ink)}
.mono,td .id{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
.mono{font-size:12px}
td.name{min-width:200px;max-width:260px}
td.name .zh{display:block;font-weight:500}
td.name .en{display:block;color:var(--muted);font-size:11.5px}
td.name .id{display:block;color:#8a96a3;font-size:10.5px;word-break:break-all}
td .en{color:var(--muted)}
td[data-col=payment]{white-space:nowrap}
td[data-col=payment] .en{display:block;font-size:11px}
caption{caption-side:top;text-align:left;padding:4px 8px;font-size:11.5px;color:var(--muted);
 background:var(--band)}
td.mono{white-space:pre-wrap;word-break:break-all}
table.assumptions td.basis{min-width:340px}
table.assumptions td.value{min-width:170px}
table.assumptions tr.group td{border-top:1px solid #aab4c0}
table.manifest{width:auto}
table.manifest th{padding-right:24px}
table.manifest th .en{display:block;color:var(--muted);font-weight:400;font-size:11.5px}
figure{margin:14px 0;text-align:center}
figure img{max-width:100%;height:auto;border:1px solid var(--line);border-radius:4px}
figcaption{font-size:12.5px;color:var(--muted)}
footer{margin-top:40px;color:var(--muted);font-size:12px}
@media print{header{background:none;color:var(--ink)}nav{display:none}.scroll{overflow:visible}
 section{break-inside:avoid-page}}
"""


__all__ = [
    "CSS",
    "OPTIONAL_COLUMNS",
    "esc",
    "format_money",
    "html_bilingual",
    "html_figure",
    "html_note",
    "html_section",
    "html_table",
    "html_tile",
    "png_data_uri",
    "select_columns",
]
