"""The page's charts: matplotlib SVG, inline (text kept as text, so Japanese renders with the reader's fonts), and
the live curves as a PNG for Slack's App Home. matplotlib (the ``charts`` extra) is imported here only.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import Any

from fxbot.outcome import CallOutcome
from fxbot.site.words import words_for
from fxbot.summary import random_band

ROLLING = 20  # calls in the rolling accuracy window, as the post's track record


def _svg(fig: Any) -> str:
    """The figure as inline SVG (no XML prolog), its text kept as text."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    # the RDF metadata block names outside URLs (and the date): the page needs neither
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    return text[text.index("<svg") :]


def _axes(title: str) -> tuple[Any, Any]:
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: the browser's fonts draw Japanese
    matplotlib.rcParams["svg.hashsalt"] = "fxbot"  # stable ids: the same data give the same page
    warnings.filterwarnings("ignore", message="Glyph .* missing from font")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return fig, ax


def _equity_figure(
    days: Sequence[dt.date], pnl: Sequence[float], buy: Sequence[float], title: str, labels: tuple[str, str] | None
) -> Any:
    import numpy as np

    fig, ax = _axes(title)
    x = list(days)
    follow, always = labels or (None, None)
    ax.plot(x, np.cumsum(pnl), color="#1f77b4", linewidth=1.2, label=follow)
    ax.plot(x, np.cumsum(buy), color="#7f7f7f", linewidth=1.0, linestyle="--", label=always)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.yaxis.set_major_formatter(lambda v, _: f"{'-' if v < 0 else ''}¥{abs(v):,.0f}")
    if labels is not None:
        ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    return fig


def equity_chart(days: Sequence[dt.date], pnl: Sequence[float], buy: Sequence[float], locale: str, title: str) -> str:
    """Cumulative P/L of following the calls and of always-buy, as SVG."""
    w = words_for(locale)
    return _svg(_equity_figure(days, pnl, buy, title, (w["follow"], w["always_buy"])))


def equity_png(days: Sequence[dt.date], pnl: Sequence[float], buy: Sequence[float], locale: str) -> bytes:
    """The live curves as a PNG for Slack's App Home (an image block needs a URL): English labels only, since a
    PNG carries no fonts (under ja the App Home says which line is which)."""
    import matplotlib.pyplot as plt

    labels = ("following the calls", "always-buy") if locale == "en" else None
    fig = _equity_figure(days, pnl, buy, f"{days[0].isoformat()} - {days[-1].isoformat()}", labels)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def rolling_chart(calls: Sequence[CallOutcome], locale: str, window: int = ROLLING) -> str:
    """The rolling accuracy of the last ``window`` calls, always-buy's, and the 99 % coin-flip band, as SVG."""
    w = words_for(locale)
    fig, ax = _axes(w["rolling"].format(n=window))
    hits = [c.right for c in calls]
    ups = [c.move > 0 for c in calls]
    x = list(range(window, len(calls) + 1))
    ax.plot(x, [sum(hits[i - window : i]) / window for i in x], color="#1f77b4", label=w["follow"])
    ax.plot(x, [sum(ups[i - window : i]) / window for i in x], color="#7f7f7f", linestyle="--", label=w["always_buy"])
    low, high = random_band(window)
    ax.axhspan(low, high, color="#bbbbbb", alpha=0.3, label=w["band"])
    ax.set_ylim(0, 1)
    ax.set_xlabel(w["calls"], fontsize=8)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.legend(loc="lower left", fontsize=8)
    return _svg(fig)
