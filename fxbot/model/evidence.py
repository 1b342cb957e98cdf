"""The shipped models' evidence, stored with them: ``<model folder>/evidence.json``, one small JSON per pair.

Written by ``fxbot evidence`` from a committed walk-forward report (its ``metrics.json``), read on
the daily path by ``load_evidence`` (json only: no pandas, no scipy). The file holds, per pair and
pooled over the pairs of the run: the vote's accuracy against always-buy on the same calls, the
McNemar p-value against always-buy (and Holm-adjusted), whether that is an edge under the promotion
gate's rule (vote ahead of always-buy and McNemar or Pesaran-Timmermann below ``alpha`` after
Holm), the portfolio's tail of rolling 20-day P/L sums from history (``calls_tail``: the 99.9 %
loss, the shortfall beyond it and the worst window, fractions of equity at the gross leverage it was
measured at) and the old normal-curve interval (kept for older readers, shown nowhere).
``manifest.json`` is not touched: a model's version stays its own.

``load_evidence`` takes the pair's model folder, so pointing it at a versioned folder is one change.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import msgspec

from fxbot.errors import ModelError
from fxbot.signals import Evidence, TailLoss

FILE_NAME = "evidence.json"
FORMAT = 1
#: The promotion gate's level (``fxbot.backtest.evidence.GATE_ALPHA``), repeated so the daily path needs no pandas.
GATE_ALPHA = 0.01


def evidence_path(model_folder: Path) -> Path:
    """Where a pair's evidence lives: beside its manifest."""
    return Path(model_folder) / FILE_NAME


def load_evidence(model_folder: Path) -> Evidence | None:
    """The evidence stored with a pair's models, or None when there is none (a post then says nothing of it).

    A file that exists but cannot be read is a ModelError naming it and the command that rewrites it.
    """
    from fxbot.safefiles import MAX_JSON_BYTES, read_bounded

    path = evidence_path(model_folder)
    fix = "rewrite it with `fxbot evidence` or delete it"
    try:
        raw = json.loads(read_bounded(path, MAX_JSON_BYTES, fix).decode("utf-8"))
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path} cannot be read ({exc}); rewrite it with `fxbot evidence` or delete it") from None
    try:
        if raw.get("format") != FORMAT:
            raise ValueError(f"format {raw.get('format')!r}, this fxbot reads {FORMAT}")
        pair, pooled, portfolio = raw["pair"], raw["pooled"], raw.get("portfolio") or {}
        return Evidence(
            pair=str(pair["pair"]),
            first_day=str(pair["first_day"]),
            last_day=str(pair["last_day"]),
            calls=int(pair["calls"]),
            accuracy=float(pair["accuracy"]),
            always_buy_accuracy=float(pair["always_buy_accuracy"]),
            p_value=float(pair["p_value"]),
            alpha=float(raw["alpha"]),
            edge=bool(pair["edge"]),
            pooled_accuracy=float(pooled["accuracy"]),
            pooled_always_buy_accuracy=float(pooled["always_buy_accuracy"]),
            pooled_calls=int(pooled["calls"]),
            pooled_p_value=float(pooled["p_value"]),
            pooled_edge=bool(pooled["edge"]),
            interval_low=_opt_float(portfolio.get("low")),
            interval_high=_opt_float(portfolio.get("high")),
            interval_days=int(portfolio.get("days", 20)),
            interval_confidence=float(portfolio.get("confidence", 0.999)),
            gross_leverage=_opt_float(portfolio.get("gross_leverage")),
            calls_tail=_calls_tail(portfolio.get("calls_tail")),
            pooled_difference=_opt_float(pooled.get("difference")),
            pooled_difference_se=_opt_float(pooled.get("difference_se")),
        )
    except (KeyError, TypeError, ValueError, AttributeError, msgspec.ValidationError) as exc:
        raise ModelError(
            f"{path} is not an fxbot evidence file ({type(exc).__name__}: {exc}); rewrite it with `fxbot evidence`"
        ) from None


