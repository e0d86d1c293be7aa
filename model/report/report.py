"""A self-contained HTML report of a run, in Chinese and English.

The report is one file that opens in any browser, offline and without a server: the
CSS is inline, the charts are PNG images embedded as ``data:`` URIs, and nothing is
fetched from anywhere (the browser's own fonts show the Chinese text). It holds the
headline figures, the budget tables, the fan chart, the funds against their tolerance
rates, the commitments beyond the horizon, every assumption with its basis, the run
manifest and, when given, a comparison of policy variants.

``fiscalsim report SCENARIO`` runs a batch and writes ``report.html`` beside its tables;
:func:`attach_report` adds the report to a finished :func:`model.batch.run_batch`.

The HTML building blocks (escaping, labels, tables, CSS) are in :mod:`model.report_html`.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from model.labels import TABLE_TITLES
from model.report_html import (
    CSS,
    EXTRA_LABELS,
    MANIFEST_LABELS,
    SECTION_TITLES,
    column_names,
    esc,
    format_money,
    html_bilingual,
    html_figure,
    html_note,
    html_section,
    html_table,
    html_tile,
    png_data_uri,
    select_columns,
)
from model.scenario import Scenario, assumption_rows
from model.schema import Unit
from model.tables import Summary, in_unit, yuan_to_unit

if TYPE_CHECKING:
    from model.batch import RunOutput
    from model.compare import Comparison

#: File name of the report inside a run's output folder.
REPORT_FILE = "report.html"
#: The policy the model costs.
POLICY_ZH = "关于科技创新推动新质生产力发展的实施意见"
POLICY_EN = "Changchun's draft opinions on S&T innovation driving new quality productive forces"
#: The budget tables of the report, in order, with the columns shown (the Excel workbook
#: holds them all). ``mean_YEARS`` stands for the yearly means.
BUDGET_COLUMNS: dict[str, tuple[str, ...]] = {
    "summary_by_year": (
        "mean",
        "mcse",
        "p5",
        "p50",
        "p95",
        "p99",
        "bar",
        "p_exceed",
        "gross_mean",
        "unfunded_mean",
        "analytic_mean",
    ),
    "budget_by_chapter": ("items", "mean_YEARS", "mean", "p5", "p50", "p95", "bar"),
    "budget_by_article": ("chapter", "items", "mean_YEARS", "mean", "p5", "p50", "p95", "bar"),
    "budget_by_unit": ("items", "mean_YEARS", "mean", "p5", "p50", "p95", "bar"),
    "budget_by_item": (
        "article",
        "name_zh",
        "name_en",
        "unit",
        "payment",
        "cap",
        "mean_YEARS",
        "mean",
        "p5",
        "p95",
        "bar",
        "committed_mean",
    ),
}
COMMITMENT_COLUMNS = (
    "article",
    "name_zh",
    "name_en",
    "payment",
    "mean_YEARS",
    "committed_mean",
    "committed_p50",
    "committed_p95",
)
TOLERANCE_COLUMNS = (
    "tolerance",
    "tolerance_rule",
    "loss_measure",
    "mean_invested",
    "loss_ratio_p05",
    "loss_ratio_p50",
    "loss_ratio_p95",
    "p_breach_liquidation",
    "p_breach_liquidation_se",
    "expected_excess_loss",
    "expected_city_loss",
    "city_net_cost_mean",
    "p_city_net_loss",
)
COMPARE_COLUMNS = (
    "base_mean",
    "variant_mean",
    "delta_mean",
    "delta_ci_low",
    "delta_ci_high",
    "analytic_delta",
    "delta_p95",
    "p_variant_higher",
    "variance_reduction",
)
COMPARE_ITEM_COLUMNS = (
    "rank",
    "article",
    "name_zh",
    "name_en",
    "base_mean",
    "variant_mean",
    "delta_mean",
    "delta_ci_low",
    "delta_ci_high",
)
#: Biggest movers shown per variant.
TOP_MOVERS = 10
#: Manifest entries shown elsewhere in the report.
MANIFEST_SKIP = {"title_zh", "title_en", "years", "files_sha256"}


# ------------------------------------------------------------------ charts
def _charts(
    summary: Summary, scenario: Scenario, unit: Unit, comparison: Comparison | None
) -> dict[str, str]:
    """Every chart of the report as a data URI, drawn with a CJK font when one exists
    (matplotlib's settings are restored afterwards)."""
    import matplotlib

    from model.extras import extra_figures
    from model.fonts import configure_cjk_font
    from model.plots import fan_chart

    with matplotlib.rc_context():
        configure_cjk_font()
        charts = {"fan_chart": png_data_uri(fan_chart(summary, unit))}
        if summary.extra_draws:
            for name, figure in extra_figures(scenario, summary.extra_draws).items():
                charts[name] = png_data_uri(figure)
        if comparison is not None:
            from model.compare import delta_chart, fan_overlay_chart

            charts["compare_delta"] = png_data_uri(delta_chart(comparison, unit))
            charts["compare_fan"] = png_data_uri(fan_overlay_chart(comparison, unit))
    return charts


# ------------------------------------------------------------------ sections
def _headline(summary: Summary, unit: Unit) -> str:
    by_year = summary.tables["summary_by_year"]
    horizon = [str(y) for y in summary.horizon]
    span = f"{summary.horizon[0]}–{summary.horizon[-1]}"
    total = by_year.iloc[-1]
    yearly = by_year.loc[horizon]
    peak = str(yearly["mean"].idxmax())
    u_zh, u_en = unit.label_zh, unit.value
    money = lambda value: f"{format_money(value / unit.divisor, unit)} {u_zh}"  # noqa: E731
    tiles = [
        html_tile(
            f"{span} 年市级支出预计总额",
            f"expected total cost to the city, {span}",
            money(total["mean"]),
            f"90% 区间 {format_money(total['p5'] / unit.divisor, unit)} – "
            f"{format_money(total['p95'] / unit.divisor, unit)}",
            f"90% interval (P5–P95), {u_en}",
        ),
        html_tile(
            "支出峰值年度",
            "peak year (highest mean)",
            peak,
            f"均值 {money(yearly.loc[peak, 'mean'])}，P95 {money(yearly.loc[peak, 'p95'])}",
            f"mean and P95 in {u_en}",
        ),
        html_tile(
            "风险预算 (P95−均值)",
            f"Budget-at-Risk (P95 − mean), {span}",
            money(total["bar"]),
            f"峰值年度 {money(yearly.loc[peak, 'bar'])}",
            f"peak year, {u_en}",
        ),
    ]
    commitments = summary.tables["commitments"]
    if "total" in commitments.index:
        later = [y for y in summary.years if y > summary.horizon[-1]]
        row = commitments.loc["total"]
        after = f"{later[0]}–{later[-1]}" if later else f"after {summary.horizon[-1]}"
        p95 = row.get("committed_p95", math.nan)
        tiles.append(
            html_tile(
                f"规划期后的跨期承诺 ({after})",
                f"committed beyond the horizon ({after})",
                money(row["committed_mean"]),
                f"P95 {money(p95)}" if pd.notna(p95) else "均值",
                f"P95, {u_en}" if pd.notna(p95) else "mean",
            )
        )
    if "p_exceed" in yearly and summary.budget_yuan is not None:
        worst = str(yearly["p_exceed"].idxmax())
        tiles.append(
            html_tile(
                "超预算概率 (最高年度)",
                "P(yearly cost > budget), worst year",
                f"{yearly.loc[worst, 'p_exceed']:.1%}",
                f"{worst} 年；预算 {money(summary.budget_yuan)}",
                f"in {worst}; budget in {u_en}",
            )
        )
    notes = html_note(
        f"市级支出指市财政的全部支出：各项奖补、基金出资、先投后股资金和贷款风险补偿，"
        f"未扣减基金回收。基于 {summary.draws:,} 次蒙特卡洛模拟；金额单位为{u_zh}。",
        f"Cost to the city is every outlay of the city budget: grants and subsidies, fund "
        f"capital calls, 先投后股 grants and loan compensation, before any fund "
        f"distributions. {summary.draws:,} Monte Carlo draws; money in {u_zh} ({u_en}).",
    )
    return html_section("headline", f'<div class="tiles">{"".join(tiles)}</div>{notes}')


def _budget_sections(summary: Summary, unit: Unit) -> list[str]:
    sections = []
    notes = {
        "summary_by_year": html_note(
            "P5/P95 为分位数；风险预算 = P95 − 均值；最后一行为规划期合计（各年合计的分布）。",
            "P5/P95 are percentiles; Budget-at-Risk = P95 − mean; the last row is the "
            "horizon total (the distribution of the sum over the years).",
        ),
        "budget_by_item": html_note(
            "年度列为均值；均值至 P95 为规划期合计；跨期承诺为规划期后仍需支付的均值。",
            "Yearly columns are means; mean to Budget-at-Risk are of the horizon total; "
            "'committed beyond horizon' is the mean still owed after the horizon.",
        ),
    }
    for name, columns in BUDGET_COLUMNS.items():
        table = select_columns(in_unit(summary.tables[name], unit), columns, unit)
        sections.append(
            html_section(name, html_table(table, unit, table_id=name) + notes.get(name, ""))
        )
    return sections


def _commitments(summary: Summary, unit: Unit) -> str:
    table = select_columns(in_unit(summary.tables["commitments"], unit), COMMITMENT_COLUMNS, unit)
    note = html_note(
        "规划期内作出、规划期后仍需支付的承诺（年度均值）。",
        "Commitments made within the horizon and paid after it (yearly means).",
    )
    return html_section("commitments", html_table(table, unit, table_id="commitments") + note)


def _funds(summary: Summary, unit: Unit, charts: Mapping[str, str]) -> str:
    parts = []
    tolerance = summary.extra_tables.get("tolerance")
    if tolerance is not None:
        table = tolerance.droplevel("fund") if "fund" in tolerance.index.names else tolerance
        table = select_columns(yuan_to_unit(table, unit), TOLERANCE_COLUMNS, unit)
        parts.append(
            html_section(
                "tolerance",
                html_table(table, unit, table_id="tolerance")
                + html_note(
                    "清算时基金累计亏损与投资额之比超过容忍率即为突破。",
                    "A breach: the fund's cumulative loss over invested "
                    "capital exceeds its tolerance rate at liquidation.",
                ),
                level=3,
            )
        )
    first = summary.extra_tables.get("first_breach_year")
    if first is not None and "share" in first:
        flat = first.reset_index()
        flat["first_breach_year"] = flat["first_breach_year"].map(str)
        wide = flat.pivot_table(
            index="id", columns="first_breach_year", values="share", aggfunc="sum", sort=False
        )
        years = sorted(wide.columns, key=lambda year: (not year.isdigit(), year))
        # share columns are named p_<year> so that they read as probabilities
        wide = wide[years].fillna(0.0)
        wide.columns = pd.Index([f"p_{year}" for year in years])
        headers = {
            f"p_{year}": (("未超出", "no breach") if year == "none" else (f"{year} 年", str(year)))
            for year in years
        }
        body = html_table(wide, unit, table_id="first_breach_year", headers=headers)
        parts.append(
            html_section(
                "first_breach_year",
                body
                + html_note(
                    "各基金首次超出容忍率的年度分布（模拟次数占比）。",
                    "Share of draws in which each fund first breaches its tolerance, by year.",
                ),
                level=3,
            )
        )
    for name, uri in charts.items():
        if name.startswith("loss_ratio_"):
            fund = name.removeprefix("loss_ratio_").removesuffix(".png")
            parts.append(
                html_figure(
                    uri,
                    f"{fund}：清算亏损率分布",
                    f"{fund}: loss ratio at liquidation, with the tolerance rate",
                )
            )
    return html_section("funds", "".join(parts)) if parts else ""


def _format_value(value: Any) -> str:
    """An assumption's value, compact (``dist: poisson, mean: 2``)."""
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {_format_value(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    if isinstance(value, float):
        whole = value.is_integer() and abs(value) < 1e15
        return f"{int(value):,}" if whole else f"{value:,.6g}"
    return "" if value is None else str(value)


def _assumptions(scenario: Scenario) -> str:
    header = "".join(
        f'<th scope="col">{html_bilingual(*column_names(c, Unit.YUAN))}</th>'
        for c in ("item", "article", "assumption", "value", "basis")
    )
    rows, previous = [], None
    for row in assumption_rows(scenario):
        first = row["item"] != previous
        previous = row["item"]
        article = "" if row["article"] is None or not first else row["article"]
        item = (
            (
                f'<span class="zh" lang="zh-CN">{esc(row["name_zh"])}</span>'
                f'<span class="id">{esc(row["item"])}</span>'
            )
            if first
            else ""
        )
        cells = [
            f'<td class="name">{item}</td>',
            f'<td class="num">{esc(article)}</td>',
            f'<td class="text">{esc(row["assumption"])}</td>',
            f'<td class="text value">{esc(_format_value(row["value"]))}</td>',
            f'<td class="text basis">{esc(row["basis"])}</td>',
        ]
        row_class = ' class="group"' if first else ""
        rows.append(f"<tr{row_class}>{''.join(cells)}</tr>")
    table = (
        f'<div class="scroll"><table id="assumptions" class="assumptions"><thead><tr>'
        f"{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
    note = html_note(
        "每项假设及其依据：政策原文（条款）或明示的估计。",
        "Every assumption with its basis: the policy text (article) or a stated estimate.",
    )
    return html_section("assumptions", note + table)


def _manifest(manifest: Mapping[str, Any]) -> str:
    rows = []
    for key, value in manifest.items():
        if key in MANIFEST_SKIP or value is None:
            continue
        zh, en = MANIFEST_LABELS.get(key, (key, key))
        if isinstance(value, list | tuple) and key == "horizon" and len(value) == 2:
            text = f"{value[0]}–{value[1]}"
        elif isinstance(value, list | tuple):
            text = "\n".join(map(str, value))
        elif isinstance(value, Mapping):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = "" if value is None else str(value)
        rows.append(
            f'<tr><th scope="row">{html_bilingual(zh, en)}</th>'
            f'<td class="text mono" data-col="{esc(key)}">{esc(text)}</td></tr>'
        )
    body = f'<table id="manifest" class="manifest"><tbody>{"".join(rows)}</tbody></table>'
    files = manifest.get("files_sha256") or {}
    if files:
        file_rows = "".join(
            f'<tr><td class="text mono" data-col="file">{esc(name)}</td>'
            f'<td class="text mono" data-col="sha256">{esc(digest)}</td></tr>'
            for name, digest in files.items()
        )
        header = "".join(
            f'<th scope="col">{html_bilingual(*EXTRA_LABELS[c])}</th>' for c in ("file", "sha256")
        )
        body += html_section(
            "files",
            f'<div class="scroll"><table id="files"><thead><tr>{header}'
            f"</tr></thead><tbody>{file_rows}</tbody></table></div>",
            level=3,
        )
    return html_section("manifest", body)


def _comparison(comparison: Comparison, unit: Unit, charts: Mapping[str, str]) -> str:
    from model.compare import table_in_unit

    table = select_columns(table_in_unit(comparison.tables["compare"], unit), COMPARE_COLUMNS, unit)
    items = comparison.tables["compare_items"]
    moved = items[items["delta_mean"] != 0]
    movers = moved.groupby(level="variant", sort=False).head(TOP_MOVERS)
    movers = select_columns(table_in_unit(movers, unit), COMPARE_ITEM_COLUMNS, unit)
    note = html_note(
        f"方案减基准，{comparison.draws:,} 次配对模拟（共同随机数），随机种子 {comparison.seed}；"
        "95% 区间为均值变动的置信区间。",
        f"Variant minus {comparison.base_name} on {comparison.draws:,} paired draws (common "
        f"random numbers), seed {comparison.seed}; the 95% interval is that of the change "
        "in the mean.",
    )
    body = [note, html_table(table, unit, table_id="compare")]
    if "compare_delta" in charts:
        body.append(
            html_figure(
                charts["compare_delta"],
                "均值变动及 95% 区间",
                "Change in the mean cost, with 95% intervals",
            )
        )
    if "compare_fan" in charts:
        body.append(
            html_figure(
                charts["compare_fan"],
                "各方案年度支出（中位数及 5–95% 区间）",
                "Yearly cost of each scenario (median and 5–95% band)",
            )
        )
    body.append(
        html_section("compare_items", html_table(movers, unit, table_id="compare_items"), level=3)
    )
    return html_section("compare", "".join(body))


# ------------------------------------------------------------------ document
def render_report(
    summary: Summary,
    scenario: Scenario,
    manifest: Mapping[str, Any],
    *,
    unit: Unit = Unit.WAN,
    comparison: Comparison | None = None,
) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    charts = _charts(summary, scenario, unit, comparison)
    sections = [
        _headline(summary, unit),
        html_section(
            "fan_chart",
            html_figure(
                charts["fan_chart"],
                "年度市级支出：中位数、50% 与 90% 区间、均值",
                "Yearly cost to the city: median, 50% and 90% bands, mean",
            ),
        ),
    ]
    sections += _budget_sections(summary, unit)
    sections.append(_commitments(summary, unit))
    funds = _funds(summary, unit, charts)
    if funds:
        sections.append(funds)
    if comparison is not None:
        sections.append(_comparison(comparison, unit, charts))
    sections += [_assumptions(scenario), _manifest(manifest)]
    toc = "".join(f'<a href="#{key}">{esc(zh)} {esc(en)}</a>' for key, (zh, en) in _toc(sections))
    span = f"{summary.horizon[0]}–{summary.horizon[-1]}"
    description = (
        f'<p class="description">{esc(scenario.spec.description)}</p>'
        if scenario.spec.description
        else ""
    )
    subtitle = (
        f"情景 {scenario.name} · {span} · {summary.draws:,} 次模拟 · 随机种子 "
        f"{summary.seed} · fiscalsim {manifest.get('version', '')}"
    )
    policy = html_bilingual(
        f"《{POLICY_ZH}》财政成本蒙特卡洛模拟", f"Monte Carlo fiscal cost of {POLICY_EN}"
    )
    footer = html_bilingual(
        "由 fiscalsim 生成；完整表格见同一文件夹中的 budget.xlsx 和 CSV 文件。",
        "Generated by fiscalsim; the full tables are in budget.xlsx and the "
        "CSV files of the same folder.",
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(scenario.title_zh)} / {esc(scenario.title_en)} — fiscalsim</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>{html_bilingual(scenario.title_zh, scenario.title_en)}</h1>"
        f"<p>{policy}</p><p>{esc(subtitle)}</p>{description}</header>"
        f"<main><nav>{toc}</nav>{''.join(sections)}"
        f"<footer>{footer}</footer></main></body></html>\n"
    )


def _toc(sections: Iterable[str]) -> list[tuple[str, tuple[str, str]]]:
    """The top-level sections' anchors and titles."""
    entries = []
    for section in sections:
        key = re.match(r'<section id="([^"]+)">', section)
        if key:
            name = html.unescape(key.group(1))
            entries.append((name, TABLE_TITLES.get(name) or SECTION_TITLES[name]))
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
        os.chmod(temporary, 0o644)
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
        Policy variants against this scenario (:func:`model.compare.compare`).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    text = render_report(summary, scenario, manifest, unit=unit, comparison=comparison)
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
    from model.output import MANIFEST, sha256_of

    path = write_report(
        output.summary,
        scenario,
        output.manifest,
        output.out_dir / REPORT_FILE,
        unit=unit,
        comparison=comparison,
    )
    manifest_path = output.out_dir / MANIFEST
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest.setdefault("files_sha256", {})[REPORT_FILE] = sha256_of(path)
        _write_atomically(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n", manifest_path
        )
    return path


# ------------------------------------------------------------------ command line
def add_report_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``fiscalsim report SCENARIO [--compare VARIANT ...]``."""
    from model import cli

    parser = subparsers.add_parser(
        "report", help="run a scenario and write a self-contained HTML report (report.html)"
    )
    parser.add_argument(
        "scenario",
        help="scenario file or name (baseline, variants/cap_cut_20, baseline+cap_cut_20)",
    )
    cli.add_run_options(parser)
    parser.add_argument(
        "--compare",
        nargs="+",
        action="extend",
        metavar="VARIANT",
        default=[],
        help="also compare these variants with the scenario (common random numbers)",
    )
    parser.add_argument("--out", type=Path, help="output folder (default outputs/<scenario>/)")
    parser.add_argument(
        "--budget", type=float, help="yearly budget in --unit, for P(total > budget)"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def run_report(args: argparse.Namespace) -> int:
    """Run ``fiscalsim report``: a batch run into the output folder, then its report."""
    from model.batch import run_batch
    from model.paths import default_output_dir
    from model.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    comparison = None
    if args.compare:  # before the run, so that a bad variant leaves no output behind
        from model.compare import compare

        variants = [load_scenario(ref) for ref in args.compare]
        comparison = compare(scenario, variants, args.draws, seed=args.seed)
    out_dir = args.out or default_output_dir(scenario.name)
    budget = args.budget * args.unit.divisor if args.budget is not None else None
    output = run_batch(
        scenario,
        draws=args.draws,
        seed=args.seed,
        out_dir=out_dir,
        unit=args.unit,
        budget_yuan=budget,
        progress=False if args.quiet else None,
    )
    path = attach_report(output, scenario, args.unit, comparison=comparison)
    if not args.quiet:
        print(f"wrote {path}")
    return 0


__all__ = [
    "REPORT_FILE",
    "add_report_parser",
    "attach_report",
    "render_report",
    "run_report",
    "write_report",
]
