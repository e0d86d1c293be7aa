"""Simulated draws of a fund (article 20): flows by year, loss ratios and breaches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.finance.draw_arrays import concat_draws

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
        """What the city pays in each horizon year: its capital calls (yuan, (n, Y))."""
        return self.city_calls_yuan

    @property
    def budget_inflow(self) -> np.ndarray:
        """What comes back to the city each year: its distributions (yuan, (n, Y))."""
        return self.city_distributions_yuan

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


__all__ = ["NO_BREACH", "FundDraws", "first_true"]
