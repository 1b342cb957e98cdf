"""Rollover (carry): what holding a position overnight earns or pays. Pure but for ``load_rates``.

A position in base/quote held from the close of day D to the close of the next trading day earns,
as a fraction of its notional,

    long:  (r_base - r_quote - markup) / 100 x days / 365
    short: (r_quote - r_base - markup) / 100 x days / 365

with the rates in percent per year and ``days`` the days its *value date* moves: FX settles spot,
two business days after the trade (T+2), and rolling a position over the 17:00 New York close moves
its value date from spot(D) to spot(next day). So a position held over Wednesday's close carries 3
days (value Friday -> Monday: the Wednesday triple), over Friday's close 1 (Tuesday -> Wednesday),
every other night 1; over a whole week it is the same 7 days as counting calendar days between the
closes (``convention="calendar"``, what fxbot charged before: Friday -> Monday 3 days). Business
days here are Monday to Friday: currency holidays, which also move a value date, are not in the
bars and are not modelled (a holiday's extra day lands on a neighbouring night). The mark-up
is the broker's spread on the swap, paid on both sides. As a fraction of equity it is multiplied
by the leverage (notional = leverage x equity), like the price P/L in ``stats.daily_pnl``.

Rates are the monthly 3-month interbank rates shipped in ``data/rates/`` (see its SOURCE.md); a day
uses its own month's value. A day whose month has no value for either currency gets NaN: callers
count those days and say so rather than guessing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fxbot.errors import DataError

#: FRED series of each currency's 3-month interbank rate (DE stands in for the euro area).
RATE_FILES = {
    "USD": "IR3TIB01USM156N.csv",
    "JPY": "IR3TIB01JPM156N.csv",
    "GBP": "IR3TIB01GBM156N.csv",
    "EUR": "IR3TIB01DEM156N.csv",
}
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class RateTable:
    """Monthly rates in percent per year: ``rates[currency]`` maps "YYYY-MM" to the month's value."""

    rates: dict[str, dict[str, float]]

    def monthly(self, currency: str, dates: np.ndarray) -> np.ndarray:
        """The rate of each date's month (NaN where the month, or the currency, has none)."""
        table = self.rates.get(currency, {})
        months = np.asarray(dates).astype("datetime64[M]").astype(str)
        return np.array([table.get(m, np.nan) for m in months], dtype="float64")

    def coverage(self, currency: str) -> tuple[str, str] | None:
        """First and last month with a value, or None."""
        months = sorted(self.rates.get(currency, {}))
        return (months[0], months[-1]) if months else None


def load_rates(folder: Path) -> RateTable:
    """Read ``folder``'s rate files (``observation_date,value``; blank values are missing months)."""
    rates: dict[str, dict[str, float]] = {}
    for currency, name in RATE_FILES.items():
        path = folder / name
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.reader(handle))
        except FileNotFoundError:
            raise DataError(
                f"{path} is missing; rollover needs the rate files of data/rates/ (or set backtest.rates_dir)"
            ) from None
        table: dict[str, float] = {}
        for i, row in enumerate(rows[1:], start=2):
            if len(row) < 2 or not row[1].strip() or row[1].strip() == ".":
                continue  # a month without a value stays missing: never filled in
            try:
                table[row[0][:7]] = float(row[1])
            except ValueError:
                raise DataError(f"{path} line {i}: {row[1]!r} is not a rate in percent; fix or remove it") from None
        rates[currency] = table
    return RateTable(rates)


SPOT_DAYS = 2  # FX spot: value two business days after the trade


def carry_days(dates: np.ndarray, next_dates: np.ndarray, convention: str = "spot") -> np.ndarray:
    """Days of carry of a position opened at each date's close and held to the next date's close.

    ``spot`` (default): the value date moves from T+2 of ``dates`` to T+2 of ``next_dates`` (business
    days Monday-Friday): Wednesday's close carries 3 days, Friday's 1. ``calendar``: the calendar days
    between the two closes (Friday -> Monday 3).
    """
    start = np.asarray(dates).astype("datetime64[D]")
    end = np.asarray(next_dates).astype("datetime64[D]")
    if convention == "calendar":
        days: npt.NDArray[np.int64] = (end - start).astype("int64")
        return days
    if convention != "spot":
        raise ValueError(f"unknown rollover convention {convention!r}; use 'spot' or 'calendar'")
    value_start = np.busday_offset(start, SPOT_DAYS, roll="forward")
    value_end = np.busday_offset(end, SPOT_DAYS, roll="forward")
    spot: npt.NDArray[np.int64] = (value_end - value_start).astype("int64")
    return spot


def rollover(
    direction: np.ndarray,
    base_rate: np.ndarray,
    quote_rate: np.ndarray,
    days: np.ndarray,
    markup: float,
    leverage: float = 1.0,
) -> np.ndarray:
    """Rollover per held position as a fraction of equity (see the module docstring); NaN where a rate is missing.

    ``direction`` is the position: +1 long base, -1 short base, a fraction for part of the notional
    (held tranches); rates and ``markup`` are percent per year, and the mark-up is paid on the size held.
    """
    direction = np.asarray(direction, "float64")
    differential = direction * (np.asarray(base_rate, "float64") - np.asarray(quote_rate, "float64"))
    years = np.asarray(days, "float64") / DAYS_PER_YEAR
    out: npt.NDArray[np.float64] = (differential - np.abs(direction) * markup) / 100.0 * years * leverage
    return out


def pair_rollover(
    table: RateTable,
    base: str,
    quote: str,
    direction: np.ndarray,
    dates: np.ndarray,
    next_dates: np.ndarray,
    markup: float,
    leverage: float = 1.0,
) -> np.ndarray:
    """Rollover of each call of a base/quote pair held from ``dates`` to ``next_dates`` (NaN: no rates)."""
    return rollover(
        direction,
        table.monthly(base, dates),
        table.monthly(quote, dates),
        carry_days(dates, next_dates),
        markup,
        leverage,
    )
