"""The batch run's files (model/report/batch.py): they exist, agree with each other, repeat
byte for byte, and are written atomically."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from model import run_batch
from model.core.errors import InputError
from model.core.units import Unit
from model.report.output import sha256_of

DRAWS = 1500


@pytest.fixture(scope="module")
def run(baseline, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "baseline"
    return run_batch(baseline, draws=DRAWS, seed=99, out_dir=out, budget_yuan=9e8)


def _csv(out, name):
    return pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig")


def test_every_output_is_written(run):
    names = {p.name for p in run.out_dir.iterdir()}
    expected = {
        "summary_by_year.csv",
        "budget_by_item.csv",
        "budget_by_article.csv",
        "budget_by_unit.csv",
        "budget_by_chapter.csv",
        "commitments.csv",
        "recipients_by_item.csv",
        "analytic_check.csv",
        "assumptions.csv",
        "budget.xlsx",
        "draws.parquet",
        "manifest.json",
        "fan_chart.png",
        "funds_by_year.csv",
        "tolerance.csv",
        "loan_compensation.csv",
        "conversion.csv",
        "loss_ratio_future_seed_fund.png",
    }
    assert expected <= names
    assert not [p for p in run.out_dir.parent.iterdir() if ".partial-" in p.name]


def test_items_add_up_to_the_yearly_totals(run):
    by_year = _csv(run.out_dir, "summary_by_year").set_index("year")
    by_item = _csv(run.out_dir, "budget_by_item").set_index("item")
    for year in run.summary.horizon:
        assert by_item[f"mean_{year}_wan"].sum() == pytest.approx(
            by_year.loc[str(year), "mean_wan"], rel=1e-8
        )
    for group in ("article", "unit", "chapter"):
        table = _csv(run.out_dir, f"budget_by_{group}")
        assert table["mean_wan"].sum() == pytest.approx(by_item["mean_wan"].sum(), rel=1e-8)
        assert table["items"].sum() == len(by_item)
    horizon_total = by_year.iloc[-1]["mean_wan"]
    assert horizon_total == pytest.approx(by_item["mean_wan"].sum(), rel=1e-8)


def test_percentiles_are_ordered(run):
    for name in ("summary_by_year", "budget_by_item", "budget_by_article", "budget_by_unit"):
        table = _csv(run.out_dir, name)
        columns = ["p5_wan", "p50_wan", "p95_wan", "p99_wan"]
        values = table[columns].to_numpy()
        assert np.all(np.diff(values, axis=1) >= -1e-9), name
        assert np.allclose(table["bar_wan"], table["p95_wan"] - table["mean_wan"])


def test_fund_tables_are_written_in_the_run_unit(run):
    """The fund, 先投后股 and loan CSVs follow --unit like the budget tables: 1万元 is
    10,000 yuan, and no written table keeps a yuan column when the unit is 万元."""
    written = _csv(run.out_dir, "tolerance").set_index("id")
    in_memory = run.summary.programme_tables["tolerance"]
    for column in ("mean_invested", "expected_excess_loss", "city_net_cost_p95"):
        np.testing.assert_allclose(
            written[f"{column}_wan"] * 10_000,
            in_memory.loc[written.index, f"{column}_yuan"],
            rtol=1e-9,
        )
    for path in run.out_dir.glob("*.csv"):
        header = path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        assert not [c for c in header if c.endswith("_yuan")], path.name


def test_parquet_draws_reproduce_the_csv_means(run, baseline):
    draws = pq.read_table(run.out_dir / "draws.parquet").to_pandas()
    assert len(draws) == DRAWS
    assert draws["draw"].tolist() == list(range(DRAWS))
    by_item = _csv(run.out_dir, "budget_by_item").set_index("item")
    by_year = _csv(run.out_dir, "summary_by_year").set_index("year")
    for year in run.summary.horizon:
        assert draws[f"total/{year}"].mean() / 1e4 == pytest.approx(
            by_year.loc[str(year), "mean_wan"], rel=1e-9
        )
        for item in by_item.index:
            column = f"{item}/{year}"
            mean = draws[column].mean() / 1e4 if column in draws else 0.0
            assert mean == pytest.approx(
                by_item.loc[item, f"mean_{year}_wan"], rel=1e-9, abs=1e-9
            ), column
    item_columns = [c for c in draws.columns if "/" in c and not c.startswith("total/")]
    year_of = {c: c.split("/")[1] for c in item_columns}
    for year in run.summary.years:
        parts = [c for c in item_columns if year_of[c] == str(year)]
        assert np.allclose(draws[parts].sum(axis=1), draws[f"total/{year}"], rtol=1e-9)


def test_budget_probability_matches_the_draws(run):
    draws = pq.read_table(run.out_dir / "draws.parquet").to_pandas()
    by_year = _csv(run.out_dir, "summary_by_year").set_index("year")
    for year in run.summary.horizon:
        assert by_year.loc[str(year), "p_exceed"] == pytest.approx(
            np.mean(draws[f"total/{year}"] > 9e8)
        )


def test_manifest(run, baseline):
    manifest = json.loads((run.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 99 and manifest["draws"] == DRAWS
    assert manifest["scenario_sha256"] == baseline.digest()
    for name, digest in manifest["files_sha256"].items():
        assert sha256_of(run.out_dir / name) == digest, name


def test_workbook_has_every_table(run):
    from openpyxl import load_workbook

    sheets = load_workbook(run.out_dir / "budget.xlsx", read_only=True).sheetnames
    expected = {"年度汇总", "分项预算", "分条款预算", "分责任单位预算", "跨期承诺", "假设及依据"}
    assert expected <= set(sheets)
    assert len(sheets) >= 12


def test_same_seed_gives_byte_identical_tables(baseline, run, tmp_path):
    again = run_batch(baseline, draws=DRAWS, seed=99, out_dir=tmp_path / "again", budget_yuan=9e8)
    for path in run.out_dir.iterdir():
        if path.suffix in (".csv", ".parquet", ".png"):
            assert (again.out_dir / path.name).read_bytes() == path.read_bytes(), path.name


def test_unit_only_changes_presentation(baseline, run, tmp_path):
    in_yi = run_batch(
        baseline, draws=DRAWS, seed=99, out_dir=tmp_path / "yi", unit=Unit.YI, write_draws=False
    )
    wan = _csv(run.out_dir, "summary_by_year")
    yi = _csv(in_yi.out_dir, "summary_by_year")
    assert np.allclose(yi["mean_yi"] * 1e4, wan["mean_wan"], rtol=1e-9)
    assert not (in_yi.out_dir / "draws.parquet").exists()


def test_a_failed_run_leaves_earlier_results_untouched(baseline, tmp_path, monkeypatch):
    out = tmp_path / "kept"
    first = run_batch(baseline, draws=300, seed=1, out_dir=out, write_draws=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("model.report.batch.write_workbook", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run_batch(baseline, draws=300, seed=2, out_dir=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]  # no staging folder left
    assert first.out_dir == out


def test_refuses_to_replace_a_folder_it_did_not_write(baseline, tmp_path):
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    with pytest.raises(InputError, match="not a fiscalsim output folder"):
        run_batch(baseline, draws=10, seed=1, out_dir=foreign)
    assert (foreign / "thesis.docx").read_text() == "precious"


def _table_bytes(out):
    """Every table and the draws file (not the manifest, workbook or charts, which hold
    the run's duration or render metadata)."""
    return {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".csv", ".parquet")}


