"""Ledger fixtures: a test can only call past days by replaying them; some stand for a live history."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def as_live(path: Path) -> int:
    """Mark every call in the ledger at ``path`` live, as if each day had been run after its own close.

    Replays never count in a live figure (``fxbot.ledger``: ``kind``); a fixture that replays days to
    stand for a live record says so by calling this. Returns how many calls it relabelled.
    """
    db = sqlite3.connect(path)
    try:  # closed, not only committed: the last connection's close checkpoints the WAL into the file a test copies
        with db:
            changed = db.execute("UPDATE signals SET kind = 'live' WHERE kind != 'live'").rowcount
            db.execute("UPDATE shadow_calls SET kind = 'live' WHERE kind != 'live'")
    finally:
        db.close()
    return int(changed)
