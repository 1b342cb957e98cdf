"""A version folder's files: checked copies in, checksums, and whether the folder is a complete ensemble.

The registry (``fxbot.model.registry``) decides which version is champion and logs it; this module
knows what a version folder holds (``manifest.json`` and each member's ``.tflite``, ``.keras`` and
SavedModel) and answers for its files:

- ``copy_checked``: an import's copy, regular files only, within size and count caps;
- ``validate_folder``: a complete, loadable ensemble of the right pair, or one line naming the file;
- ``folder_checksum``: the sha256 over a version's manifest and member files, recorded at promotion;
- ``member_checksums`` / ``check_member_files``: each member file's sha256, recorded in the manifest
  by training and checked by ``validate_folder`` (so at every import and promotion, never daily).

Pure standard library at import time: the daily path checks its champion's checksum with it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from fxbot.errors import ModelError
from fxbot.model.artifacts import MANIFEST_NAME, Manifest, MemberInfo, read_manifest
from fxbot.pairs import PAIRS
from fxbot.safefiles import fsync_dir, read_bounded

#: A TensorFlow checkpoint index (``variables.index``) is a LevelDB table: it ends with this magic number.
_TABLE_MAGIC = (0xDB4775248B80FB57).to_bytes(8, "little")


def member_files(folder: Path, member: MemberInfo) -> list[str]:
    """``member``'s files, relative to ``folder``: its ``.tflite``, its ``.keras``, then its SavedModel's files
    (sorted; those present, as the folder holds them)."""
    saved = folder / member.savedmodel
    inside = sorted(p for p in saved.rglob("*") if p.is_file()) if saved.is_dir() else []
    return [member.tflite, member.keras, *(f"{member.savedmodel}/{p.relative_to(saved).as_posix()}" for p in inside)]


def folder_checksum(folder: Path, pair: str) -> str:
    """sha256 over a version's manifest and member files (names and contents, in a fixed order)."""
    digest = hashlib.sha256()
    names = [MANIFEST_NAME]
    for member in read_manifest(folder, pair=pair).members:
        names += member_files(folder, member)
    buffer = bytearray(1 << 16)  # one small buffer for every file: the daily path's peak RSS stays as it was
    view = memoryview(buffer)
    for name in names:
        path = folder / name
        digest.update(str(path.relative_to(folder)).encode() + b"\0")  # the name as a path spells it
        try:
            with path.open("rb", buffering=0) as handle:
                while count := handle.readinto(buffer):
                    digest.update(view[:count])
        except OSError:
            digest.update(b"\0missing")
    return str(digest.hexdigest())


def member_checksums(folder: Path, member: MemberInfo) -> dict[str, str]:
    """The sha256 of each of ``member``'s files in ``folder`` (what training records in the manifest)."""
    return {name: file_sha256(folder / name) for name in member_files(folder, member)}


def check_member_files(folder: Path, manifest: Manifest) -> None:
    """Refuse, naming the file, a member file whose sha256 is not the one its manifest records (ModelError).

    A member file that is not the one training wrote (another pair's or another version's copied
    in as a plain file, a partial copy) is found here, at import or promotion; so is a SavedModel
    file that appeared or went missing since. Only the member's own files found in ``folder`` are
    read: a recorded name that is not one of them is refused unread. A manifest from before member
    checksums records none: nothing to check, as before.
    """
    fix = "copy the whole version folder again from where `fxbot train` or `fxbot retrain` wrote it (or retrain)"
    for i, member in enumerate(manifest.members):
        if not member.sha256:
            continue
        present = member_files(folder, member)
        unknown = next((name for name in member.sha256 if name not in present), None)
        if unknown is not None:
            shown = unknown if len(unknown) <= 80 else f"{unknown[:80]}..."
            raise ModelError(
                f"{folder}: member {i}'s file {shown!r}, whose sha256 the manifest records, is missing: {fix}"
            )
        for name in present:
            path = folder / name
            recorded = member.sha256.get(name)
            if recorded is None:
                raise ModelError(f"{path} is not among member {i}'s files the manifest records: {fix}")
            try:
                actual = file_sha256(path)
            except OSError as exc:
                raise ModelError(f"{path}: cannot read it ({exc.strerror}): {fix}") from None
            if actual != recorded:
                raise ModelError(
                    f"{path} is not the file training wrote for member {i} of {manifest.version} (its sha256 "
                    f"differs from the manifest's; another pair's or version's file?): {fix}"
                )


