"""``fiscalsim catalog`` (model/cli/catalog.py): every line item, as JSON."""

from __future__ import annotations

import json

from model.cli.main import main


def test_catalog_json_lists_every_item(capsys):
    assert main(["catalog", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 42
    required = {
        "id",
        "article",
        "chapter",
        "name_zh",
        "name_en",
        "payment",
        "cap_yuan",
        "fixed",
        "years_paid",
        "responsible_units",
    }
    assert all(required <= set(row) for row in rows)
    by_id = {row["id"]: row for row in rows}
    assert by_id["provincial_lab_funding"]["cap_yuan"] == 100_000_000
    assert by_id["provincial_lab_funding"]["years_paid"] == 5
