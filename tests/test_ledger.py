"""The ledger's outcome scoring, on numpy bars: a call is scored by the bar right after its own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fxbot.data.store import PriceStore
from fxbot.ledger import Ledger
from fxbot.pairs import get_pair
from fxbot.portfolio import size_position
from fxbot.signals import PairSignal, Report
from fxbot.voting import Direction, Vote


def report_for(day: dt.date, close: float, direction: Direction = Direction.BUY, pair: str = "USDJPY") -> Report:
    """A one-pair report of ``direction`` on bar ``day`` at ``close``."""
    vote = Vote(direction, 3, 5, (0.6, 0.6, 0.6, 0.4, 0.4))
    position = size_position(direction, 1.79, 1_000_000.0, close)
    return Report(as_of=day, signals=[PairSignal(get_pair(pair), day, close, vote, position, "test-model")])


def test_calls_are_scored_by_the_next_bar(tmp_path: Path, bundled_store: PriceStore) -> None:
    bars = bundled_store.load("USDJPY")
    ledger = Ledger(tmp_path / "l.sqlite")
    day = dt.date(2024, 6, 13)
    close = float(bars.up_to(day).close[-1])
    ledger.record_signals(ledger.start_run(day), report_for(day, close))
    assert ledger.update_outcomes({"USDJPY": bars}) == 1
    row = ledger.history()[0]
    next_close = float(bars.since(dt.date(2024, 6, 14)).close[0])
    assert row.move == pytest.approx(next_close / close - 1)
    assert row.right is (next_close > close)


def test_a_call_older_than_the_bars_given_waits(tmp_path: Path, bundled_store: PriceStore) -> None:
    """Bars that start after a call (a cut history) must not score it with their first bar."""
    ledger = Ledger(tmp_path / "l.sqlite")
    day = dt.date(2020, 3, 2)
    full = bundled_store.load("USDJPY")
    ledger.record_signals(ledger.start_run(day), report_for(day, float(full.up_to(day).close[-1])))
    assert ledger.update_outcomes({"USDJPY": full.since(dt.date(2021, 1, 4))}) == 0
    assert ledger.history()[0].move is None
    assert ledger.update_outcomes({"USDJPY": full}) == 1
    assert ledger.history()[0].move is not None


# -- a ledger that fails, fails loudly ------------------------------------------------------------


def _used_ledger(tmp_path: Path) -> Ledger:
    ledger = Ledger(tmp_path / "state" / "fxbot.sqlite")
    ledger.start_run(dt.date(2024, 6, 14))
    ledger.close()
    return ledger


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("garbage", r"cannot be used \(file is not a database\); move it aside \(mv .*fxbot.sqlite .*\.broken\)"),
        ("deleted", r"was in use \(see .*fxbot.sqlite.in-use\) and is now gone; restore it from a backup"),
        ("truncated", r"was in use \(see .*fxbot.sqlite.in-use\) and is now empty"),
    ],
)
def test_a_damaged_or_vanished_ledger_is_an_error_naming_the_file(tmp_path: Path, damage: str, message: str) -> None:
    from fxbot.errors import LedgerError

    ledger = _used_ledger(tmp_path)
    for extra in ("-wal", "-shm"):
        Path(f"{ledger.path}{extra}").unlink(missing_ok=True)
    if damage == "garbage":
        ledger.path.write_bytes(b"this is not SQLite at all " * 200)
    elif damage == "deleted":
        ledger.path.unlink()
    else:
        ledger.path.write_bytes(b"")
    with pytest.raises(LedgerError, match=message):
        Ledger(ledger.path).runs()
    assert damage == "deleted" or ledger.path.exists()  # nothing was silently recreated or overwritten
    if damage == "deleted":
        assert not ledger.path.exists()


def test_a_read_only_ledger_is_an_error_naming_the_fix(tmp_path: Path) -> None:
    """Read-only by permissions for a normal user; for root (CI) the file and its folder are made immutable."""
    import os
    import shutil
    import stat
    import subprocess

    from fxbot.errors import LedgerError

    ledger = _used_ledger(tmp_path)
    targets = [ledger.path, ledger.path.parent]
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", *map(str, targets)]).returncode:
            pytest.skip("root ignores permissions and chattr +i is not available here")
        undo = ["chattr", "-i", *map(str, targets)]
    else:
        ledger.path.chmod(stat.S_IRUSR)
        ledger.path.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
        undo = ["chmod", "u+rwx", str(ledger.path.parent)]
    try:
        with pytest.raises(
            LedgerError, match=r"the ledger .*fxbot.sqlite cannot be used .*; give the user fxbot runs as"
        ):
            Ledger(ledger.path).start_run(dt.date(2024, 6, 17))
    finally:
        subprocess.run(undo, check=True)


def test_posted_calls_are_never_rewritten(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite")
    day = dt.date(2024, 6, 13)
    run = ledger.start_run(day)
    ledger.record_signals(run, report_for(day, 157.0, Direction.BUY))
    delivery = ledger.begin_delivery(run, day, "C0FXSIGNALS", "slack")
    ledger.mark_sent(delivery, "1718300000.000100")
    # a later run of the same day with another model calls SELL: the channel got BUY, so BUY stays
    ledger.record_signals(ledger.start_run(day), report_for(day, 157.0, Direction.SELL))
    assert [r.direction for r in ledger.history()] == ["BUY"]
    # a day that was never posted is replaced by the newer call
    other = dt.date(2024, 6, 14)
    ledger.record_signals(ledger.start_run(other), report_for(other, 158.0, Direction.BUY))
    ledger.record_signals(ledger.start_run(other), report_for(other, 158.0, Direction.SELL))
    assert [r.direction for r in ledger.history()] == ["BUY", "SELL"]


# -- the lease: one live run per (day, destination) ----------------------------------------------


def test_the_lease_waits_for_a_live_holder_and_names_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    from fxbot.errors import LeaseHeldError

    ledger = Ledger(tmp_path / "l.sqlite")
    day = dt.date(2024, 6, 14)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, datetime as dt; from pathlib import Path; from fxbot.ledger import Ledger\n"
            f"with Ledger(Path({str(ledger.path)!r})).lease(dt.date(2024, 6, 14), 'C0FX', 5):\n"
            "    print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(
                LeaseHeldError, match=rf"another fxbot run \(pid {holder.pid} since .*\) is still delivering"
            ),
            ledger.lease(day, "C0FX", 0.5),
        ):
            pass
        with ledger.lease(day, "C0OTHER", 0.5):  # another destination is another lease
            pass
        holder.kill()  # a holder that dies releases the lease at once (the kernel drops its flock)
        holder.wait()
        with ledger.lease(day, "C0FX", 2.0):
            pass
    finally:
        holder.kill()
        holder.wait()
