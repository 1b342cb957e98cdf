"""Command line: parse arguments, call the library, map errors to exit codes. Nothing else.

Exit codes: 0 ok, 2 usage or configuration error, 3 data or model error, 4 delivery error,
1 anything unexpected. Errors print as one line; ``--verbose`` adds the traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import os
import sys
import traceback
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from msgspec import Meta, Struct

from fxbot import __version__
from fxbot.config import (
    DataSettings,
    ScheduleSettings,
    Secrets,
    Settings,
    TrainingSettings,
    key_bounds,
    load_settings,
)
from fxbot.errors import FxbotError, UsageError
from fxbot.pairs import get_pair
from fxbot.redaction import install_log_filter

logger = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace, Settings], int]
#: `import-csv --tolerance`: the relative difference between a file's bar and a stored one that counts as disagreeing.
TOLERANCE_BOUNDS = Meta(gt=0, le=0.5)


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (the usage is one `--help` away), exit 2."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _bounded(kind: type, meta: Meta, what: str) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` within ``meta``'s bounds, else one line naming them and ``what``."""

    def show(bound: float) -> str:
        return f"{int(bound):,}" if float(bound).is_integer() else f"{bound:g}"

    lo = f">= {show(meta.ge)}" if meta.ge is not None else f"> {show(meta.gt)}" if meta.gt is not None else ""
    hi = f"<= {show(meta.le)}" if meta.le is not None else f"< {show(meta.lt)}" if meta.lt is not None else ""
    rule = " and ".join(r for r in (lo, hi) if r)

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {'a whole number' if kind is int else 'a number'}"
            ) from None
        if not math.isfinite(value) or not (
            (meta.ge is None or value >= meta.ge)
            and (meta.gt is None or value > meta.gt)
            and (meta.le is None or value <= meta.le)
            and (meta.lt is None or value < meta.lt)
        ):
            raise argparse.ArgumentTypeError(f"{text} is out of range: it must be {rule} ({what})")
        return value

    return parse


def _config_number(section: type[Struct], path: str) -> Callable[[str], Any]:
    """An argparse type with the bounds of the config key ``path`` (``training.epochs``): defined once, there."""
    kind, meta = key_bounds(section, path.rsplit(".", 1)[1])
    return _bounded(kind, meta, f"as {path} in the config")


def _count(text: str) -> int:
    """A count on the command line: a whole number from 1 to 1,000,000."""
    return int(_bounded(int, Meta(ge=1, le=1_000_000), "a count")(text))


def _pairs(args: argparse.Namespace, settings: Settings) -> list[str]:
    return [get_pair(p).code for p in args.pairs] if args.pairs else list(settings.pairs)


def cmd_run_once(args: argparse.Namespace, settings: Settings) -> int:
    """Make today's calls and deliver them (or only print them with --dry-run)."""
    from contextlib import nullcontext

    from fxbot import wiring
    from fxbot.config import Secrets
    from fxbot.pipeline import RunOptions, run_once

    options = RunOptions(
        as_of=args.as_of, dry_run=args.dry_run, force=args.force, fetch=not args.no_fetch, replay=args.replay
    )
    secrets = Secrets.from_env()
    # On its own (by hand, cron, a timer) the run pings FXBOT_PING_URL and writes the metrics itself; under
    # the daemon (--supervised) the parent does both; a dry run reports nothing.
    monitor = None if args.dry_run or args.supervised else wiring.job_monitor(settings, secrets)
    with monitor.job() if monitor is not None else nullcontext():
        run_once(settings, wiring.daily_dependencies(settings, secrets), options)
    if settings.site.dir and not args.dry_run:  # after the post: the page in a child process (matplotlib)
        wiring.refresh_site(settings, args.config or os.environ.get("FXBOT_CONFIG"))
    return 0


