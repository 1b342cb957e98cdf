"""safefiles.write_atomic, the one atomic write: whole files only, no link followed, nothing left behind."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from fxbot.safefiles import WRITE_STEPS, replace_generated, write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_text_and_bytes_replace_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "pointer"
    write_atomic(target, "USDJPY-20241231-1a2b3c4d\n")
    assert target.read_bytes() == b"USDJPY-20241231-1a2b3c4d\n"
    write_atomic(target, "円\n")  # text is UTF-8
    assert target.read_bytes() == "円\n".encode()
    write_atomic(target, b"\x89PNG\r\n")
    assert target.read_bytes() == b"\x89PNG\r\n"
    assert _leftovers(tmp_path) == []


def test_the_mode_is_given_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "page.html", "<p>hi</p>")
        write_atomic(tmp_path / "pointer", "v\n", mode=0o600)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "page.html") == 0o644  # a web server or node_exporter reads it as another user
    assert _mode(tmp_path / "pointer") == 0o600


def test_steps_are_reported_in_order(tmp_path: Path) -> None:
    seen: list[str] = []
    write_atomic(tmp_path / "a", "x", on_step=seen.append)
    assert seen == list(WRITE_STEPS[:3])  # no folder fsync unless asked
    seen.clear()
    write_atomic(tmp_path / "b", "x", sync_dir=True, on_step=seen.append)
    assert seen == list(WRITE_STEPS)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "champion"
    target.write_text("old\n")

    def stop(step: str) -> None:
        if step == "temp-synced":
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "new\n", on_step=stop)
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_a_stale_or_planted_temporary_is_replaced_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "ledger.sqlite"
    victim.write_bytes(b"SQLite format 3\0")
    target = tmp_path / "metrics.prom"
    planted = tmp_path / f".{target.name}.{os.getpid()}.tmp"
    planted.symlink_to(victim)  # a link where the temporary file will be made
    write_atomic(target, "# fxbot\n")
    assert victim.read_bytes() == b"SQLite format 3\0"  # the link was removed, not written through
    assert target.read_text() == "# fxbot\n" and not target.is_symlink()
    assert _leftovers(tmp_path) == []


def test_replace_generated_checks_its_kind_then_writes_through_write_atomic(tmp_path: Path) -> None:
    target = tmp_path / "metrics.prom"
    replace_generated(target, b"# marker\nx 1\n", b"# marker\n", mode=0o640)
    assert target.read_bytes() == b"# marker\nx 1\n" and _mode(target) == 0o640
    other = tmp_path / "notes.txt"
    other.write_text("mine\n")
    with pytest.raises(OSError, match="is not a file fxbot wrote"):
        replace_generated(other, b"# marker\n", b"# marker\n")
    assert other.read_text() == "mine\n"
