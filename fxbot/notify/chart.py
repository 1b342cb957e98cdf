"""The optional Slack chart: the last 60 closes per pair with the recent calls marked, as a PNG.

matplotlib (the ``charts`` extra) is imported here only, and this module only when ``notify.slack.chart`` is
on, so the daily path stays light when the chart is off.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import numpy as np

from fxbot.data.bars import Bars
from fxbot.extras import install_hint
from fxbot.signals import Report

BARS = 60
#: Said, in one line, when the chart is on and matplotlib is missing (the slim install has no charts).
NO_MATPLOTLIB = (
    f"notify.slack.chart is on, but matplotlib is not installed: {install_hint('charts')} "
    "(or set notify.slack.chart: false)"
)
#: matplotlib colour of each ``notify.colors`` name.
MPL_COLORS = {
    "green": "tab:green",
    "red": "tab:red",
    "blue": "tab:blue",
    "orange": "tab:orange",
    "purple": "tab:purple",
    "yellow": "gold",
}


def render_chart(
    report: Report,
    bars_by_pair: dict[str, Bars],
    calls_by_pair: dict[str, list[tuple[dt.date, str]]],
    colors: tuple[str, str] = ("green", "red"),
    locale: str = "en",
) -> bytes:
    """One panel per pair: closes up to the report's bars, BUY calls as ^ and SELL as v in ``colors``.

    Titles carry no words in Japanese (arrows, votes and dates only): a server rarely has a Japanese font.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt

    pairs = [s.pair.code for s in report.signals]
    fig, axes = plt.subplots(len(pairs), 1, figsize=(8, 2.4 * len(pairs)), squeeze=False)
    try:
        for ax, signal in zip(axes[:, 0], report.signals, strict=True):
            code = signal.pair.code
            bars = bars_by_pair[code]
            shown = bars.up_to(signal.bar_date).tail(BARS)
            ax.plot(shown.dates, shown.close, color="0.3", linewidth=1.2)
            for day, direction in calls_by_pair.get(code, []):
                at = np.flatnonzero(shown.dates == np.datetime64(day, "D"))
                if at.size:
                    buy = direction == "BUY"
                    marker, color = ("^", MPL_COLORS[colors[0]]) if buy else ("v", MPL_COLORS[colors[1]])
                    ax.scatter(shown.dates[at], shown.close[at], marker=marker, color=color)
            call = (
                signal.vote.direction.value
                if locale == "en"
                else ("▲" if signal.vote.direction.value == "BUY" else "▼")
            )
            ax.set_title(f"{signal.pair.display}: {call} {signal.vote.label}", fontsize=10)
            ax.grid(alpha=0.3)
        title = f"fxbot, as of {report.as_of.isoformat()} (last {BARS} closes)" if locale == "en" else None
        fig.suptitle(title or f"fxbot {report.as_of.isoformat()}", fontsize=11)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90)
    finally:
        plt.close(fig)
    return buffer.getvalue()


def chart_source(
    load_bars: Callable[[str], Bars],
    recent_calls: Callable[[str], list[tuple[dt.date, str]]],
    colors: tuple[str, str] = ("green", "red"),
    locale: str = "en",
) -> Callable[[Report], bytes | None] | None:
    """A chart maker for the Slack notifier, reading bars and recorded calls when the report is posted.

    None, said in one warning line, when matplotlib (the ``charts`` extra) is not installed: the calls
    are posted without their chart, as the weekly summary and the page do (`fxbot check` reports it).
    """
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        import logging

        logging.getLogger(__name__).warning("%s; the calls are posted without it", NO_MATPLOTLIB)
        return None

    def make(report: Report) -> bytes | None:
        codes = [s.pair.code for s in report.signals]
        calls = {code: recent_calls(code) for code in codes}
        # The calls being posted now are in the ledger already (recorded before delivery).
        return render_chart(report, {code: load_bars(code) for code in codes}, calls, colors, locale)

    return make