def cmd_site(args: argparse.Namespace, settings: Settings) -> int:
    """Write the track-record page (index.html, self-contained) to DIR or site.dir."""
    from fxbot.site import build_site

    folder = args.dir or settings.site.dir
    if not folder:
        raise UsageError("give the folder to write the page to (`fxbot site DIR`), or set site.dir in the config")
    path = build_site(settings, Path(folder), report=Path(args.report), locale=args.locale)
    print(f"fxbot: wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    """Build the weekly summary and post it once per week (or only print it with --dry-run)."""
    from fxbot import wiring
    from fxbot.weekly import SummaryOptions, run_summary

    options = SummaryOptions(week=args.week, dry_run=args.dry_run, force=args.force)
    run_summary(settings, wiring.summary_dependencies(settings, Secrets.from_env()), options)
    return 0


def cmd_alert(args: argparse.Namespace, settings: Settings) -> int:
    """Send MESSAGE as an alert through the configured notifiers (systemd's OnFailure= unit uses it)."""
    from fxbot import wiring

    delivered = wiring.alerter(settings, Secrets.from_env())(" ".join(args.message))
    return 0 if delivered else 4


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Check config, data, models and Slack; post nothing."""
    from fxbot.check import run_checks

    result = run_checks(settings, Secrets.from_env(), config_source=args.config or os.environ.get("FXBOT_CONFIG"))
    print("\n".join(result.lines))
    return result.exit_code


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """Print last run, next run, data freshness, models and ledger health."""
    if args.health:  # Docker's HEALTHCHECK: the daemon's liveness only, exit 0 or 1
        from fxbot.health import alive_file_for, health_check

        code, line = health_check(alive_file_for(settings.ledger.path), settings.heartbeat.max_age_seconds)
        print(line)
        return code
    from fxbot.status import status_report

    result = status_report(settings)
    print("\n".join(result.lines))
    return result.exit_code


def cmd_schedule(args: argparse.Namespace, settings: Settings) -> int:
    """Run the daemon until SIGTERM or SIGINT."""
    from fxbot.config import Secrets
    from fxbot.wiring import build_daemon

    # The daemon's own lines (each child's exit code, time and peak RSS) belong in the journal.
    logging.getLogger("fxbot").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    chosen = args.config or os.environ.get("FXBOT_CONFIG")
    if args.replay_days is not None and args.replay_from is None:
        raise UsageError("--replay-days needs --replay-from DATE")
    if args.replay_retrain and args.replay_from is None:
        raise UsageError("--replay-retrain needs --replay-from DATE")
    daemon = build_daemon(
        settings,
        Path(chosen).resolve() if chosen else None,
        Secrets.from_env(),
        replay_from=args.replay_from,
        replay_days=args.replay_days,
        replay_retrain=args.replay_retrain,
    )
    daemon.run()
    return 0


def cmd_slack_app(args: argparse.Namespace, settings: Settings) -> int:
    """Answer /fxbot commands and keep the App Home over Socket Mode until stopped (or stale: exit 4)."""
    from fxbot.wiring import slack_app

    logging.getLogger("fxbot").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    return slack_app(settings, Secrets.from_env()).run()


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    """Print the ledger: calls, outcomes, deliveries, accuracy."""
    from fxbot import wiring
    from fxbot.history import format_history

    if not settings.ledger.path.exists():
        print(f"no ledger at {settings.ledger.path} yet; `fxbot run-once` creates it")
        return 0
    ledger = wiring.ledger(settings)
    store = wiring.store(settings)
    ledger.update_outcomes({code: store.load_or_empty(code) for code in settings.pairs})
    print(format_history(ledger, args.days))
    return 0


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    """Bring the stored bars up to date from the configured provider."""
    from fxbot import wiring
    from fxbot.config import Secrets
    from fxbot.data.fetch import fetch_for_settings

    # A provider with a caveat (Yahoo's day boundary) logs it as a warning when it is made.
    secrets = Secrets.from_env()
    report = fetch_for_settings(
        settings, wiring.store(settings), wiring.provider(settings, secrets), _pairs(args, settings)
    )
    for line in report.lines():
        print(line)
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    """Train the ensembles: into the model registry (a challenger, or the first champion), or flat into --out."""
    import importlib.util

    from fxbot import wiring
    from fxbot.data.store import PriceStore
    from fxbot.model.train_pairs import PairJob, Trained, default_workers, train_pairs

    if importlib.util.find_spec("tensorflow") is None:
        raise UsageError("training needs TensorFlow (tensorflow is missing); install with `pip install -e '.[train]'`")
    cfg = settings.training
    if args.epochs is not None:
        import msgspec

        cfg = msgspec.structs.replace(cfg, epochs=args.epochs)
    store = PriceStore(settings.data.dir)
    jobs = []
    for code in _pairs(args, settings):
        bars = store.load(code)
        jobs.append(PairJob(code, bars.up_to(args.until) if args.until else bars, store.checksum(code)))

    def done(trained: Trained) -> None:
        manifest = trained.manifest
        accs = ", ".join(f"{m.val_accuracy:.3f}" for m in manifest.members)
        print(
            f"{manifest.pair}: trained {manifest.train_start}..{manifest.train_end}, validation from "
            f"{manifest.validation_start}; member val_acc {accs} -> {trained.where}",
            flush=True,
        )

    if args.out:
        from fxbot.safefiles import PAIR_NAME, claim_folder

        def owns(folder: Path) -> bool:  # flat <PAIR>/ folders with a manifest, as `train --out` writes them
            return all(
                p.name.startswith(".") or (PAIR_NAME.fullmatch(p.name) is not None and (p / "manifest.json").is_file())
                for p in folder.iterdir()
            )

        claim_folder(Path(args.out), owns, "--out", "give a new or empty folder, or one `fxbot train --out` wrote")
    destination = Path(args.out) if args.out else wiring.registry(settings)
    train_pairs(jobs, cfg, destination, args.jobs or default_workers(len(jobs)), done)
    return 0


def cmd_retrain(args: argparse.Namespace, settings: Settings) -> int:
    """Train a challenger per pair on the bars up to the last completed month (each pair in its own process)."""
    from fxbot.model.retrain import retrain, retrain_phase

    as_of = args.as_of or dt.datetime.now(dt.UTC).date()
    by: Literal["schedule", "user"] = "schedule" if args.scheduled else "user"
    if args.phase:  # one phase of one pair, here: the children `fxbot retrain` starts per pair
        for code in _pairs(args, settings):
            retrain_phase(settings, code, as_of, args.phase, args.champion)
        return 0
    chosen = args.config or os.environ.get("FXBOT_CONFIG")
    outcomes = retrain(
        settings,
        _pairs(args, settings),
        as_of=as_of,
        config_path=Path(chosen).resolve() if chosen else None,
        by=by,
        timeout=args.timeout if args.timeout is not None else settings.schedule.retrain_timeout,
    )
    print("\n".join(o.line for o in outcomes))
    for failed in [o for o in outcomes if not o.ok]:
        logger.error("%s", failed.line)  # on stderr: the daemon's alert quotes the last line
    return 0 if all(o.ok for o in outcomes) else 3


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    """`fxbot models list | show | promote | rollback | import`: the model registry of model.dir."""
    from fxbot import wiring
    from fxbot.model import catalog

    registry = wiring.registry(settings)
    if args.action == "list":
        lines = catalog.list_lines(registry, _pairs(args, settings))
    elif args.action == "show":
        lines = catalog.show_lines(registry, args.version)
    elif args.action == "promote":
        lines = [catalog.promote(registry, args.version)]
    elif args.action == "rollback":
        lines = catalog.rollback(registry, [get_pair(p).code for p in args.pair])
    else:
        lines = [catalog.import_folder(registry, Path(args.path))]
    print("\n".join(lines))
    return 0


def cmd_backtest(args: argparse.Namespace, settings: Settings) -> int:
    """Walk-forward backtest and risk report (needs fxbot[train])."""
    try:
        from fxbot.backtest.run import BacktestOptions, run_backtest, summary_lines
    except ImportError as exc:
        raise UsageError(
            f"backtesting needs fxbot[train] ({exc.name} is missing); install with `pip install -e '.[train]'`"
        ) from None
    opts = BacktestOptions(
        start=args.start,
        end=args.end,
        retrain=args.retrain,
        workers=args.workers,
        report_dir=Path(args.report),
        pairs=_pairs(args, settings),
        calibrate=args.calibrate,
        max_loss=args.max_loss,
        horizon=args.horizon,
        confidence=args.confidence,
        check_lookahead=args.check_lookahead,
        samples=args.samples,
        reuse=args.reuse,
        variants_file=Path(args.variants) if args.variants else None,
        executor=args.executor,
        ray_address=args.ray_address,
    )
    outcome = run_backtest(settings, opts)
    print("\n".join(summary_lines(outcome, opts.report_dir)))
    return 0


def cmd_trials(args: argparse.Namespace, settings: Settings) -> int:
    """List the trial ledger, one line per walk-forward run, and count it."""
    from fxbot.backtest.trials import corrected_view, correction_line, read_trials, registration_line, trial_line

    path = Path(args.file) if args.file else settings.backtest.trials_file
    ledger = read_trials(path)
    for record in ledger.records:
        if "correction" in record:
            print(correction_line(record))
        elif "registration" in record:
            print(registration_line(record))
        else:
            print(trial_line(record))
    for number, reason in ledger.bad_lines:
        print(f"line {number} of {path}: {reason}; kept as it is, not counted", file=sys.stderr)
    trials = [r for r in ledger.records if "correction" not in r and "registration" not in r]
    corrections = sum("correction" in r for r in ledger.records)
    if corrections:
        view = corrected_view(ledger.records)
        print(
            f"{len(trials)} trial(s) on record in {path}; {corrections} correction(s): "
            f"{len(view)} in the corrected view (the Deflated Sharpe counts these)"
        )
    else:
        print(f"{len(trials)} trial(s) on record in {path}")
    return 0


def cmd_risk(args: argparse.Namespace, settings: Settings) -> int:
    """Print today's book from history: every loss view, the stress windows, the leverages within the budget."""
    from fxbot import wiring
    from fxbot.pipeline import build_report, load_bars, resolve_as_of
    from fxbot.risk_text import risk_lines

    deps = wiring.daily_dependencies(settings, Secrets.from_env())
    as_of = resolve_as_of(args.as_of, deps.now)
    report = build_report(settings, deps, load_bars(settings, deps.store), as_of, explicit=args.as_of)
    print("\n".join(risk_lines(report)))
    return 0


def cmd_evidence(args: argparse.Namespace, settings: Settings) -> int:
    """Write each pair's evidence.json beside its models from a committed walk-forward report."""
    from fxbot import wiring
    from fxbot.model.evidence import write_evidence

    registry = wiring.registry(settings)  # beside the champion each pair's posts are made with
    folders = {code: registry.champion_folder(code) for code in _pairs(args, settings)}
    for path in write_evidence(Path(args.report), folders):
        print(f"wrote {path}")
    return 0


def cmd_import_csv(args: argparse.Namespace, settings: Settings) -> int:
    """Import a broker export into the store (refused, store untouched, when it does not fit: see importer)."""
    from fxbot.data.importer import apply_import, plan_import, read_broker_csv
    from fxbot.data.store import PriceStore

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
    store = PriceStore(settings.data.dir)
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


class _Unbuilt:
    """What ``_OnlyCommand.add_parser`` returns for a command that is not being run: it takes the
    calls that would build that command's parser (arguments, defaults, nested commands) and drops them."""

    def add_argument(self, *args: Any, **kwargs: Any) -> None:
        """Dropped."""

    def set_defaults(self, **kwargs: Any) -> None:
        """Dropped."""

    def add_subparsers(self, **kwargs: Any) -> _Unbuilt:
        """Nested commands of an unbuilt command: unbuilt too."""
        return self

    def add_parser(self, name: str, **kwargs: Any) -> _Unbuilt:
        """Dropped."""
        return self


class _OnlyCommand:
    """The subcommands of ``fxbot``, building the full parser of ``command`` only (None: all of them).

    Every subcommand's parser costs argparse a HelpFormatter and gettext look-ups per argument:
    building all of them was about 7 ms of every run, of which a run needs its own command's.
    ``found`` says whether ``command`` was one of them (if not, ``main`` builds them all, for the
    usual "invalid choice" message).
    """

    def __init__(self, sub: Any, command: str | None) -> None:
        self._sub, self._command, self.found = sub, command, False

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        """The real parser of the command being run (or of every command), an ``_Unbuilt`` otherwise."""
        if self._command is not None and name != self._command:
            return _Unbuilt()
        self.found = True
        return self._sub.add_parser(name, **kwargs)


def command_in(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (the first word that is neither an option nor --config's value)."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every subcommand, or with ``command`` only that one (see ``_OnlyCommand``).

    Raises LookupError if ``command`` is not a subcommand."""
    # --config and --verbose work before or after the command; the copy on each subcommand must
    # not reset a value given before it, hence SUPPRESS there.
    top = argparse.ArgumentParser(add_help=False)
    common = argparse.ArgumentParser(add_help=False)
    for target, default in ((top, None), (common, argparse.SUPPRESS)):
        target.add_argument(
            "--config",
            metavar="PATH",
            default=default,
            help="YAML config (default: $FXBOT_CONFIG, else built-in defaults)",
        )
        target.add_argument(
            "--verbose",
            "-v",
            action="store_true",
            default=default or False,
            help="log more and show tracebacks on errors",
        )

    parser = _Parser(prog="fxbot", description="Daily FX signal bot for USD/JPY, EUR/JPY and GBP/JPY.", parents=[top])
    parser.add_argument("--version", action="version", version=f"fxbot {__version__}")
    sub = _OnlyCommand(parser.add_subparsers(dest="command", metavar="COMMAND", required=True), command)

    p = sub.add_parser(
        "run-once",
        parents=[common],
        help="make today's calls and deliver them",
        description="Make the calls from the latest bars and deliver them.",
    )
    p.add_argument("--dry-run", action="store_true", help="print the calls; post and record nothing")
    p.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="what the bot would have said after DATE's close (bars up to DATE only)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="post even if the day's calls were already posted (a person's decision; also allows a past --as-of)",
    )
    p.add_argument(
        "--replay",
        action="store_true",
        help="allow a past --as-of to post; the post says it is a replay, and a posted day is not posted again",
    )
    p.add_argument("--no-fetch", action="store_true", help="use the stored bars as they are; fetch nothing first")
    p.add_argument(
        "--supervised",
        action="store_true",
        help="neither ping FXBOT_PING_URL nor write metrics.textfile: the `fxbot schedule` daemon does it for its runs",
    )
    p.set_defaults(handler=cmd_run_once)

    p = sub.add_parser(
        "fetch",
        parents=[common],
        help="bring the stored bars up to date from the data provider",
        description="Fetch the bars after the last stored one (with a few days of overlap to catch revisions), "
        "check them and merge them into the store. data.provider picks the source.",
    )
    p.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to fetch (default: all configured)")
    p.set_defaults(handler=cmd_fetch)

    p = sub.add_parser(
        "check",
        parents=[common],
        help="check config, data, models and Slack without posting",
        description="Validate the config, call Slack's auth.test and check the channel, report data and models.",
    )
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser(
        "schedule",
        parents=[common],
        help="run the daily job on schedule.cron until stopped (the daemon)",
        description="Run `fxbot run-once` in a fresh child process at schedule.cron; SIGTERM stops cleanly.",
    )
    p.add_argument(
        "--replay-from",
        type=_date,
        metavar="DATE",
        help="replay: each firing runs the next trading day from DATE (as run-once --as-of) instead of today",
    )
    p.add_argument("--replay-days", type=_count, metavar="N", help="with --replay-from: stop after N days")
    p.add_argument(
        "--replay-retrain",
        action="store_true",
        help="with --replay-from: retrain monthly as the schedule would (`fxbot retrain --as-of` before the first "
        "replayed day of each month); challengers are shadowed and judged by the replayed runs",
    )
    p.set_defaults(handler=cmd_schedule)

    p = sub.add_parser(
        "slack-app",
        parents=[common],
        help="answer /fxbot in Slack and keep the App Home (Socket Mode; its own long-running process)",
        description="Connect to Slack over Socket Mode (SLACK_APP_TOKEN, xapp-) and answer /fxbot status, "
        "history [N], week and help, read-only and visible only to the asker, to the users and channels in "
        "slack_app.allowed_*; publish the App Home. Exit 4 when the connection goes stale (systemd restarts it).",
    )
    p.set_defaults(handler=cmd_slack_app)

    p = sub.add_parser(
        "status",
        parents=[common],
        help="last run, next run, data freshness, models, ledger health",
        description="Report local state without network access; exit 3 if data are stale or models missing.",
    )
    p.add_argument(
        "--health",
        action="store_true",
        help="only whether the `fxbot schedule` daemon is alive (its liveness file is fresh): exit 0 or 1 "
        "(the Docker HEALTHCHECK)",
    )
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser(
        "alert",
        parents=[common],
        help="send a message as an alert through the configured notifiers",
        description="Send MESSAGE to the console and, with a Slack credential, to notify.slack.error_channel "
        "(else the channel). systemd's OnFailure= unit (deploy/fxbot-alert@.service) uses it. Exit 4 if a "
        "notifier failed.",
    )
    p.add_argument("message", nargs="+", metavar="MESSAGE", help="the alert text")
    p.set_defaults(handler=cmd_alert)

    p = sub.add_parser(
        "history",
        parents=[common],
        help="the ledger: calls, realized moves, deliveries, accuracy",
        description="Show recorded calls with their realized outcome and delivery status, and accuracy per pair.",
    )
    p.add_argument("--days", type=_count, metavar="N", help="only the latest N bar days (default: all)")
    p.set_defaults(handler=cmd_history)

    p = sub.add_parser(
        "train",
        parents=[common],
        help="train each pair's ensemble (training.members members; needs fxbot[train])",
        description="Train the ensembles on the stored bars and store each as a new version in model.dir "
        "(the champion if the pair has none, else a challenger), or flat folders in --out.",
    )
    p.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to train (default: all configured)")
    p.add_argument("--until", type=_date, metavar="DATE", help="last bar used for training (default: all)")
    p.add_argument(
        "--epochs",
        type=_config_number(TrainingSettings, "training.epochs"),
        metavar="N",
        help="maximum epochs (default: training.epochs)",
    )
    p.add_argument(
        "--out", metavar="DIR", help="write flat <PAIR>/ folders here instead of the registry (to import elsewhere)"
    )
    p.add_argument(
        "--jobs",
        type=_count,
        metavar="N",
        help="pairs trained at once, each in its own process (default: one per pair, core and GiB of memory)",
    )
    p.set_defaults(handler=cmd_train)

    p = sub.add_parser(
        "retrain",
        parents=[common],
        help="train a challenger per pair on the bars up to the last completed month (needs fxbot[train])",
        description="Train each pair's challenger with its champion's settings, each pair in its own child "
        "process; the daily run then makes its shadow calls and the gate decides. Without TensorFlow it is "
        "skipped with one line saying what to do instead.",
    )
    p.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to retrain (default: all configured)")
    p.add_argument("--as-of", type=_date, metavar="DATE", help="train on bars up to the month before DATE's")
    p.add_argument(
        "--timeout",
        type=_bounded(float, Meta(gt=0, le=key_bounds(ScheduleSettings, "retrain_timeout")[1].le), "seconds"),
        metavar="S",
        help="seconds for all pairs (default: schedule.retrain_timeout)",
    )
    p.add_argument("--scheduled", action="store_true", help="log the new versions as made by the schedule")
    p.add_argument("--phase", choices=["fit", "export", "holdback"], help=argparse.SUPPRESS)
    p.add_argument("--champion", help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_retrain)

    p = sub.add_parser(
        "models",
        parents=[common],
        help="the model registry: list, show, promote, rollback, import versions",
        description="Each pair keeps immutable model versions in model.dir/<PAIR>/<version>/, a champion pointer "
        "(the version the daily run uses) and a promotions log (model.dir/promotions.jsonl).",
    )
    models = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = models.add_parser("list", parents=[common], help="every pair's versions; champion and challenger marked")
    q.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to list (default: all configured)")
    q = models.add_parser("show", parents=[common], help="one version's manifest and log records")
    q.add_argument("version", metavar="VERSION", help="e.g. USDJPY-20241231-1a2b3c4d")
    q = models.add_parser("promote", parents=[common], help="make VERSION its pair's champion (checked, logged)")
    q.add_argument("version", metavar="VERSION", help="a stored version (`fxbot models list`)")
    q = models.add_parser("rollback", parents=[common], help="restore PAIR's previous champion (logged)")
    q.add_argument("pair", nargs="+", metavar="PAIR", help="the pair(s) to roll back")
    q = models.add_parser(
        "import",
        parents=[common],
        help="check a version folder trained elsewhere and store it (a challenger, or the champion of a new pair)",
    )
    q.add_argument("path", metavar="DIR", help="the version folder (manifest.json and member files)")
    p.set_defaults(handler=cmd_models)

    p = sub.add_parser(
        "backtest",
        parents=[common],
        help="walk-forward backtest and risk report (needs fxbot[train])",
        description="Retrain the ensembles before each period, call each day of it from earlier bars only, "
        "and write report.md, metrics.json and charts.",
    )
    p.add_argument(
        "--from",
        dest="start",
        type=_date,
        default=dt.date(2008, 1, 1),
        metavar="DATE",
        help="first decision day (default 2008-01-01: the 2008 crash is inside the test)",
    )
    p.add_argument("--to", dest="end", type=_date, metavar="DATE", help="last decision day (default: last bar)")
    p.add_argument(
        "--retrain",
        choices=["yearly", "quarterly", "none"],
        default="yearly",
        help="how often the ensembles are retrained (default yearly)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="training processes (default 1); with --executor ray, tasks at a time (default: every cluster CPU)",
    )
    p.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="local: this machine's process pool (default); ray: a Ray cluster (needs fxbot[cluster])",
    )
    p.add_argument(
        "--ray-address",
        metavar="HOST:PORT",
        help="join this running Ray cluster ('auto' finds a local one); default: start a private local cluster",
    )
    p.add_argument(
        "--variants",
        metavar="FILE.yaml",
        help="run every variant of FILE over the same periods (a sweep); each is a trial on record",
    )
    p.add_argument(
        "--report", default="reports/backtest", metavar="DIR", help="report folder (default reports/backtest)"
    )
    p.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to test (default: all configured)")
    p.add_argument("--calibrate", action="store_true", help="propose leverages within the risk budget")
    p.add_argument(
        "--max-loss",
        type=float,
        default=0.25,
        metavar="F",
        help="risk budget, fraction of equity (0.25)",
    )
    p.add_argument(
        "--horizon",
        type=int,
        default=20,
        metavar="DAYS",
        help="P/L horizon in trading days (20)",
    )
    p.add_argument(
        "--confidence",
        type=float,
        default=0.999,
        metavar="C",
        help="interval confidence (0.999)",
    )
    p.add_argument(
        "--check-lookahead",
        action="store_true",
        help="retrain sampled calls with the data cut at their day; fail if any differs",
    )
    p.add_argument("--samples", type=int, default=5, metavar="N", help="calls the look-ahead check recomputes (5)")
    p.add_argument(
        "--reuse", action="store_true", help="re-report the calls already in DIR (calls.csv) without retraining"
    )
    p.set_defaults(handler=cmd_backtest)

    p = sub.add_parser(
        "trials",
        parents=[common],
        help="list the trial ledger: every walk-forward run on record",
        description="List backtest.trials_file, one line per trial (variant, periods, accuracy vs always-buy, "
        "Sharpe), and count them. Nothing is ever deleted from it.",
    )
    p.add_argument("--file", metavar="PATH", help="another trials file (default: backtest.trials_file)")
    p.set_defaults(handler=cmd_trials)

    p = sub.add_parser(
        "summary",
        parents=[common],
        help="the weekly summary: calls, accuracy against always-buy, P/L, drawdown, one chart",
        description="Summarise the week (Monday-Friday) that holds DATE from the ledger, per pair and pooled, "
        "and post it once per week and channel (the daemon does it at schedule.summary_cron).",
    )
    p.add_argument(
        "--week",
        type=_date,
        metavar="DATE",
        help="any day of the week (default: the newest week whose Friday has closed)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the summary; post and record nothing")
    p.add_argument("--force", action="store_true", help="post even if this week's summary was posted")
    p.set_defaults(handler=cmd_summary)

    p = sub.add_parser(
        "risk",
        parents=[common],
        help="today's book from history: 20-day and 1-day losses, stress windows, leverage within the budget",
        description="Make today's calls (as `run-once --dry-run --no-fetch` does, posting and recording nothing) and "
        "print every loss figure of the book from history: today's positions over every past 20-day window, "
        "the same at today's volatility, following the calls in the walk-forward, the 1-day 99%% loss, named "
        "stress windows, and the leverage scale that keeps the posted loss and the worst 20 days within "
        "notify.risk.budget.",
    )
    p.add_argument("--as-of", type=_date, metavar="DATE", help="the book of the calls after DATE's close")
    p.set_defaults(handler=cmd_risk)

    p = sub.add_parser(
        "site",
        parents=[common],
        help="write the track-record page: DIR/index.html, self-contained (opens from disk)",
        description="Write one self-contained page (inline SVG charts, no outside asset): the verdict on the edge, "
        "the live P/L of following the calls against always-buy, the rolling accuracy with its random band, a "
        "per-pair table, the walk-forward (labelled a backtest), the risk figures and their exceedances, the "
        "models and the promotions log. Every run rewrites it when site.dir is set.",
    )
    p.add_argument("dir", nargs="?", metavar="DIR", help="the folder (default: site.dir)")
    p.add_argument(
        "--report",
        default="reports/backtest-2008-2024",
        metavar="DIR",
        help="the walk-forward report whose calls.csv is shown as the backtest (default reports/backtest-2008-2024)",
    )
    p.add_argument("--locale", choices=("en", "ja"), default=None, help="the page's language (default notify.locale)")
    p.set_defaults(handler=cmd_site)

    p = sub.add_parser(
        "evidence",
        parents=[common],
        help="store a walk-forward's evidence with the models (models/<PAIR>/evidence.json)",
        description="Read DIR/metrics.json (written by `fxbot backtest`) and write each pair's evidence.json "
        "into model.dir: the vote's accuracy against always-buy on the same calls, the p-value, and the "
        "20-day loss from history of following the calls (99.9% quantile, shortfall, worst window). Every post "
        "quotes it.",
    )
    p.add_argument(
        "--report",
        default="reports/backtest-2008-2024",
        metavar="DIR",
        help="walk-forward report folder (default reports/backtest-2008-2024)",
    )
    p.add_argument("--pairs", nargs="+", metavar="PAIR", help="pairs to write (default: all configured)")
    p.set_defaults(handler=cmd_evidence)

    p = sub.add_parser(
        "import-csv",
        parents=[common],
        help="import a broker CSV export into the store",
        description="Import a MetaTrader, generic or Japanese broker CSV export.",
    )
    p.add_argument("path", metavar="PATH", help="the CSV file")
    p.add_argument("--pair", required=True, help="which pair the file holds, e.g. USDJPY")
    p.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    p.add_argument(
        "--tolerance",
        type=_bounded(float, TOLERANCE_BOUNDS, "a relative difference"),
        default=1e-4,
        help="relative difference that counts as disagreeing (default 0.0001)",
    )
    p.add_argument(
        "--only-new",
        action="store_true",
        help="append only the bars after the last stored one; the seam (data.overlap_days) is checked as a "
        "fetch's overlap is, the rest of the file's history is ignored",
    )
    p.add_argument(
        "--day-boundary",
        choices=["new-york", "utc"],
        default="new-york",
        help="where the file's days end: new-york (17:00, fxbot's bars; a file with Sunday bars is refused) or "
        "utc (midnight GMT/UTC: each Sunday bar is folded into its Monday, with a warning)",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="let the file's bars replace stored bars that differ from them (refused otherwise when more than "
        "a few differ); the old file is kept in <data dir>/backup/",
    )
    p.add_argument(
        "--max-jump",
        type=_config_number(DataSettings, "data.max_jump"),
        default=None,
        metavar="FRACTION",
        help="refuse a close this far from the previous close (default: data.max_jump, 0.15)",
    )
    p.set_defaults(handler=cmd_import_csv)
    if not sub.found:
        raise LookupError(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fxbot`` console script."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        parser = build_parser(command_in(arguments))
    except LookupError:  # not a command: the whole parser, to list the commands in its error
        parser = build_parser()
    args = parser.parse_args(arguments)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # urllib3 logs every retry as a warning; the provider's one-line error says what finally went wrong.
    logging.getLogger("urllib3").setLevel(logging.INFO if args.verbose else logging.ERROR)
    # slack_sdk logs at INFO only when it retries; below that only errors, which fxbot reports itself.
    logging.getLogger("slack_sdk").setLevel(logging.INFO if args.verbose else logging.CRITICAL)
    # Once, on the root handlers: every record from every logger passes it (slack_sdk logs request URLs).
    secrets = Secrets.from_env()
    install_log_filter(secrets.values())
    try:
        settings = load_settings(args.config)
        if args.command not in ("schedule", "alert") and not getattr(args, "health", False):
            # First use (and after an upgrade): seed state_dir; the daemon leaves it to its children.
            from fxbot import wiring

            wiring.prepare_state(settings)
        return int(args.handler(args, settings))
    except FxbotError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"fxbot: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fxbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `fxbot history | head`: the reader left; not an error worth a line
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:  # the last line of defence: one line, the traceback on request
        if args.verbose:
            traceback.print_exc()
        print(
            f"fxbot: unexpected error: {type(exc).__name__}: {exc} (run with --verbose for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
