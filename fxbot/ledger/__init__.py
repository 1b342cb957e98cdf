"""The ledger: fxbot's memory in one SQLite file (stdlib sqlite3), schema versioned.

    runs        one row per `run-once`: start, end, status (running, ok, skipped, failed), error
    signals     each day's call per pair (keyed on bar day and pair) and, once the next bar is
                stored, its realized outcome: move = close[next] / close[D] - 1, right if the sign
                of the move matches the call; ``kind`` is live, replay or dry (below)
    shadow_calls  a challenger's calls on the same days (keyed on bar day, pair and model version),
                recorded and scored like the signals but never posted: the promotion gate's evidence
    no_outcome  the posts whose outcome is never replied (a replay's: its outcome is not news)
    deliveries  one row per attempt to deliver a day's report to a destination (a Slack channel
                ID, or a hash of the webhook URL: never the URL itself), with its status:
                pending (intent recorded, post not confirmed), sent (with the Slack ts),
                failed (known not to have been posted); a post's outcome reply is a delivery of its own
                (destination ``outcome:<channel>``, keyed on the post's day)

Exactly once: before posting, a ``pending`` row is committed; after the post, the row is marked
``sent`` with Slack's message timestamp. A crash between the two leaves ``pending``, which the
next run reconciles (see ``fxbot.notify.manager``). Every write is its own transaction. Two live
runs never deliver the same day to the same place at once: each holds a lease (``lease``), an
exclusive ``flock`` on a small file that the kernel releases when its process dies, so a run takes
over only from a process that is really gone.

The calls of a day that was posted are never rewritten: a later run (another model, --force)
keeps what the channel actually received.

Live and replayed calls (``kind``): a call made by a run whose as-of day is before the last
completed trading day when it ran (``--as-of`` in the past: ``--replay``, ``--force``, the replay
daemon) is a replay, every other recorded call is live; ``dry`` is reserved for a dry run's calls
(a dry run records nothing today). Only live calls count in any live figure: the track record in
the post, the rollback flag, `fxbot history`'s accuracy, the App Home, the weekly summary, the
metrics, the VaR record, and the gate of a live run. Schema 1 ledgers had no ``kind``: migrating
one classifies each existing call by the same rule, from its run's start time (``runs.started_at``)
and its as-of day; a shadow call without a run is taken as live.

A ledger that fails fails loudly: a damaged, read-only or vanished file is a ``LedgerError``
(exit 3, one line naming the file and the fix), never a silent new ledger. A marker file beside it
(``<name>.in-use``) remembers that a ledger was in use, so a deleted or truncated one is noticed.

The package is split by table: ``db`` (the file, schema, migrations, transactions), ``runs``, ``calls``
(signals), ``shadow`` (shadow calls, notices), ``deliveries`` (and no_outcome), ``book_risk``, ``lease``;
``Ledger`` joins the tables' classes, and ``NullLedger`` (``null``) answers for a run without state.
"""

from __future__ import annotations

from fxbot.ledger.book_risk import BookRisk, BookRiskTable
from fxbot.ledger.calls import KINDS, CallsTable, HistoryRow, ScoredCall
from fxbot.ledger.db import SCHEMA_VERSION, call_kind, ledger_error
from fxbot.ledger.deliveries import DeliveriesTable, Delivery
from fxbot.ledger.lease import no_lease
from fxbot.ledger.null import NullLedger
from fxbot.ledger.runs import RunsTable
from fxbot.ledger.shadow import ShadowTable

__all__ = [
    "KINDS",
    "SCHEMA_VERSION",
    "BookRisk",
    "Delivery",
    "HistoryRow",
    "Ledger",
    "NullLedger",
    "ScoredCall",
    "call_kind",
    "ledger_error",
    "no_lease",
]


class Ledger(RunsTable, CallsTable, ShadowTable, DeliveriesTable, BookRiskTable):
    """Runs, signals, deliveries and outcomes in one SQLite file."""
