"""The stored bars: `fxbot fetch` (from the provider) and `fxbot import-csv` (a broker's export)."""

from __future__ import annotations

import argparse
from pathlib import Path

from fxbot import wiring
from fxbot.commands import selected_pairs
from fxbot.config import Secrets, Settings
from fxbot.errors import UsageError
from fxbot.pairs import get_pair


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the stored bars up to date from the configured provider."""
    from fxbot.data.fetch import fetch_for_settings

    # A provider with a caveat (Yahoo's day boundary) logs it as a warning when it is made.
    secrets = Secrets.from_env()
    report = fetch_for_settings(
        settings, wiring.store(settings), wiring.provider(settings, secrets), selected_pairs(args, settings)
    )
    for line in report.lines():
        print(line)
    return 0


def cmd_import_csv(args: argparse.Namespace, settings: Settings) -> int:
    """Import a broker export into the store (refused, store untouched, when it does not fit: see importer)."""
    from fxbot.data.importer import apply_import, plan_import, read_broker_csv

    pair = get_pair(args.pair).code
    if Path(args.path).is_dir():
        raise UsageError(f"{args.path} is a folder; give the exported CSV file")
    if args.only_new and args.replace:
        raise UsageError("--only-new and --replace contradict each other: --only-new never changes a stored bar")
    result = read_broker_csv(Path(args.path), args.day_boundary)
    bars = result.bars
    print(f"{args.path}: {result.dialect}, {result.encoding}; {result.rows} rows, {bars.first_date}..{bars.last_date}")
    print(
        f"  dropped {result.weekend_stubs} weekend stub bar(s) (not trading days) "
        f"and {result.duplicates} duplicate date(s)"
    )
    if result.sundays_folded:
        print(
            f"  WARNING: folded {result.sundays_folded} Sunday bar(s) into Monday; the closes are at 00:00 UTC, "
            "2-3 hours after the New York 17:00 close the models were trained on (as with Yahoo's bars)"
        )
    if result.holidays:
        days = ", ".join(d.isoformat() for d in result.holiday_dates[:5])
        more = ", ..." if len(result.holiday_dates) > 5 else ""
        print(f"  dropped {result.holidays} bar(s) on Dec 25 / Jan 1 (not trading days): {days}{more}")
    store = wiring.store(settings)
    plan = plan_import(
        store,
        pair,
        result,
        source=str(args.path),
        tolerance=args.tolerance,
        max_jump=settings.data.max_jump if args.max_jump is None else args.max_jump,
        replace=args.replace,
        pairs=list(settings.pairs),
        only_new=args.only_new,
        overlap_days=settings.data.overlap_days,
    )
    preview = plan.merge
    print(
        f"  overlaps {plan.overlap} stored bar(s) of {pair}; {preview.revised} differ by more than "
        f"{args.tolerance:.2%}; {preview.new} new"
    )
    if plan.dropped:
        print(f"  --replace: {plan.dropped} stored bar(s) on days the file has no bar (within its span) go")
    if args.dry_run:
        print("  dry run: nothing written")
        return 0
    if plan.changed:
        backup = apply_import(store, plan)
        if backup is not None:
            print(f"  backup of the replaced file: {backup}")
        print(
            f"  wrote {store.path(pair)}: {len(preview.bars)} bars, {preview.bars.first_date}..{preview.bars.last_date}"
        )
    else:
        print("  nothing new; the store is unchanged")
    return 0
