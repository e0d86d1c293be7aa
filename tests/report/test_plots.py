"""Charts (model/report/plots.py): matplotlib figures built without pyplot."""

from __future__ import annotations

import numpy as np
from helpers.funds import YEARS, binary_fund
from matplotlib.figure import Figure

from model.finance.funds import simulate_fund
from model.report.plots import loss_ratio_chart


def test_loss_ratio_chart():
    spec = binary_fund()
    figure = loss_ratio_chart(simulate_fund(spec, YEARS, 0, 20_000, seed=11), spec)
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    assert any(np.allclose(line.get_xdata(), 0.5) for line in axes.get_lines())