def _calls_tail(value: Any) -> TailLoss | None:
    """The stored tail of following the calls (fractions of equity), or None in files written before it."""
    if value is None:
        return None
    fields = {k: v for k, v in value.items() if k != "gross_leverage"}
    return msgspec.convert(fields, TailLoss)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _edge(entry: dict[str, Any], alpha: float) -> bool:
    """The gate's rule: ahead of always-buy, and McNemar or Pesaran-Timmermann below ``alpha`` after Holm."""
    ahead = float(entry["accuracy"]) > float(entry["always_buy_accuracy"])
    ps = [entry.get("mcnemar_p_holm", entry.get("mcnemar_p")), entry.get("pt_p_holm", entry.get("pt_p"))]
    return ahead and any(p is not None and math.isfinite(float(p)) and float(p) < alpha for p in ps)


def _scope(entry: dict[str, Any], alpha: float) -> dict[str, Any]:
    return {
        "calls": int(entry["n"]),
        "accuracy": float(entry["accuracy"]),
        "always_buy_accuracy": float(entry["always_buy_accuracy"]),
        "p_value": float(entry["mcnemar_p"]),
        "p_value_holm": float(entry.get("mcnemar_p_holm", entry["mcnemar_p"])),
        "pt_p_value": float(entry.get("pt_p", 1.0)),
        "pt_p_value_holm": float(entry.get("pt_p_holm", entry.get("pt_p", 1.0))),
        "edge": _edge(entry, alpha),
        **(
            {"difference": float(entry["difference"]), "difference_se": float(entry["difference_se"])}
            if entry.get("difference") is not None and entry.get("difference_se") is not None
            else {}
        ),
    }


def evidence_from_metrics(metrics: dict[str, Any], pair: str, source: str, alpha: float = GATE_ALPHA) -> dict[str, Any]:
    """The evidence.json content of ``pair`` from a walk-forward report's ``metrics.json`` (pure)."""
    skill = metrics.get("skill") or {}
    if pair not in (skill.get("pairs") or {}) or pair not in (metrics.get("pairs") or {}):
        raise ModelError(f"{source} has no walk-forward figures for {pair}; run `fxbot backtest` with that pair")
    options = metrics.get("options") or {}
    leverage = options.get("leverage") or {}
    blocks = ((metrics.get("portfolio") or {}).get("pnl") or {}).get("blocks") or {}
    pair_entry = {
        **_scope(skill["pairs"][pair], alpha),
        "pair": pair,
        "first_day": metrics["pairs"][pair]["first_day"],
        "last_day": metrics["pairs"][pair]["last_day"],
    }
    return {
        "format": FORMAT,
        "source": source,
        "generated": metrics.get("generated"),
        "variant": (metrics.get("variant") or {}).get("name"),
        "alpha": alpha,
        "test": (
            "p_value: McNemar against always-buy on the same calls; edge: ahead of always-buy with McNemar or "
            "Pesaran-Timmermann below alpha after Holm across the run (the promotion gate)"
        ),
        "pair": pair_entry,
        "pooled": {**_scope(skill["pooled"], alpha), "pairs": sorted(metrics["pairs"])},
        "portfolio": {
            "days": int(options.get("horizon_days", 20)),
            "confidence": float(options.get("confidence", 0.999)),
            "low": blocks.get("low"),
            "high": blocks.get("high"),
            "leverage": leverage,
            "gross_leverage": float(sum(leverage.values())) if leverage else None,
            "calls_tail": ((metrics.get("portfolio") or {}).get("pnl") or {}).get("tail"),
        },
    }


def write_evidence(report_folder: Path, model_folders: dict[str, Path]) -> list[Path]:
    """Write ``evidence.json`` into each pair's model folder from ``report_folder/metrics.json``; return the paths."""
    from fxbot.data.store import atomic_write_text

    metrics_path = Path(report_folder) / "metrics.json"
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"{metrics_path} does not exist; point --report at a folder written by `fxbot backtest`"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{metrics_path} cannot be read ({exc}); run `fxbot backtest` again") from None
    written = []
    for pair, folder in model_folders.items():
        content = evidence_from_metrics(metrics, pair, metrics_path.as_posix())
        path = evidence_path(folder)
        atomic_write_text(path, json.dumps(content, indent=1, sort_keys=True) + "\n")
        written.append(path)
    return written
