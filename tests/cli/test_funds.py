"""``fiscalsim funds`` (model/cli/funds.py): the funds' tolerance tables in the chosen unit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.cli.main import main


def test_funds_command(tmp_path, capsys):
    status = main(["funds", "baseline", "--draws", "2000", "--out", str(tmp_path / "f")])
    out = capsys.readouterr().out
    assert status == 0
    assert "future_seed_fund" in out and "50%" in out and "angel_funds" in out
    tolerance = pd.read_csv(tmp_path / "f" / "tolerance.csv", encoding="utf-8-sig")
    assert set(tolerance["id"]) == {"future_seed_fund", "angel_funds"}
    assert tolerance["p_breach_liquidation"].between(0, 1).all()
    # --unit yi: the same draws (same seed), money columns in 亿元 (10⁸ yuan)
    assert (
        main(
            ["funds", "baseline", "--draws", "2000", "--unit", "yi", "--out", str(tmp_path / "yi")]
        )
        == 0
    )
    in_yi = pd.read_csv(tmp_path / "yi" / "tolerance.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(
        in_yi["expected_city_loss_yi"] * 1e8, tolerance["expected_city_loss_wan"] * 1e4, rtol=1e-9
    )
    assert "(亿元)" in capsys.readouterr().out
