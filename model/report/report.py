"""A self-contained HTML report of a run, in Chinese and English.

The report is one file that opens in any browser, offline and without a server: the
CSS is inline, the charts are PNG images embedded as ``data:`` URIs, and nothing is
fetched from anywhere. The Chinese text is set in a subset of this machine's CJK font
embedded in the page (only the glyphs it uses), so the report reads the same on a
machine without Chinese fonts.

It holds the headline figures, the budget tables, the fan chart, the funds against their
tolerance rates, the commitments beyond the horizon, every assumption with its basis, the
run manifest and, when given, a comparison of policy variants.

:func:`attach_report` adds the report to a finished :func:`model.report.batch.run_batch`
(``fiscalsim run --report`` and ``fiscalsim report SCENARIO``).

The HTML building blocks (escaping, labels, tables, CSS) are in :mod:`model.report.html`.
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from model.analysis.compare import Comparison
from model.analysis.readings import ReadingsResult, uncertainty_table
from model.analysis.tables import Summary
from model.core.units import Unit
from model.policy.scenario import Scenario
from model.report.budget_sections import budget_report_sections
from model.report.chartstyle import display_names
from model.report.folders import file_mode
from model.report.fonts import configure_cjk_font, font_face_css
from model.report.html import (
    CSS,
    esc,
    html_bilingual,
    html_figure,
    html_section,
    png_data_uri,
)
from model.report.labels import TITLES
from model.report.output import MANIFEST, sha256_of
from model.report.plots import (
    delta_chart,
    distribution_chart,
    fan_chart,
    fan_overlay_chart,
    loss_ratio_charts,
)
from model.report.readings_report import readings_section
from model.report.sections import (
    assumptions_section,
    budget_sections,
    commitments_section,
    comparison_section,
    funds_section,
    headline,
    manifest_section,
)

if TYPE_CHECKING:
    from model.analysis.compare import Comparison
    from model.report.batch import RunOutput

#: File name of the report inside a run's output folder.
REPORT_FILE = "report.html"
#: The policy the model costs.
POLICY_ZH = "关于科技创新推动新质生产力发展的实施意见"
POLICY_EN = "Changchun's draft opinions on S&T innovation driving new quality productive forces"


# ------------------------------------------------------------------ charts
def _charts(
    summary: Summary, scenario: Scenario, unit: Unit, comparison: Comparison | None
) -> dict[str, str]:
    """Every chart of the report as a data URI, drawn with a CJK font when one exists
    (matplotlib's settings are restored afterwards)."""
    import matplotlib  # the report draws; importing this module does not

    with matplotlib.rc_context():
        configure_cjk_font()
        names = display_names([scenario])
        if comparison is not None:
            names.update(comparison.titles)
        charts = {
            "fan_chart": png_data_uri(fan_chart(summary, unit, names)),
            "distribution": png_data_uri(distribution_chart(summary, unit, names)),
        }
        funds = loss_ratio_charts(scenario, summary.loss_ratios, names)
        for name, figure in funds.items():
            charts[name] = png_data_uri(figure)
        if comparison is not None:
            charts["compare_delta"] = png_data_uri(delta_chart(comparison, unit, names))
            charts["compare_fan"] = png_data_uri(fan_overlay_chart(comparison, unit, names))
    return charts


# ------------------------------------------------------------------ document
def render_report(
    summary: Summary,
    scenario: Scenario,
    manifest: Mapping[str, Any],
    *,
    unit: Unit = Unit.WAN,
    comparison: Comparison | None = None,
    readings: ReadingsResult | None = None,
    budget: Mapping[str, pd.DataFrame] | None = None,
) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    charts = _charts(summary, scenario, unit, comparison)
    uncertainty = uncertainty_table(summary, readings) if readings is not None else None
    sections = [
        headline(summary, unit, uncertainty),
        html_section(
            "fan_chart",
            html_figure(
                charts["fan_chart"],
                "年度市级支出：中位数、50% 与 90% 区间、均值",
                "Yearly cost to the city: median, 50% and 90% bands, mean",
            )
            + html_figure(
                charts["distribution"],
                "测算期合计的分布：直方图、S 曲线、P5/P50/P95 与预算",
                "Distribution of the horizon total: histogram, S-curve, P5/P50/P95 and budget",
            ),
        ),
    ]
    if readings is not None:
        sections.append(readings_section(readings, unit))
    sections += budget_report_sections(budget or {}, scenario, unit)
    sections += budget_sections(summary, unit)
    sections.append(commitments_section(summary, unit))
    funds = funds_section(summary, unit, charts)
    if funds:
        sections.append(funds)
    if comparison is not None:
        sections.append(comparison_section(comparison, unit, charts))
    sections += [assumptions_section(scenario), manifest_section(manifest)]
    toc = "".join(f'<a href="#{key}">{esc(zh)} {esc(en)}</a>' for key, (zh, en) in _toc(sections))
    span = f"{summary.horizon[0]}–{summary.horizon[-1]}"
    description = (
        f'<p class="description">{esc(scenario.spec.description)}</p>'
        if scenario.spec.description
        else ""
    )
    plan = scenario.periods.label("plan")
    subtitle = (
        f"情景 {scenario.name} · 测算期 {span} · 规划期 {plan}（{scenario.plan_start} 年约束性）· "
        f"{summary.draws:,} 次模拟 · 随机种子 {summary.seed} · fiscalsim "
        f"{manifest.get('version', '')}"
    )
    policy = html_bilingual(
        f"《{POLICY_ZH}》财政成本蒙特卡洛模拟", f"Monte Carlo fiscal cost of {POLICY_EN}"
    )
    footer = html_bilingual(
        "由 fiscalsim 生成；完整表格见同一文件夹中的 budget.xlsx 和 CSV 文件。",
        "Generated by fiscalsim; the full tables are in budget.xlsx and the "
        "CSV files of the same folder.",
    )
    title = f"{esc(scenario.title_zh)} / {esc(scenario.title_en)} — fiscalsim"
    body = (
        f"<header><h1>{html_bilingual(scenario.title_zh, scenario.title_en)}</h1>"
        f"<p>{policy}</p><p>{esc(subtitle)}</p>{description}</header>"
        f"<main><nav>{toc}</nav>{''.join(sections)}"
        f"<footer>{footer}</footer></main>"
    )
    # the glyphs the page uses, from this machine's CJK font: readable without one
    embedded = font_face_css(html.unescape(title + body))
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{embedded}\n{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _toc(sections: Iterable[str]) -> list[tuple[str, tuple[str, str]]]:
    """The top-level sections' anchors and titles."""
    entries = []
    for section in sections:
        key = re.match(r'<section id="([^"]+)">', section)
        if key:
            name = html.unescape(key.group(1))
            entries.append((name, TITLES[name]))
    return entries


def _write_atomically(text: str, path: Path) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, so that a
    reader never sees a half-written report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".partial", dir=path.parent
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(temporary, file_mode())  # mkstemp's 0600 would hide it from colleagues
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_report(
    summary: Summary,
    scenario: Scenario,
    manifest: Mapping[str, Any],
    path: str | Path,
    *,
    unit: Unit = Unit.WAN,
    comparison: Comparison | None = None,
    readings: ReadingsResult | None = None,
    budget: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write the self-contained bilingual HTML report of a run.

    Parameters
    ----------
    summary : Summary
        The run's tables (yuan).
    scenario : Scenario
        The scenario that was run (titles and assumptions with their basis).
    manifest : dict
        The run's manifest (seed, draws, version, scenario hash, files).
    path : str or Path
        The ``.html`` file to write (replaced atomically).
    unit : Unit
        Presentation unit of money (万元 by default).
    comparison : Comparison, optional
        Policy variants against this scenario (:func:`model.analysis.compare.compare`).
    readings : ReadingsResult, optional
        The clause readings costed against this scenario: the readings envelope beside
        the Monte Carlo interval on the first screen, and the section 「条文解读」.
    budget : mapping of str to DataFrame, optional
        The run's budget tables (:func:`model.analysis.budget.budget_tables`).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    text = render_report(
        summary,
        scenario,
        manifest,
        unit=unit,
        comparison=comparison,
        readings=readings,
        budget=budget,
    )
    _write_atomically(text, path)
    return path


def attach_report(
    output: RunOutput,
    scenario: Scenario,
    unit: Unit = Unit.WAN,
    *,
    comparison: Comparison | None = None,
) -> Path:
    """Write ``report.html`` into a finished run's folder and list it in the manifest.

    The report shows the manifest as the run wrote it; ``manifest.json`` then gains the
    report's SHA-256 under ``files_sha256`` (rewritten atomically).
    """
    path = write_report(
        output.summary,
        scenario,
        output.manifest,
        output.out_dir / REPORT_FILE,
        unit=unit,
        comparison=comparison,
        readings=output.readings,
        budget=output.budget,
    )
    manifest_path = output.out_dir / MANIFEST
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest.setdefault("files_sha256", {})[REPORT_FILE] = sha256_of(path)
        _write_atomically(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n", manifest_path
        )
    return path


__all__ = ["REPORT_FILE", "attach_report", "render_report", "write_report"]