@pytest.mark.slow
@pytest.mark.parametrize("sketched", [False, True], ids=["exact", "sketched"])
def test_any_number_of_workers_writes_the_same_bytes(baseline, tmp_path, monkeypatch, sketched):
    # three chunks of whole blocks; `sketched` lowers the exact limit below the run's
    # draws, so that items' and programmes' percentiles come from the streaming sketch
    draws = 2 * 16_384 + 50
    if sketched:
        monkeypatch.setattr("model.core.sketch.EXACT_DRAWS", 20_000)
    written = {}
    for workers in (1, 2, 3) if sketched else (1, 2):
        out = tmp_path / f"w{workers}"
        run_batch(baseline, draws=draws, seed=7, out_dir=out, write_draws=sketched, workers=workers)
        written[workers] = _table_bytes(out)
    assert len(written[1]) >= 15
    for workers, tables in written.items():
        assert tables == written[1], f"{workers} workers wrote other bytes"


def test_a_run_out_of_memory_is_an_input_error(baseline, tmp_path, monkeypatch):
    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("model.report.batch.chunk_stats", no_memory)
    with pytest.raises(InputError, match="not enough memory for 5,000 draws") as raised:
        run_batch(baseline, draws=5000, seed=1, out_dir=tmp_path / "oom")
    assert "--draws" in raised.value.report()
    assert not (tmp_path / "oom").exists()
