"""Summary tables of a fund's draws: flows by year and period, the loss ratio at
liquidation against the tolerance rate, and the first year of breach."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.core.sketch import DrawStats
from model.finance.fund_draws import NO_BREACH, FundDraws, first_true
from model.finance.period_tables import period_names, period_quantities, totals_frame
from model.policy.periods import Periods
from model.policy.programmes import FundSpec, ToleranceRule


def _rule_flags(draws: FundDraws, tolerance: float | None):
    """Breach flags (by horizon year, at liquidation, first year) and excess loss."""
    if tolerance is None:
        return (
            draws.breach,
            draws.liquidation_breach,
            draws.first_breach_year,
            draws.excess_loss_yuan,
        )
    life = draws.loss_ratio_life > tolerance
    first = first_true(life)
    first_year = np.where(first < life.shape[1], draws.first_year + first, NO_BREACH)
    numerator = draws.liquidation_loss_ratio * draws.loss_base_total_yuan
    excess = np.maximum(numerator - tolerance * draws.loss_base_total_yuan, 0.0)
    return draws.loss_ratio > tolerance, life[:, -1], first_year, excess


#: Edges of the loss-ratio histogram of the charts (50 bins on [0, 1]).
LOSS_RATIO_EDGES = np.linspace(0, 1, 51)


@dataclass(frozen=True)
class LossRatios:
    """A fund's loss ratio at liquidation as a histogram (for its chart).

    ``counts`` of draws in the bins of ``edges`` (:data:`LOSS_RATIO_EDGES`) and the share
    of draws in breach of the tolerance rule at liquidation.
    """

    edges: np.ndarray
    counts: np.ndarray
    p_breach: float
    draws: int

    @classmethod
    def of_draws(cls, draws: FundDraws) -> LossRatios:
        """From a fund's draws."""
        return cls.of_stats(DrawStats.of(fund_quantities(draws)))

    @classmethod
    def of_stats(cls, stats: DrawStats) -> LossRatios:
        """From the statistics of :func:`fund_quantities` over a run."""
        return cls(
            LOSS_RATIO_EDGES,
            stats.histogram("liquidation_loss_ratio", LOSS_RATIO_EDGES),
            float(stats.mean("liquidation_breach")) if stats.n else float("nan"),
            stats.n,
        )


def fund_quantities(
    draws: FundDraws, *, tolerance: float | None = None, periods: Periods | None = None
) -> dict[str, np.ndarray]:
    """The per-draw quantities the fund's tables are statistics of (see
    :func:`fund_tables`); ``tolerance`` and ``periods`` as in :func:`summarize_funds`."""
    breach, breach_liq, first_year, excess = _rule_flags(draws, tolerance)
    years = list(draws.years)
    life = draws.loss_ratio_life.shape[1]
    # one column per possible first breach year (the fund's life), and one for none
    breach_years = np.arange(draws.first_year, draws.first_year + life)
    share = draws.city_share
    quantities = {
        "invested_cum": draws.invested_cum_yuan,
        "calls": draws.calls_yuan,
        "distributions": draws.distributions_yuan,
        "city_calls": draws.city_calls_yuan,
        "city_distributions": draws.city_distributions_yuan,
        "city_net_outlay": draws.city_calls_yuan - draws.city_distributions_yuan,
        "realised_loss_cum": draws.realised_loss_cum_yuan,
        "loss_ratio": draws.loss_ratio,
        "breach": breach,
        "first_by": (first_year[:, None] != NO_BREACH) & (first_year[:, None] <= np.array(years)),
        "first_breach": np.column_stack(
            [first_year[:, None] == breach_years, first_year == NO_BREACH]
        ),
        "n_deals": draws.n_deals,
        "invested_total": draws.invested_total_yuan,
        "liquidation_loss_ratio": draws.liquidation_loss_ratio,
        "liquidation_breach": breach_liq,
        "breach_ever": first_year != NO_BREACH,
        "excess": excess,
        "city_loss": draws.city_loss_yuan,
        "city_net_cost": draws.city_net_cost_yuan,
        "city_net_loss": draws.city_net_cost_yuan > 0,
    }
    flows = {
        "calls": (draws.calls_yuan, draws.calls_before_yuan, draws.calls_beyond_yuan),
        "distributions": (
            draws.distributions_yuan,
            draws.distributions_before_yuan,
            draws.distributions_beyond_yuan,
        ),
        "city_calls": (
            draws.city_calls_yuan,
            share * draws.calls_before_yuan,
            share * draws.calls_beyond_yuan,
        ),
        "city_distributions": (
            draws.city_distributions_yuan,
            share * draws.distributions_before_yuan,
            share * draws.distributions_beyond_yuan,
        ),
    }
    by_period = period_quantities(flows, years, periods or Periods.of_years(years))
    for name in list(by_period):
        if name.endswith(":city_calls"):
            period = name.rpartition(":")[0]
            by_period[f"{period}:city_net"] = (
                by_period[name] - by_period[f"{period}:city_distributions"]
            )
    return quantities | by_period


