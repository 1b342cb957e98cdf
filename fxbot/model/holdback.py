"""The held-back walk-forward of a retrain: the challenger's recipe, trained without the latest months, called on them.

A challenger is trained on every bar up to the last completed month, so its own weights have seen
every day before its first shadow call. To judge it on more than its few shadow days, the retrain
also fits a *probe*: the same settings and seeds, trained only on the bars up to the end of the
month ``lifecycle.holdback_months`` months earlier, and lets it call each held-back day, as the
walk-forward of `fxbot backtest` does. The champion calls the same days where it too is out of
sample (the day's outcome is after its last training bar); where it is not, the day is used only
against always-buy. The result is ``holdback.json`` in the version folder, read by the gate.

The file is bound to its version: the retrain records its sha256 in the promotions log line that
adds the version (``holdback_binding``), and the gate reads it only if the bytes still have that
hash (``bound_holdback``). A file edited afterwards, or one that came with an imported folder (no
hash recorded), is ignored with one line in the gate's notice: it can never promote anything.

Pure (no TensorFlow, no numpy): the daily run reads this file when it judges a challenger.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec

from fxbot.errors import ModelError

HOLDBACK_FILE = "holdback.json"
#: The promotions-log evidence key (of the line that adds a version) holding its holdback.json's sha256.
HOLDBACK_SHA256 = "holdback_sha256"


class HeldBackDay(msgspec.Struct, frozen=True):
    """One held-back day: the probe's call, the champion's (None: it trained on this outcome), and the outcome."""

    day: str  # the bar the call is made on; the outcome is the next trading day's close
    probe_buy: bool
    champion_buy: bool | None
    up: bool


class HeldBack(msgspec.Struct, frozen=True):
    """The probe's calls on the held-back months and the champion's on the same days."""

    pair: str
    cutoff: str  # the probe's last training bar
    end: str  # the challenger's last training bar: the last outcome scored here
    months: int
    champion: str | None  # the champion version that made ``champion_buy``
    champion_train_end: str | None
    days: list[HeldBackDay]

    def probe_hits(self) -> list[bool]:
        """Was the probe right, day by day."""
        return [d.probe_buy == d.up for d in self.days]

    def span(self) -> str:
        """The held-back outcomes' days: from the first trading day after the probe's last bar to ``end``."""
        from fxbot.calendar import next_trading_day

        return f"{next_trading_day(dt.date.fromisoformat(self.cutoff)).isoformat()}..{self.end}"

    def summary(self) -> str:
        """``held back 2024-01-02..2024-03-28: the recipe 30/62 right, always-buy 33/62 (the champion 12/21 ...)``."""
        n, paired = len(self.days), self.paired()
        line = (
            f"held back {self.span()} (the recipe: these settings trained without those days): the recipe "
            f"{sum(self.probe_hits())}/{n} right, always-buy {sum(d.up for d in self.days)}/{n}"
        )
        if paired[0]:
            m = len(paired[0])
            line += (
                f" (on the {m} days the champion {self.champion} was out of sample too: "
                f"the recipe {sum(paired[0])}/{m}, the champion {sum(paired[1])}/{m})"
            )
        return line

    def without_champion(self) -> HeldBack:
        """The same calls with no champion's: used against always-buy only (the champion has changed since)."""
        days = [msgspec.structs.replace(d, champion_buy=None) for d in self.days]
        return msgspec.structs.replace(self, champion=None, champion_train_end=None, days=days)

    def paired(self) -> tuple[list[bool], list[bool], list[bool]]:
        """(probe right, champion right, up) on the days the champion was out of sample too."""
        both = [d for d in self.days if d.champion_buy is not None]
        return [d.probe_buy == d.up for d in both], [d.champion_buy == d.up for d in both], [d.up for d in both]


def holdback_cutoff(end: dt.date, months: int) -> dt.date:
    """The probe's last training day: ``end``'s month and the ``months - 1`` before it are held back
    (``end`` 2024-03-29, 3 → 2023-12-31); 0 holds nothing back (``end``)."""
    if months == 0:
        return end
    first = end.replace(day=1)
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first - dt.timedelta(days=1)


def write_holdback(folder: Path, held: HeldBack) -> Path:
    """Write ``holdback.json`` into a version folder that is still being built."""
    path = Path(folder) / HOLDBACK_FILE
    path.write_bytes(msgspec.json.format(msgspec.json.encode(held), indent=1) + b"\n")
    return path


def holdback_sha256(folder: Path) -> str | None:
    """The sha256 of the version's ``holdback.json`` (read within its cap), or None if it has none."""
    import hashlib

    try:
        return hashlib.sha256(_read(Path(folder) / HOLDBACK_FILE)).hexdigest()
    except FileNotFoundError:
        return None


def _read(path: Path) -> bytes:
    from fxbot.safefiles import MAX_JSON_BYTES, read_bounded

    return read_bounded(path, MAX_JSON_BYTES, "the next retrain writes a new one")


def read_holdback(folder: Path) -> HeldBack | None:
    """The version's held-back walk-forward, or None if it has none (imported, or retrained without one).

    Read within 1 MiB (what a retrain writes is a few KiB): a larger file is a ModelError naming it.
    """
    path = Path(folder) / HOLDBACK_FILE
    try:
        raw = _read(path)
    except FileNotFoundError:
        return None
    try:
        return msgspec.json.decode(raw, type=HeldBack)
    except msgspec.ValidationError as exc:
        raise ModelError(f"{path} is not a held-back walk-forward ({exc})") from None
    except msgspec.DecodeError:
        raise ModelError(f"{path} is truncated or not JSON") from None


def holdback_binding(folder: Path) -> dict[str, str]:
    """What the retrain records with the version it adds: the sha256 of its ``holdback.json`` (empty: none)."""
    digest = holdback_sha256(folder)
    return {} if digest is None else {HOLDBACK_SHA256: digest}


def bound_holdback(folder: Path, recorded: str | None) -> tuple[HeldBack | None, str]:
    """The version's held-back walk-forward if its bytes have the sha256 ``recorded`` at retrain, and why not.

    Returns (the record, "") when it matches; (None, the reason) when there is a file but no hash was
    recorded for it or it differs (edited or forged: ignored); (None, "") when there is no file. A file
    that matches but cannot be decoded is a ModelError (the retrain wrote something damaged).
    """
    digest = holdback_sha256(folder)
    if digest is None:
        return None, ""
    if recorded is None:
        return None, (
            "its holdback.json was not recorded when the version was added (not from `fxbot retrain`): ignored"
        )
    if digest != recorded:
        return None, (
            f"its holdback.json does not match the sha256 recorded at retrain ({digest[:12]} against "
            f"{recorded[:12]}: edited since): ignored"
        )
    return read_holdback(folder), ""
