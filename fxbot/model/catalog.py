"""`fxbot models list | show | promote | rollback | import`: what each prints, over the registry.

Reads manifests only (no numpy, no engine) except ``import`` and ``promote``, which check every
member with LiteRT before the registry accepts it (``fxbot.model.version_files.validate_folder``).
"""

from __future__ import annotations

from pathlib import Path

from fxbot.errors import ModelError, UsageError
from fxbot.model.artifacts import MANIFEST_NAME, read_manifest
from fxbot.model.holdback import read_holdback
from fxbot.model.promotions import Entry
from fxbot.model.registry import LEGACY, Registry, VersionInfo, pair_of_version


def _mark(info: VersionInfo, challenger: str | None) -> str:
    if info.champion:
        return "champion"
    if info.version == challenger:
        return "challenger"
    return ""


def entry_line(entry: Entry) -> str:
    """One promotions-log record as a line."""
    flat = [
        (f"{key}.{inner}", value)
        for key, part in entry.evidence.items()
        if key != "notice"  # the gate's message: its figures are the other keys
        for inner, value in (part.items() if isinstance(part, dict) else [("", part)])
    ]
    evidence = ", ".join(f"{key.removesuffix('.')} {value}" for key, value in flat)
    if entry.action == "import":  # a new challenger: the champion does not change
        change = f"{entry.to_version} as a challenger (champion {entry.from_version or '-'})"
    else:
        change = f"{entry.from_version or '-'} -> {entry.to_version or '-'}"
    return f"{entry.at} {entry.pair} {entry.action} {change} by {entry.by}{f' ({evidence})' if evidence else ''}"


def list_lines(registry: Registry, pairs: list[str]) -> list[str]:
    """Each pair's versions, oldest first, with the champion and the challenger marked."""
    lines = []
    for pair in pairs:
        champion = registry.champion(pair)
        if champion is None:
            lines.append(f"{pair}: no models in {registry.pair_dir(pair)}")
            continue
        challenger = registry.challenger(pair)
        note = " (old flat layout: migrated on the first change)" if champion == LEGACY else ""
        lines.append(f"{pair}:{note}")
        for info in registry.versions(pair):
            mark = _mark(info, challenger.version if challenger else None)
            m = info.manifest
            lines.append(
                f"  {info.version}  trained {m.train_start}..{m.train_end}, {len(m.members)} members, "
                f"created {m.created_at}{f'  [{mark}]' if mark else ''}"
            )
    return lines


def show_lines(registry: Registry, version: str) -> list[str]:
    """One version's manifest summary and every log record that names it."""
    folder = registry.version_folder(version)
    pair = pair_of_version(version)
    manifest = read_manifest(folder, pair=pair)
    accuracies = ", ".join(f"{m.val_accuracy:.3f}" for m in manifest.members)
    champion = registry.champion(pair)
    is_champion = champion == version or (champion == LEGACY and folder == registry.pair_dir(pair))
    on_trial = {c.version for c in registry.challengers(pair)}
    role = "champion" if is_champion else ("challenger" if version in on_trial else "stored")
    lines = [
        f"{version} ({role})",
        f"  folder: {folder}",
        f"  trained: {manifest.train_start}..{manifest.train_end} (validation from {manifest.validation_start}), "
        f"{manifest.samples_train} training samples",
        f"  members: {len(manifest.members)}, seeds {', '.join(str(m.seed) for m in manifest.members)}, "
        f"{manifest.units} units, at most {manifest.epochs} epochs; validation accuracy {accuracies}",
        f"  created: {manifest.created_at}; data sha256 {manifest.data_sha256[:12]}",
    ]
    try:
        held = read_holdback(folder)
    except ModelError as exc:
        lines.append(f"  held back: {exc}")
    else:
        if held is not None and held.days:
            lines.append(f"  {held.summary()}")
    records = [e for e in registry.history(pair) if version in (e.from_version, e.to_version)]
    lines += [f"  log: {entry_line(e)}" for e in records] or ["  log: no record names it"]
    return lines


def promote(registry: Registry, version: str) -> str:
    """Make ``version`` the champion (a person's decision); the line to print."""
    entry = registry.promote(version, by="user")
    return f"{entry.pair}: champion is now {entry.to_version} (was {entry.from_version}); logged in {registry.log_path}"


def rollback(registry: Registry, pairs: list[str]) -> list[str]:
    """Restore each pair's previous champion; the lines to print."""
    out = []
    for pair in pairs:
        entry = registry.rollback(pair, by="user")
        out.append(
            f"{pair}: rolled back from {entry.from_version} to {entry.to_version}; logged in {registry.log_path}"
        )
    return out


def import_folder(registry: Registry, source: Path) -> str:
    """Check and copy a version folder into the registry; the line to print.

    A folder of ``<PAIR>/`` folders (what `fxbot train --out DIR` writes) is refused with the
    commands that import each of them.
    """
    if not (source / MANIFEST_NAME).is_file():
        inner = sorted(p for p in source.glob(f"*/{MANIFEST_NAME}")) if source.is_dir() else []
        if inner:
            commands = "; ".join(f"`fxbot models import {p.parent}`" for p in inner)
            raise UsageError(f"{source} holds model folders, not one version: import each, {commands}")
    info = registry.add(source, by="user")
    role = "the champion (the pair had none)" if info.champion else "a challenger"
    return f"{info.pair}: imported {info.version} as {role} -> {info.folder}"