def fsync_tree(folder: Path) -> None:
    """fsync every file and folder below ``folder`` (a copied version is on disk before it is named)."""
    for dirpath, _, files in os.walk(folder):
        for name in files:
            fd = os.open(Path(dirpath) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def validate_folder(folder: Path, pair: str, *, min_members: int = 1, version: str | None = None) -> Manifest:
    """Check that ``folder`` holds a complete, loadable ensemble of ``pair``; return its manifest, or raise ModelError.

    The manifest must be one this fxbot reads (format, fields, trust checks of ``read_manifest``)
    and, with ``version``, be that version's (the name is a hash of the manifest: an edited one is
    refused); every member's ``.tflite`` must load in LiteRT and answer a finite probability, its
    ``.keras`` must be a whole zip archive, and its SavedModel must have a graph and a checkpoint
    index that ends as it should; and where the manifest records member checksums, every member
    file must be the one training wrote (``check_member_files``). A truncated, missing or foreign
    file is named, with the fix.
    """
    import numpy as np  # here only: `fxbot status` reads the registry without numpy

    from fxbot.model.engines import LiteRTMember

    folder = Path(folder)
    manifest = read_manifest(folder, min_members=min_members, pair=pair)
    if version is not None and manifest.version != version:
        raise ModelError(
            f"{folder / MANIFEST_NAME}: the manifest is version {manifest.version}, not {version} (edited after "
            "training?); restore the folder or retrain"
        )
    fix = "copy the whole version folder again (or retrain it)"
    for i, member in enumerate(manifest.members):
        lite = LiteRTMember(folder / member.tflite)
        try:
            probability = lite.predict(np.zeros(lite.input_shape, dtype=np.float32))
        finally:
            lite.close()
        if not 0.0 <= probability <= 1.0:  # also false for NaN
            raise ModelError(f"{folder / member.tflite}: member {i} answers {probability!r}, not a probability: {fix}")
        keras_file = folder / member.keras
        if not keras_file.is_file():
            raise ModelError(f"{keras_file} is missing: {fix}")
        import zipfile  # here: checking a version is rare, and the daily path never does it

        try:
            with zipfile.ZipFile(keras_file) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, OSError) as exc:
            raise ModelError(f"{keras_file} is truncated or not a .keras archive ({exc}): {fix}") from None
        if bad is not None:
            raise ModelError(f"{keras_file}: {bad} inside it is damaged: {fix}")
        saved = folder / member.savedmodel
        graph, index = saved / "saved_model.pb", saved / "variables" / "variables.index"
        for needed in (graph, index):
            if not needed.is_file() or needed.stat().st_size == 0:
                raise ModelError(f"{needed} is missing or empty: {fix}")
        with index.open("rb") as handle:
            handle.seek(-len(_TABLE_MAGIC), os.SEEK_END)
            if handle.read() != _TABLE_MAGIC:
                raise ModelError(f"{index} is truncated (its end is missing): {fix}")
        data_files = list((saved / "variables").glob("variables.data-*"))
        if not data_files or any(f.stat().st_size == 0 for f in data_files):
            raise ModelError(f"{saved / 'variables'}: the checkpoint data are missing or empty: {fix}")
    check_member_files(folder, manifest)
    return manifest


#: The held-back walk-forward's file in a version folder (``fxbot.model.holdback.HOLDBACK_FILE``).
HOLDBACK_NAME = "holdback.json"
#: The promotions-log evidence key of the retrain's checksum of that file.
HOLDBACK_KEY = "holdback_sha256"
#: Caps of an imported version folder: every file fxbot writes there is far smaller.
MAX_MEMBER_BYTES = 48 * 1024 * 1024
MAX_IMPORT_FILES = 512
MAX_IMPORT_BYTES = 512 * 1024 * 1024
MAX_IMPORT_DEPTH = 6


