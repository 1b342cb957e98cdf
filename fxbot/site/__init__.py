"""`fxbot site DIR`: the track record as one self-contained page (``DIR/index.html``), in English or Japanese.

What it shows, each figure read from where the rest of fxbot keeps it (nothing recomputed another way):

- the verdict on the edge: the champions' stored walk-forward evidence (``models/<PAIR>/evidence.json``,
  the promotion gate's rule), beside the live record;
- live: the running P/L of following the posted calls against always-buy on the same calls (the ledger's
  scored calls on the notional posted, before costs: ``fxbot.outcome``), the rolling accuracy of the last
  20 calls with the 99 % coin-flip band (``fxbot.summary.random_band``), and a per-pair table;
- the walk-forward, labelled a backtest: the same two curves from the committed report's ``calls.csv``
  (the vote of its five members per day, at today's leverage and equity, before costs);
- risk: the latest book's loss figures as the post showed them (``Ledger.book_risk``) and the 1-day
  figure's exceedances with Kupiec's test (``Ledger.var_record`` through ``fxbot.risk.exceedances``,
  as `fxbot history` counts them);
- the champions (version, training end) and the promotions log.

Charts are matplotlib SVG, inline (text kept as text, so Japanese renders with the reader's fonts);
there is no script, no outside asset (a Content-Security-Policy says so), and the page opens from
disk. matplotlib (the ``charts`` extra) is imported by ``charts`` only: the daily path never imports this package
(`run-once` runs `fxbot site` as a child process after the post when ``site.dir`` is set).

By job: ``records`` reads what the page shows (``gather``), ``words`` holds its English and Japanese,
``charts`` draws, ``page`` renders the HTML, and this module writes the files.

The page replaces only a page of its own kind: an ``index.html`` that fxbot did not write is refused. Beside
it, ``live-equity.png`` (the live curves) is what the Slack App Home shows when ``site.url`` is set.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from fxbot.errors import ConfigError
from fxbot.extras import install_hint
from fxbot.safefiles import replace_generated
from fxbot.site.page import GENERATOR
from fxbot.site.records import DEFAULT_REPORT

if TYPE_CHECKING:
    from fxbot.config import Settings

#: Beside the page, for Slack's App Home (an image block needs a URL: ``site.url`` + this name).
LIVE_PNG = "live-equity.png"
#: What the files fxbot writes here start with (``replace_generated`` replaces only files of their kind).
PAGE_START = b"<!DOCTYPE html>"
PNG_START = b"\x89PNG\r\n\x1a\n"
#: Said, in one line, when matplotlib is missing (the slim install has no charts).
NO_MATPLOTLIB = f"`fxbot site` draws its charts with matplotlib, which is not installed: {install_hint('charts')}"


def write_site(folder: Path, page: str, png: bytes | None = None) -> Path:
    """Write ``folder/index.html`` (and ``live-equity.png``) atomically; an ``index.html`` fxbot did not write is
    never replaced, and nothing is written beside it then."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "index.html"
    if target.exists():
        head = target.read_text(encoding="utf-8", errors="replace")[:2000]
        if f'<meta name="generator" content="{GENERATOR}">' not in head:
            raise ConfigError(
                f"{target} exists and was not written by `fxbot site`; choose another folder (site.dir) or move it away"
            )
    replace_generated(target, page.encode("utf-8"), PAGE_START)
    if png is not None:
        replace_generated(folder / LIVE_PNG, png, PNG_START)
    return target


def build_site(settings: Settings, folder: Path, *, report: Path = DEFAULT_REPORT, locale: str | None = None) -> Path:
    """Gather, render and write the page; returns its path."""
    if importlib.util.find_spec("matplotlib") is None:  # the charts extra: say so before reading anything
        raise ConfigError(NO_MATPLOTLIB)
    from fxbot.site.charts import equity_png
    from fxbot.site.page import render_html
    from fxbot.site.records import gather, live_series

    data = gather(settings, report)
    locale = locale or settings.notify.locale
    png = equity_png(*live_series(data.live), locale) if data.live else None
    return write_site(folder, render_html(data, locale), png)
