"""Summary tables of a fund's draws: flows by year and period, the loss ratio at
liquidation against the tolerance rate, and the first year of breach."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.finance.draw_arrays import quantiles
from model.finance.fund_draws import NO_BREACH, FundDraws, first_true
from model.finance.period_tables import period_totals, totals_frame
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
    rate = spec.tolerance if tolerance is None else tolerance
    rule = str(spec.tolerance_rule) if tolerance is None else str(ToleranceRule.FUND)
    breach, breach_liq, first_year, excess = _rule_flags(draws, tolerance)
    n, years = draws.n_draws, list(draws.years)
    first_by = (first_year[:, None] != NO_BREACH) & (first_year[:, None] <= np.array(years))
    q = quantiles(draws.loss_ratio, [0.05, 0.5, 0.95])
    by_year = pd.DataFrame(
        {
            "invested_cum_mean_yuan": draws.invested_cum_yuan.mean(0),
            "calls_mean_yuan": draws.calls_yuan.mean(0),
            "distributions_mean_yuan": draws.distributions_yuan.mean(0),
            "city_calls_mean_yuan": draws.city_calls_yuan.mean(0),
            "city_calls_p95_yuan": quantiles(draws.city_calls_yuan, [0.95])[0],
            "city_distributions_mean_yuan": draws.city_distributions_yuan.mean(0),
            "city_net_outlay_mean_yuan": (
                draws.city_calls_yuan - draws.city_distributions_yuan
            ).mean(0),
            "realised_loss_cum_mean_yuan": draws.realised_loss_cum_yuan.mean(0),
            "loss_ratio_mean": draws.loss_ratio.mean(0),
            "loss_ratio_p05": q[0],
            "loss_ratio_p50": q[1],
            "loss_ratio_p95": q[2],
            "p_breach": breach.mean(0),
            "p_first_breach_by_year": first_by.mean(0),
        },
        index=pd.MultiIndex.from_product([[spec.id], years], names=["fund", "year"]),
    )

    share = draws.city_share
    periods = periods or Periods.of_years(years)
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
    totals = totals_frame(
        period_totals(flows, years, periods),
        lambda p: {
            "calls_mean_yuan": p["calls"].mean(),
            "distributions_mean_yuan": p["distributions"].mean(),
            "city_calls_mean_yuan": p["city_calls"].mean(),
            "city_distributions_mean_yuan": p["city_distributions"].mean(),
            "city_net_outlay_mean_yuan": (p["city_calls"] - p["city_distributions"]).mean(),
        },
        periods,
        programme_id=spec.id,
        level="fund",
    )

    levels = [0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
    ql = quantiles(draws.liquidation_loss_ratio, levels)
    p_breach = breach_liq.mean() if n else np.nan
    row = {
        "tolerance": rate,
        "tolerance_rule": rule,
        "loss_measure": str(spec.loss_measure),
        "loss_base": str(spec.loss_base),
        # called before the fund's first modelled year (not simulated; its deals are
        # outside the tolerance test)
        "history_called_yuan": spec.history.called_yuan if spec.history is not None else 0.0,
        "draws": n,
        "mean_deals": draws.n_deals.mean(),
        "mean_invested_yuan": draws.invested_total_yuan.mean(),
        "loss_ratio_mean": draws.liquidation_loss_ratio.mean(),
        **{f"loss_ratio_p{round(level * 100):02d}": v for level, v in zip(levels, ql, strict=True)},
        "p_breach_liquidation": p_breach,
        "p_breach_liquidation_se": np.sqrt(p_breach * (1 - p_breach) / n) if n else np.nan,
        "p_breach_ever": (first_year != NO_BREACH).mean(),
        "expected_excess_loss_yuan": excess.mean(),
        "excess_loss_p95_yuan": quantiles(excess, [0.95])[0],
        "city_share": share,
        "expected_city_loss_yuan": draws.city_loss_yuan.mean(),
        "city_net_cost_mean_yuan": draws.city_net_cost_yuan.mean(),
        **{
            f"city_net_cost_p{round(level * 100):02d}_yuan": v
            for level, v in zip(
                (0.05, 0.5, 0.95),
                quantiles(draws.city_net_cost_yuan, [0.05, 0.5, 0.95]),
                strict=True,
            )
        },
        "p_city_net_loss": (draws.city_net_cost_yuan > 0).mean(),
    }
    tolerance_table = pd.DataFrame([row], index=pd.Index([spec.id], name="fund"))

    labels = np.where(first_year == NO_BREACH, "none", first_year.astype(str))
    values, counts = np.unique(labels, return_counts=True)
    first_table = pd.DataFrame(
        {"share": counts / max(n, 1)},
        index=pd.MultiIndex.from_product([[spec.id], values], names=["fund", "first_breach_year"]),
    )
    return {
        "funds_by_year": by_year,
        "funds_totals": totals,
        "tolerance": tolerance_table,
        "first_breach_year": first_table,
    }


__all__ = ["summarize_funds"]
