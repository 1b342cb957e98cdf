"""State apart from code: seed ``state_dir`` from the bundled data and shipped models on first use.

Everything fxbot changes lives under ``state_dir`` (bars, model registry, ledger); the checkout or
image only brings seeds (``data.seed_dir``, ``model.seed_dir``). Seeding copies what is missing and
never overwrites anything: a pair file already in ``data.dir`` stays as it is, a pair that has a
champion keeps it. A shipped model the registry has never seen (an upgrade brought a newer one)
is added as a challenger, never made champion. Only folders under ``state_dir`` are seeded: an
explicit ``data.dir`` or ``model.dir`` elsewhere means exactly that folder.

Seeding holds an exclusive lock (``state_dir/.seed.lock``, ``flock``): two commands started together on a
fresh state folder (first boot with the daemon and the Slack app both enabled) would otherwise see each
other's half-seeded registry, and one would fail with "no model manifest" and alert. The second waits for
the first and then finds everything in place. The lock is released by the kernel if the holder dies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator

from fxbot.config import Settings
from fxbot.errors import FxbotError

logger = logging.getLogger(__name__)

#: The lock file seeding holds, inside ``state_dir``.
LOCK_NAME = ".seed.lock"


def seed_data(settings: Settings) -> list[str]:
    """Copy each bundled ``<PAIR>.csv`` missing from ``data.dir`` (when under state_dir); what was copied."""
    target, seed = settings.data.dir, settings.data.seed_dir
    if not settings.under_state(target) or not seed.is_dir() or seed.resolve() == target.resolve():
        return []
    done = []
    for source in sorted(seed.glob("*.csv")):
        final = target / source.name
        if final.exists():
            continue
        target.mkdir(parents=True, exist_ok=True)
        import tempfile  # here: seeding happens once, the daily path's later runs skip it

        fd, tmp = tempfile.mkstemp(prefix=f".{source.name}.", dir=target)
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            try:
                os.link(tmp, final)  # never replaces: a file that appeared meanwhile is kept
            except FileExistsError:
                continue
        finally:
            os.unlink(tmp)
        done.append(f"state: seeded {final} from {source}")
    return done


def seed_models(settings: Settings) -> list[str]:
    """Give each pair without a champion the shipped one; add a shipped version never seen as a challenger."""
    target, seed = settings.model.dir, settings.model.seed_dir
    if not settings.under_state(target) or not seed.is_dir() or seed.resolve() == target.resolve():
        return []
    from fxbot.model.artifacts import read_manifest
    from fxbot.model.registry import Registry

    registry, shipped = Registry(target, min_members=settings.training.members), Registry(seed)
    done = []
    for pair in settings.pairs:
        if shipped.champion(pair) is None:
            continue
        folder = shipped.champion_folder(pair)
        version = read_manifest(folder, pair=pair).version
        if registry.champion(pair) is not None and (
            (registry.pair_dir(pair) / version).is_dir() or version in registry.decided(pair)
        ):
            continue
        info = registry.add(folder, by="user", note=f"shipped model from {seed}")
        role = "first champion" if info.champion else "challenger (a newer shipped model)"
        done.append(f"state: {pair}: {info.version} from {folder} is the {role}")
    return done


@contextlib.contextmanager
def _seed_lock(settings: Settings) -> Iterator[None]:
    """Hold ``state_dir/.seed.lock`` exclusively (blocking) while seeding; creates ``state_dir`` if needed."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.state_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        import fcntl  # here: POSIX only, and only when seeding

        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def prepare_state(settings: Settings, *, models: bool = True) -> None:
    """Seed what is missing under ``state_dir`` (bars; models unless ``models`` is False), logging each step.

    A seed that cannot be copied is logged and left: the command then reports the missing data or
    model as it always did.
    """
    lines: list[str] = []
    try:
        with _seed_lock(settings):
            lines += seed_data(settings)
            if models:
                lines += seed_models(settings)
    except (OSError, FxbotError) as exc:
        logger.warning("state: could not seed %s: %s", settings.state_dir, exc)
    for line in lines:
        # First use is routine (INFO, shown with --verbose); a newer shipped model after an upgrade is news.
        logger.log(logging.WARNING if "challenger" in line else logging.INFO, "%s", line)
