"""Simulated draws of a fund (article 20): flows by year, loss ratios and breaches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.finance.draw_arrays import concat_draws
from model.policy.programmes import DistributionUse, FundSpec

#: ``first_breach_year`` of a draw that never breaches.
NO_BREACH = 0


@dataclass(frozen=True)
class FundDraws:
    """Simulated draws of one fund. Money in yuan; ``(n, Y)`` arrays follow ``years``.

    Attributes
    ----------
    fund_id, years, first_year, city_share
        Identity, the horizon, the fund's first calendar year and the city's share.
    invested_cum_yuan : (n, Y)
        Cumulative cost invested (initial tickets and follow-ons) at year-end.
    calls_yuan, distributions_yuan : (n, Y)
        Fund capital calls (investments + fees) and distributions to the investors (exit
        proceeds and recoveries, less carried interest), by year.
    city_calls_yuan, city_distributions_yuan : (n, Y)
        The city's share of the calls and distributions.
    realised_loss_cum_yuan : (n, Y)
        Cumulative realised gross loss (write-offs, exits below cost) at year-end.
    loss_ratio : (n, Y)
        The fund-level loss ratio (per ``loss_measure``) at year-end.
    breach : (n, Y) bool
        The tolerance rule is breached at that year-end.
    loss_ratio_life : (n, life_years)
        The fund-level loss ratio at every year-end of the fund's life.
    n_deals, invested_total_yuan, realised_loss_total_yuan : (n,)
    loss_base_total_yuan : (n,)
        The loss ratio's denominator at liquidation (per the spec's ``loss_base``).
    liquidation_loss_ratio, liquidation_breach : (n,)
        At the end of the fund's life (everything realised).
    first_breach_year : (n,) int
        First calendar year-end with a breach over the whole life, or ``NO_BREACH`` (0).
    excess_loss_yuan : (n,)
        Loss beyond the tolerance at liquidation, per the rule.
    calls_before_yuan, distributions_before_yuan, calls_beyond_yuan,
    distributions_beyond_yuan : (n,)
        Fund flows in years before and after the horizon.
    recycled_yuan, paid_out_yuan : (n, Y)
        Distributions kept in the fund to meet its calls instead of new capital, and
        distributions paid out to the investors (all of them when distributions go to the
        treasury; the rest at liquidation when they are recycled).
    recycled_before_yuan, recycled_beyond_yuan, paid_out_before_yuan,
    paid_out_beyond_yuan : (n,)
        The same before and after the year axis.
    """

    fund_id: str
    years: tuple[int, ...]
    first_year: int
    city_share: float
    invested_cum_yuan: np.ndarray
    calls_yuan: np.ndarray
    distributions_yuan: np.ndarray
    city_calls_yuan: np.ndarray
    city_distributions_yuan: np.ndarray
    realised_loss_cum_yuan: np.ndarray
    loss_ratio: np.ndarray
    breach: np.ndarray
    loss_ratio_life: np.ndarray
    n_deals: np.ndarray
    invested_total_yuan: np.ndarray
    loss_base_total_yuan: np.ndarray
    realised_loss_total_yuan: np.ndarray
    liquidation_loss_ratio: np.ndarray
    liquidation_breach: np.ndarray
    first_breach_year: np.ndarray
    excess_loss_yuan: np.ndarray
    calls_before_yuan: np.ndarray
    distributions_before_yuan: np.ndarray
    calls_beyond_yuan: np.ndarray
    distributions_beyond_yuan: np.ndarray

    recycled_yuan: np.ndarray
    paid_out_yuan: np.ndarray
    recycled_before_yuan: np.ndarray
    recycled_beyond_yuan: np.ndarray
    paid_out_before_yuan: np.ndarray
    paid_out_beyond_yuan: np.ndarray

    @classmethod
    def concat(cls, parts: Sequence[FundDraws]) -> FundDraws:
        """Join chunks of draws (in order) into one."""
        return concat_draws(cls, list(parts))

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return int(self.n_deals.shape[0])

    @property
    def budget_outlay(self) -> np.ndarray:
        """What the city pays in each year: its share of the capital calls not met from
        recycled distributions (yuan, (n, Y))."""
        return self.city_share * self.gross_outlay

    @property
    def budget_inflow(self) -> np.ndarray:
        """What comes back to the city each year: its share of the distributions paid
        out (yuan, (n, Y))."""
        return self.city_share * self.paid_out_yuan

    @property
    def gross_outlay(self) -> np.ndarray:
        """The capital the investors pay in: the fund's calls less the distributions
        recycled to meet them (yuan, (n, Y)); the city pays ``city_share`` of it."""
        return self.calls_yuan - self.recycled_yuan

    def existing_outlay(self, plan_start: int) -> np.ndarray:
        """The calls of a fund set up before ``plan_start`` are owed under its commitment
        (all of them); a fund set up later has none before its start (yuan, (n, Y))."""
        if self.first_year < plan_start:
            return self.gross_outlay
        return self.gross_outlay * (np.asarray(self.years) < plan_start)

    @property
    def city_loss_yuan(self) -> np.ndarray:
        """The city's share of the realised gross loss over the fund's life (yuan, (n,))."""
        return self.city_share * self.realised_loss_total_yuan

    @property
    def city_net_cost_yuan(self) -> np.ndarray:
        """City calls less city distributions over the fund's life (yuan; < 0 is a gain)."""
        calls = self.calls_yuan.sum(1) + self.calls_before_yuan + self.calls_beyond_yuan
        dists = (
            self.distributions_yuan.sum(1)
            + self.distributions_before_yuan
            + self.distributions_beyond_yuan
        )
        return self.city_share * (calls - dists)


def first_true(flags: np.ndarray) -> np.ndarray:
    """Index of the first True on the last axis, or the axis length when none."""
    return np.where(flags.any(axis=-1), flags.argmax(axis=-1), flags.shape[-1])


def recycle(
    spec: FundSpec, calls: np.ndarray, distributions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where distributions go, by year of the fund's life (yuan, (draws, life)).

    Returns ``(recycled, paid_out)``. Distributions that go to the treasury are paid out
    as received. Recycled ones are kept in the fund and meet its later calls before any
    new capital is called; what is left is paid out at liquidation (财预〔2015〕210号 第十八
    条). The fund's deals and fees are the same either way: recycling changes only who
    pays them, and when the investors get their money back.
    """
    if spec.distributions_to is not DistributionUse.RECYCLE:
        return np.zeros_like(calls), distributions
    balance = np.zeros(calls.shape[0])
    recycled = np.zeros_like(calls)
    for year in range(calls.shape[1]):  # over the fund's years, vectorised over draws
        balance += distributions[:, year]
        np.minimum(balance, calls[:, year], out=recycled[:, year])
        balance -= recycled[:, year]
    paid_out = np.zeros_like(distributions)
    paid_out[:, -1] = balance
    return recycled, paid_out


__all__ = ["NO_BREACH", "FundDraws", "first_true", "recycle"]
