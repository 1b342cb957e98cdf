"""The model registry: immutable version folders, a champion pointer per pair, a promotions log.

    <root>/
        promotions.jsonl                 append-only: one JSON line per change of champion (and decision)
        .registry.lock                   flock held by whoever changes the registry
        USDJPY/
            champion                     the champion's version name, one line; replaced atomically
            USDJPY-20241231-1a2b3c4d/    one immutable folder per version: manifest.json + member files
            USDJPY-20250131-5e6f7a8b/
        ...

A reader (the daily run) reads ``<PAIR>/champion`` and loads that folder. The pointer only ever
changes by ``os.replace`` of a fully written and fsynced temporary file, and only to a version
folder that is complete (it was checked before, and version folders never change), so a reader
finds the old champion or the new one, never half of either, whenever a promotion is killed.

The promotions log is the record: ``when, pair, action, from, to, by (schedule | user), evidence``.
Its lines are appended and fsynced after the pointer moved; a promotion killed between the two is
noticed on the next change (the pointer and the log's last word disagree) and recorded then, as
action ``recover``. ``rollback`` goes back to the champion before the current one, as the log tells.

An older checkout kept each pair's files directly in ``<root>/<PAIR>/`` (manifest.json beside the
members). Such a folder is read as it is (the champion is that folder) until the registry is first
changed, when it is migrated: every file of the pair folder is copied into its version folder, the
pointer is written and logged, and only then are the old files removed, so a crash at any point
loses nothing and leaves a loadable champion.

This module is the registry's logic; its files are elsewhere: what a version folder holds, how it
is copied in, checked and checksummed is ``fxbot.model.version_files``, the promotions log is
``fxbot.model.promotions``, and every pointer and checksum file is written by
``fxbot.safefiles.write_atomic``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from fxbot.errors import ModelError, UsageError
from fxbot.model import promotions
from fxbot.model.artifacts import MANIFEST_NAME, Manifest, read_manifest
from fxbot.model.promotions import Action, By, Entry
from fxbot.model.version_files import (
    HOLDBACK_KEY,
    HOLDBACK_NAME,
    copy_checked,
    file_sha256,
    folder_checksum,
    fsync_tree,
    source_pair,
    validate_folder,
)
from fxbot.pairs import PAIRS
from fxbot.safefiles import (
    MAX_POINTER_BYTES,
    PAIR_NAME,
    VERSION_NAME,
    WRITE_STEPS,
    child_path,
    fsync_dir,
    read_bounded,
    write_atomic,
)

__all__ = [  # the log's types are part of the registry's interface (gate, pipeline, Slack app)
    "CHECKSUM_NAME",
    "LEGACY",
    "LOG_NAME",
    "PROMOTION_STEPS",
    "Action",
    "By",
    "Entry",
    "Registry",
    "VersionInfo",
    "pair_of_version",
]

logger = logging.getLogger(__name__)

POINTER_NAME = "champion"
#: Beside the pointer: ``<version> <sha256>``, the checksum of that version's files taken when it became champion.
CHECKSUM_NAME = "champion.sha256"
LOG_NAME = "promotions.jsonl"
LOCK_NAME = ".registry.lock"
#: The pseudo-version of a pair folder in the old flat layout (manifest.json directly in <root>/<PAIR>/).
LEGACY = "(unversioned)"
Step = Callable[[str], None]
#: The steps of a promotion, in order; ``on_step`` is called after each (the kill tests stop there).
PROMOTION_STEPS = ("checked", *WRITE_STEPS, "logged")


class VersionInfo(msgspec.Struct, frozen=True):
    """A stored version and its place in the registry."""

    pair: str
    version: str
    folder: Path
    manifest: Manifest
    champion: bool


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def pair_of_version(version: str) -> str:
    """The pair a version string belongs to (``USDJPY-20241231-1a2b3c4d``: USDJPY)."""
    pair = version.split("-", 1)[0]
    if pair not in PAIRS or not VERSION_NAME.fullmatch(version):
        raise UsageError(
            f"{version!r} is not a model version (PAIR-YYYYMMDD-hash, e.g. USDJPY-20241231-1a2b3c4d); "
            "`fxbot models list` shows them"
        )
    return pair


class Registry:
    """Versions, champions and the promotions log under one root folder (``model.dir``)."""

    def __init__(self, root: Path, *, min_members: int = 1) -> None:
        self.root = Path(root)
        self.min_members = min_members
        self._verified: dict[str, str] = {}  # pair -> the champion version whose checksum matched in this process

    # ---- reading (never writes: the daily run and `status` use these) ----

    @property
    def log_path(self) -> Path:
        """The promotions log."""
        return self.root / LOG_NAME

    def pair_dir(self, pair: str) -> Path:
        """The folder of ``pair``'s versions (a known pair code only: the name never walks out of the root)."""
        if pair not in PAIRS:
            raise ModelError(f"{pair!r} is not a pair fxbot knows ({', '.join(PAIRS)}); refused as a folder name")
        return child_path(self.root, pair, PAIR_NAME, "pair")

    def version_dir(self, pair: str, version: str) -> Path:
        """The folder of ``version`` in ``pair``'s folder (a registry version name only, resolved inside it)."""
        return child_path(self.pair_dir(pair), version, VERSION_NAME, "version")

    def pointer(self, pair: str) -> Path:
        """The champion pointer file of ``pair``."""
        return self.pair_dir(pair) / POINTER_NAME

    def is_legacy(self, pair: str) -> bool:
        """True if ``pair`` is still in the old flat layout (manifest.json directly in its folder)."""
        return (self.pair_dir(pair) / MANIFEST_NAME).is_file() and not self.pointer(pair).is_file()

    def champion(self, pair: str) -> str | None:
        """The champion's version name, ``LEGACY`` for an unmigrated flat folder, or None if there is none."""
        pointer = self.pointer(pair)
        fix = "set one with `fxbot models promote VERSION` (`fxbot models list` shows them)"
        try:
            text = read_bounded(pointer, MAX_POINTER_BYTES, fix).decode("utf-8").strip()
        except FileNotFoundError:
            return LEGACY if (self.pair_dir(pair) / MANIFEST_NAME).is_file() else None
        except UnicodeDecodeError:
            raise ModelError(f"{pointer}: the champion pointer is not text; {fix}") from None
        if not VERSION_NAME.fullmatch(text) or not text.startswith(f"{pair}-"):
            shown = text if len(text) <= 60 else f"{text[:60]}..."
            raise ModelError(f"{pointer}: the champion pointer holds {shown!r}, not a {pair} version; {fix}")
        return text

    def champion_folder(self, pair: str) -> Path:
        """The folder the daily run loads ``pair``'s ensemble from."""
        version = self.champion(pair)
        if version is None:
            raise ModelError(
                f"no model manifest at {self.pair_dir(pair)} (and no champion pointer); "
                "run `fxbot train`, `fxbot models import DIR`, or point model.dir at the shipped ones: "
                "{shipped}/models"
            )
        if version == LEGACY:
            return self.pair_dir(pair)
        folder = self.version_dir(pair, version)
        if not (folder / MANIFEST_NAME).is_file():
            raise ModelError(
                f"{pair}: the champion {version} has no folder with a manifest in {self.pair_dir(pair)}; "
                "restore it or `fxbot models rollback`"
            )
        self._check_integrity(pair, version, folder)
        return folder

    def _check_integrity(self, pair: str, version: str, folder: Path) -> None:
        """Refuse a champion whose files changed since its promotion (the checksum recorded then).

        A champion promoted before checksums were recorded is checked by its manifest alone: the
        version name is a hash of the manifest, so a hand-edited one no longer matches its folder.
        """
        if self._verified.get(pair) == version:
            return
        recorded = self._recorded_checksum(pair)
        if recorded is not None and recorded[0] == version:
            changed = folder_checksum(folder, pair) != recorded[1]
        else:
            try:
                changed = read_manifest(folder, pair=pair).version != version
            except ModelError:
                changed = True
        if changed:
            stack = [v for v in self.champion_stack(pair) if v != version]
            good = (
                f"`fxbot models rollback {pair}` returns to {stack[-1]}"
                if stack
                else ("`fxbot models promote VERSION` picks another stored version")
            )
            raise ModelError(
                f"{pair}: the champion {version} in {folder} changed since it was promoted (its manifest or "
                f"member files differ from the checksum taken then); refused: restore the folder, or {good}"
            )
        self._verified[pair] = version

    def _recorded_checksum(self, pair: str) -> tuple[str, str] | None:
        try:
            text = read_bounded(self.pair_dir(pair) / CHECKSUM_NAME, MAX_POINTER_BYTES, "promote the champion again")
        except FileNotFoundError:
            return None
        parts = text.decode("utf-8", "replace").split()
        return (parts[0], parts[1]) if len(parts) == 2 else None

    def version_folder(self, version: str) -> Path:
        """The folder of ``version`` (UsageError if the registry has no such version)."""
        pair = pair_of_version(version)
        folder = self.version_dir(pair, version)
        if folder.is_dir() and (folder / MANIFEST_NAME).is_file():
            return folder
        if self.champion(pair) == LEGACY and self._legacy_version(pair) == version:
            return self.pair_dir(pair)
        raise UsageError(f"no model version {version} in {self.pair_dir(pair)}; `fxbot models list` shows them")

    def _legacy_version(self, pair: str) -> str:
        return read_manifest(self.pair_dir(pair), pair=pair).version

    def versions(self, pair: str) -> list[VersionInfo]:
        """Every stored version of ``pair``, oldest training end first (the champion marked)."""
        champion = self.champion(pair)
        out: list[VersionInfo] = []
        folder = self.pair_dir(pair)
        if champion == LEGACY:
            manifest = read_manifest(folder, pair=pair)
            out.append(VersionInfo(pair, manifest.version, folder, manifest, True))
        if folder.is_dir():
            for child in sorted(folder.iterdir()):
                if child.name.startswith(".") or not (child / MANIFEST_NAME).is_file():
                    continue
                try:
                    manifest = read_manifest(child, pair=pair)
                except ModelError as exc:
                    logger.warning("%s", exc)
                    continue
                out.append(VersionInfo(pair, child.name, child, manifest, child.name == champion))
        out.sort(key=lambda v: (v.manifest.train_end, v.manifest.created_at, v.version))
        return out

    def history(self, pair: str | None = None) -> list[Entry]:
        """The promotions log (of ``pair``, or all), oldest first; a damaged line is skipped with a warning."""
        return promotions.read_log(self.log_path, pair)

    def added_with(self, version: str, key: str) -> str | None:
        """The value of ``key`` in the evidence of the log line that added ``version`` (seed or import), or None."""
        for entry in self.history(pair_of_version(version)):
            if entry.to_version == version and entry.action in ("seed", "import"):
                value = entry.evidence.get(key)
                return value if isinstance(value, str) else None
        return None

    def champion_stack(self, pair: str) -> list[str]:
        """The champions of ``pair`` as the log tells, each promotion pushing and each rollback popping."""
        return promotions.champion_stack(self.history(pair))

    def decided(self, pair: str) -> set[str]:
        """Versions that were champion once or were judged and kept out: no longer challengers."""
        return promotions.decided(self.history(pair))

    def challengers(self, pair: str) -> list[VersionInfo]:
        """Every stored version not decided yet and trained after the champion, oldest first.

        Each is shadowed and judged on its own: a challenger is never dropped because a newer one
        arrived before it had its ``lifecycle.shadow_days`` scored calls.
        """
        decided = self.decided(pair)
        versions = self.versions(pair)
        champ = next((v for v in versions if v.champion), None)
        # ``v.champion`` also marks an unversioned (flat) champion folder, whose pointer is not its version;
        # a copy of the champion's version (a migration killed before its pointer) is the champion too.
        candidates = [
            v
            for v in versions
            if not v.champion and v.version not in decided and (champ is None or v.version != champ.version)
        ]
        if champ is not None:
            candidates = [v for v in candidates if v.manifest.created_at >= champ.manifest.created_at]
        return candidates

    def challenger(self, pair: str) -> VersionInfo | None:
        """The newest challenger (``challengers``), or None."""
        pending = self.challengers(pair)
        return pending[-1] if pending else None

    # ---- changing (under the registry lock) ----

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK_NAME).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _append(self, entry: Entry) -> None:
        promotions.append_entry(self.log_path, entry)

    def _set_pointer(self, pair: str, version: str, on_step: Step) -> None:
        folder = self.pair_dir(pair)
        # The checksum first: a change killed before the pointer moves leaves one naming another version (unused).
        checksum = folder_checksum(self.version_dir(pair, version), pair)
        write_atomic(folder / CHECKSUM_NAME, f"{version} {checksum}\n")
        self._verified.pop(pair, None)
        write_atomic(self.pointer(pair), version + "\n", mode=0o600, sync_dir=True, on_step=on_step)

    def _clean(self, pair: str) -> None:
        """Remove temporary files a killed change left behind (never a version folder)."""
        folder = self.pair_dir(pair)
        if not folder.is_dir():
            return
        for child in folder.iterdir():
            if child.name.startswith(f".{POINTER_NAME}."):
                child.unlink(missing_ok=True)
            elif child.name.startswith(".incoming-") and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)

    def _reconcile(self, pair: str) -> None:
        """Record a pointer that moved without its log line (a promotion killed in between)."""
        current = self.champion(pair)
        if current is None or current == LEGACY:
            return
        stack = self.champion_stack(pair)
        if not stack or stack[-1] != current:
            self._append(
                Entry(
                    _now(),
                    pair,
                    "recover",
                    stack[-1] if stack else None,
                    current,
                    "user",
                    {"note": "the champion pointer changed without a log line (an interrupted change); recorded now"},
                )
            )

    def migrate(self, pair: str) -> str | None:
        """Move an old flat pair folder into its version folder and make it the champion; its version, or None.

        Idempotent and crash-safe: the files are copied first, the pointer is written and logged, and
        only then are the flat copies removed (a rerun finishes what a killed one started).
        """
        with self._locked():
            return self._migrate(pair)

    def _migrate(self, pair: str) -> str | None:
        folder = self.pair_dir(pair)
        flat_manifest = folder / MANIFEST_NAME
        if not flat_manifest.is_file():
            self._clean(pair)
            return None
        manifest = read_manifest(folder, min_members=1, pair=pair)
        version = manifest.version
        target = self.version_dir(pair, version)
        if not (target / MANIFEST_NAME).is_file():
            staging = folder / f".incoming-{version}"
            if staging.exists():
                shutil.rmtree(staging)
            staging.mkdir()
            for child in folder.iterdir():
                if self._is_registry_entry(child):
                    continue
                if child.is_dir():
                    shutil.copytree(child, staging / child.name)
                else:
                    shutil.copy2(child, staging / child.name)
            fsync_tree(staging)
            os.rename(staging, target)
            fsync_dir(folder)
        previous = self.champion(pair) if self.pointer(pair).is_file() else None
        if previous != version:
            self._set_pointer(pair, version, lambda step: None)
            self._append(
                Entry(
                    _now(),
                    pair,
                    "migrate",
                    None,
                    version,
                    "user",
                    {"note": f"the flat folder {folder} became version {version}"},
                )
            )
        # The copies are safe and named: now remove the flat originals (the manifest last).
        for child in folder.iterdir():
            if self._is_registry_entry(child) or child.name == MANIFEST_NAME:
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        flat_manifest.unlink()
        self._clean(pair)
        logger.warning("models: %s migrated to %s (champion)", folder, target)
        return version

    def _is_registry_entry(self, child: Path) -> bool:
        if child.name in (POINTER_NAME, CHECKSUM_NAME) or child.name.startswith("."):
            return True
        return child.is_dir() and (child / MANIFEST_NAME).is_file() and child.name.startswith(f"{child.parent.name}-")

    def prepare(self, pair: str) -> None:
        """Migrate, clean and reconcile ``pair`` (under the lock): what every change starts with."""
        self._migrate(pair)
        self._clean(pair)
        self._reconcile(pair)

    def promote(
        self,
        version: str,
        *,
        by: By = "user",
        evidence: dict[str, Any] | None = None,
        action: Action = "promote",
        on_step: Step | None = None,
    ) -> Entry:
        """Make ``version`` its pair's champion (after checking it), atomically, and log it."""
        pair = pair_of_version(version)
        with self._locked():
            return self._swap_in(Entry(_now(), pair, action, None, version, by, evidence or {}), on_step)

    def _swap_in(self, entry: Entry, on_step: Step | None = None) -> Entry:
        """Under the lock: check ``entry.to_version``, point the champion at it, log ``entry`` (from the
        champion it replaced); the steps a promotion is killed after in the tests."""
        step = on_step or (lambda name: None)
        pair, version = entry.pair, str(entry.to_version)
        self.prepare(pair)
        folder = self.version_folder(version)
        validate_folder(
            folder, pair, min_members=self.min_members, version=None if folder == self.pair_dir(pair) else version
        )
        current = self.champion(pair)
        if current == version:
            raise UsageError(f"{version} is already {pair}'s champion")
        step("checked")
        self._set_pointer(pair, version, step)
        entry = msgspec.structs.replace(entry, from_version=current)
        self._append(entry)
        step("logged")
        return entry

    def rollback(self, pair: str, *, by: By = "user", on_step: Step | None = None) -> Entry:
        """Restore the champion before the current one (as the log tells), in one step, and log it."""
        step = on_step or (lambda name: None)
        with self._locked():
            self.prepare(pair)
            stack = self.champion_stack(pair)
            current = self.champion(pair)
            if len(stack) < 2:
                raise UsageError(
                    f"{pair}: there is no earlier champion to roll back to (the log has {len(stack)}); "
                    "`fxbot models promote VERSION` picks any stored version"
                )
            target = stack[-2]
            folder = self.version_dir(pair, target)
            validate_folder(folder, pair, min_members=self.min_members, version=target)
            step("checked")
            self._set_pointer(pair, target, step)
            entry = Entry(_now(), pair, "rollback", current, target, by, {})
            self._append(entry)
            step("logged")
            return entry

    def record(self, entry: Entry) -> None:
        """Append a decision that changes no pointer (a challenger judged and kept out)."""
        with self._locked():
            self._append(entry)

    def decide(self, entry: Entry, *, promote: bool) -> bool:
        """The gate's decision on the challenger ``entry.to_version``, made once: under the lock, it is
        re-checked that no other run (a manual run-once beside the daemon) decided it meanwhile.

        ``promote`` makes it the champion (checked, the pointer swapped, ``entry`` logged as the
        promotion); otherwise ``entry`` (keep or passed) is appended. Returns False, changing nothing,
        if the version was already decided.
        """
        version = entry.to_version
        if version is None:
            raise ValueError("a gate decision names the challenger it decides")
        with self._locked():
            if version in self.decided(entry.pair):
                return False
            if promote:
                self._swap_in(entry)
            else:
                self._append(entry)
        return True

    def add(
        self, source: Path, *, by: By = "user", note: str = "", binding: dict[str, str] | None = None
    ) -> VersionInfo:
        """Copy the version folder ``source`` in, after checking it; the registry is unchanged if it fails.

        The files are copied into a temporary folder of the registry (regular files only, within the
        caps of ``copy_checked``), checked there (never in ``source``), and only then renamed to the
        version's own name: ``PAIR-YYYYMMDD-hash``, computed from the checked manifest, never taken
        from a file. The new version becomes the champion only if its pair has none (logged as
        ``seed``), else it waits as a challenger (logged as ``import``). ``note`` goes into the log
        record, and so does ``binding`` (the retrain's sha256 of the ``holdback.json`` it wrote:
        ``fxbot.model.holdback.holdback_binding``), binding that evidence to this version: the copy
        must match it, and the gate uses no held-back file without it.
        """
        import tempfile  # here: adding a version is rare

        source = Path(source)
        if source.is_symlink() or not source.is_dir():
            raise UsageError(f"{source} is not a folder; give the version folder that holds manifest.json")
        pair = source_pair(source)
        with self._locked():
            for stale in self.root.glob(".incoming-*"):  # what a killed import left (imports hold the lock)
                shutil.rmtree(stale, ignore_errors=True)
            staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
            try:
                copy_checked(source, staging)
                manifest = validate_folder(staging, pair, min_members=self.min_members)  # the copy, not the source
                version = manifest.version
                self.prepare(pair)
                folder = self.pair_dir(pair)
                target = self.version_dir(pair, version)
                if (target / MANIFEST_NAME).is_file():
                    raise UsageError(f"{version} is already stored in {folder}; nothing to import")
                evidence: dict[str, Any] = {"source": str(source), **(binding or {})}
                recorded = (binding or {}).get(HOLDBACK_KEY)
                if recorded is not None:
                    held = staging / HOLDBACK_NAME
                    if not held.is_file() or file_sha256(held) != recorded:
                        raise ModelError(f"{source / HOLDBACK_NAME} changed after the retrain wrote it; refused")
                folder.mkdir(parents=True, exist_ok=True)
                fsync_tree(staging)
                os.rename(staging, target)
                fsync_dir(folder)
                fsync_dir(self.root)
            finally:
                if staging.exists():
                    shutil.rmtree(staging, ignore_errors=True)
            champion = self.champion(pair)
            if champion is None:
                self._set_pointer(pair, version, lambda step: None)
                evidence = {"note": note or "the pair's first champion", **evidence}
                self._append(Entry(_now(), pair, "seed", None, version, by, evidence))
            else:
                evidence = {"note": note or "a challenger", **evidence}
                self._append(Entry(_now(), pair, "import", champion, version, by, evidence))
        return VersionInfo(pair, version, target, manifest, champion is None)