def file_sha256(path: Path) -> str:
    """The sha256 of the file ``path`` (hex), read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb", buffering=0) as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return str(digest.hexdigest())


def source_pair(source: Path) -> str:
    """The pair a version folder to import says it is for (strictly a known pair code), read within caps."""
    from fxbot.safefiles import MAX_JSON_BYTES

    path = source / MANIFEST_NAME
    fix = "give the version folder that `fxbot train` or `fxbot retrain` wrote"
    if path.is_symlink():
        raise ModelError(f"{path} is a symbolic link; imports take regular files only: {fix}")
    try:
        raw = json.loads(read_bounded(path, MAX_JSON_BYTES, fix).decode("utf-8"))
    except FileNotFoundError:
        raise ModelError(f"no model manifest at {path}; {fix}") from None
    except (UnicodeDecodeError, ValueError):
        raise ModelError(f"{path}: unreadable manifest (not JSON text); {fix}") from None
    pair = raw.get("pair") if isinstance(raw, dict) else None
    if not isinstance(pair, str) or pair not in PAIRS:
        shown = pair if not isinstance(pair, str) or len(pair) <= 40 else f"{pair[:40]}..."
        raise ModelError(f"{path}: pair {shown!r} is not a pair fxbot knows ({', '.join(PAIRS)}); refused")
    return pair


def copy_checked(source: Path, target: Path) -> None:
    """Copy the tree ``source`` into the existing folder ``target``: regular files and folders only.

    A symbolic link, a FIFO, a device or a socket is refused (never followed, never read), and so
    is a tree beyond the caps: a file over ``MAX_MEMBER_BYTES`` (a JSON file over 1 MiB), more than
    ``MAX_IMPORT_FILES`` entries, ``MAX_IMPORT_BYTES`` in all, or deeper than ``MAX_IMPORT_DEPTH``.
    Each file is opened without following links and checked again on its descriptor.
    """
    import stat

    from fxbot.safefiles import MAX_JSON_BYTES

    fix = "import the version folder that `fxbot train` or `fxbot retrain` wrote, as plain files"
    count, total = 0, 0

    def walk(src: Path, dst: Path, depth: int) -> None:
        nonlocal count, total
        if depth > MAX_IMPORT_DEPTH:
            raise ModelError(f"{src} is nested deeper than {MAX_IMPORT_DEPTH} folders; {fix}")
        with os.scandir(src) as entries:
            listed = sorted(entries, key=lambda e: e.name)
        for entry in listed:
            count += 1
            if count > MAX_IMPORT_FILES:
                raise ModelError(f"{source} holds more than {MAX_IMPORT_FILES} files; {fix}")
            path = Path(entry.path)
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                raise ModelError(f"{path} is a symbolic link; imports take regular files only: {fix}")
            if stat.S_ISDIR(info.st_mode):
                (dst / entry.name).mkdir()
                walk(path, dst / entry.name, depth + 1)
                continue
            if not stat.S_ISREG(info.st_mode):
                raise ModelError(f"{path} is not a regular file (a FIFO, device or socket); {fix}")
            limit = MAX_JSON_BYTES if entry.name.endswith(".json") else MAX_MEMBER_BYTES
            if info.st_size > limit:
                raise ModelError(f"{path} is {info.st_size:,} bytes, more than the {limit:,} an import takes; {fix}")
            total += info.st_size
            if total > MAX_IMPORT_BYTES:
                raise ModelError(f"{source} holds more than {MAX_IMPORT_BYTES:,} bytes; {fix}")
            _copy_file(path, dst / entry.name, limit, fix)

    walk(Path(source), Path(target), 0)


def _copy_file(src: Path, dst: Path, limit: int, fix: str) -> None:
    import stat

    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since it was listed
            raise ModelError(f"{src} is not a regular file; {fix}")
        out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(out, "wb") as handle:
            written = 0
            while chunk := os.read(fd, 1 << 20):
                written += len(chunk)
                if written > limit:
                    raise ModelError(f"{src} grew past {limit:,} bytes while copied; {fix}")
                handle.write(chunk)
    finally:
        os.close(fd)