def fund_tables(
    stats: DrawStats,
    draws: FundDraws,
    spec: FundSpec,
    *,
    tolerance: float | None = None,
    periods: Periods | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables of :func:`summarize_funds` from the statistics of
    :func:`fund_quantities` over a run (``draws``: any chunk of the fund's draws, for
    its labels)."""
    rate = spec.tolerance if tolerance is None else tolerance
    rule = str(spec.tolerance_rule) if tolerance is None else str(ToleranceRule.FUND)
    n, years = stats.n, list(draws.years)
    q = stats.quantiles("loss_ratio", [0.05, 0.5, 0.95])
    by_year = pd.DataFrame(
        {
            "invested_cum_mean_yuan": stats.mean("invested_cum"),
            "calls_mean_yuan": stats.mean("calls"),
            "distributions_mean_yuan": stats.mean("distributions"),
            "city_calls_mean_yuan": stats.mean("city_calls"),
            "city_calls_p95_yuan": stats.quantiles("city_calls", [0.95])[0],
            "city_distributions_mean_yuan": stats.mean("city_distributions"),
            "city_net_outlay_mean_yuan": stats.mean("city_net_outlay"),
            "realised_loss_cum_mean_yuan": stats.mean("realised_loss_cum"),
            "loss_ratio_mean": stats.mean("loss_ratio"),
            "loss_ratio_p05": q[0],
            "loss_ratio_p50": q[1],
            "loss_ratio_p95": q[2],
            "p_breach": stats.mean("breach"),
            "p_first_breach_by_year": stats.mean("first_by"),
        },
        index=pd.MultiIndex.from_product([[spec.id], years], names=["fund", "year"]),
    )

    share = draws.city_share
    periods = periods or Periods.of_years(years)
    flows = ("calls", "distributions", "city_calls", "city_distributions", "city_net")
    totals = totals_frame(
        period_names(flows),
        lambda p: {
            "calls_mean_yuan": stats.mean(p["calls"]),
            "distributions_mean_yuan": stats.mean(p["distributions"]),
            "city_calls_mean_yuan": stats.mean(p["city_calls"]),
            "city_distributions_mean_yuan": stats.mean(p["city_distributions"]),
            "city_net_outlay_mean_yuan": stats.mean(p["city_net"]),
        },
        periods,
        programme_id=spec.id,
        level="fund",
    )

    levels = [0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
    ql = stats.quantiles("liquidation_loss_ratio", levels)
    p_breach = stats.mean("liquidation_breach") if n else np.nan
    row = {
        "tolerance": rate,
        "tolerance_rule": rule,
        "loss_measure": str(spec.loss_measure),
        "loss_base": str(spec.loss_base),
        # called before the fund's first modelled year (not simulated; its deals are
        # outside the tolerance test)
        "history_called_yuan": spec.history.called_yuan if spec.history is not None else 0.0,
        "draws": n,
        "mean_deals": stats.mean("n_deals"),
        "mean_invested_yuan": stats.mean("invested_total"),
        "loss_ratio_mean": stats.mean("liquidation_loss_ratio"),
        **{f"loss_ratio_p{round(level * 100):02d}": v for level, v in zip(levels, ql, strict=True)},
        "p_breach_liquidation": p_breach,
        "p_breach_liquidation_se": np.sqrt(p_breach * (1 - p_breach) / n) if n else np.nan,
        "p_breach_ever": stats.mean("breach_ever"),
        "expected_excess_loss_yuan": stats.mean("excess"),
        "excess_loss_p95_yuan": stats.quantiles("excess", [0.95])[0],
        "city_share": share,
        "expected_city_loss_yuan": stats.mean("city_loss"),
        "city_net_cost_mean_yuan": stats.mean("city_net_cost"),
        **{
            f"city_net_cost_p{round(level * 100):02d}_yuan": v
            for level, v in zip(
                (0.05, 0.5, 0.95),
                stats.quantiles("city_net_cost", [0.05, 0.5, 0.95]),
                strict=True,
            )
        },
        "p_city_net_loss": stats.mean("city_net_loss"),
    }
    tolerance_table = pd.DataFrame([row], index=pd.Index([spec.id], name="fund"))

    life = draws.loss_ratio_life.shape[1]
    labels = [str(draws.first_year + k) for k in range(life)] + ["none"]
    counts = np.rint(stats.sum("first_breach")).astype(np.int64) if n else np.zeros(life + 1)
    seen = sorted((label, count) for label, count in zip(labels, counts, strict=True) if count)
    first_table = pd.DataFrame(
        {"share": np.array([count for _, count in seen]) / max(n, 1)},
        index=pd.MultiIndex.from_product(
            [[spec.id], [label for label, _ in seen]], names=["fund", "first_breach_year"]
        ),
    )
    return {
        "funds_by_year": by_year,
        "funds_totals": totals,
        "tolerance": tolerance_table,
        "first_breach_year": first_table,
    }


def summarize_funds(
    draws: FundDraws,
    spec: FundSpec,
    *,
    tolerance: float | None = None,
    periods: Periods | None = None,
) -> dict[str, pd.DataFrame]:
    """Summary tables of one fund's draws.

    Parameters
    ----------
    draws : FundDraws
    spec : FundSpec
        The spec the draws came from.
    tolerance : float, optional
        Test this rate against the fund-level loss ratio instead of the spec's rule
        (``None``: the flags simulated with the spec's rule and rates).
    periods : Periods, optional
        The scenario's horizon and plan years (default: the draws' years are the horizon
        and the plan starts with them).

    Returns
    -------
    dict of str to DataFrame
        ``funds_by_year`` (index fund, year): means and quantiles of invested capital,
        calls, distributions, the city's flows, realised loss and the loss ratio, and
        P(breach) at each year-end and P(first breach by then);
        ``funds_totals`` (index fund, period): mean flows in each period of
        :data:`~model.policy.periods.PERIOD_NAMES` (before, in and beyond the horizon;
        before, in and after the plan years; the life), with the period's ``years``;
        ``tolerance`` (index fund): the liquidation loss-ratio distribution, P(breach)
        with its standard error, expected excess loss and the city's loss;
        ``first_breach_year`` (index fund, first_breach_year): shares.
    """
    stats = DrawStats.of(fund_quantities(draws, tolerance=tolerance, periods=periods))
    return fund_tables(stats, draws, spec, tolerance=tolerance, periods=periods)


__all__ = [
    "LOSS_RATIO_EDGES",
    "LossRatios",
    "fund_quantities",
    "fund_tables",
    "summarize_funds",
]
