"""`fxbot site`: the track-record page (``fxbot.site``), written to DIR or site.dir."""

from __future__ import annotations

import argparse
from pathlib import Path

from fxbot.config import Settings
from fxbot.errors import UsageError


def cmd_site(args: argparse.Namespace, settings: Settings) -> int:
    """Write the track-record page (index.html, self-contained) to DIR or site.dir."""
    from fxbot.site import build_site

    folder = args.dir or settings.site.dir
    if not folder:
        raise UsageError("give the folder to write the page to (`fxbot site DIR`), or set site.dir in the config")
    path = build_site(settings, Path(folder), report=Path(args.report), locale=args.locale)
    print(f"fxbot: wrote {path} ({path.stat().st_size:,} bytes)")
    return 0
