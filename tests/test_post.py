"""What a trader reads: risk and evidence in every posted call, the no-edge sentence, Japanese throughout.

The real slack_sdk posts to the Slack stand-in on 127.0.0.1; the assertions are on the blocks it stored.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from fxbot.cli import main
from fxbot.data.store import PriceStore

from .conftest import BUNDLED_DATA, REPO, SHIPPED_MODELS, FxbotCli
from .support.slack_server import TOKEN, SlackStandIn

CHANNEL = "C0FXSIGNALS"
DAY = "2024-06-14"
PAIRS = ("USDJPY", "EURJPY", "GBPJPY")


def _config(tmp_path: Path, *, models: Path = SHIPPED_MODELS, data: Path = BUNDLED_DATA, **notify: Any) -> Path:
    cfg = {
        "data": {"dir": str(data)},
        "model": {"dir": str(models)},
        "ledger": {"path": str(tmp_path / "state" / "ledger.sqlite")},
        "notify": {"slack": {"channel": CHANNEL, "retries": 1, "timeout_seconds": 1}, **notify},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _post(slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch, config: Path, day: str = DAY) -> dict[str, Any]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("FXBOT_SLACK_API_URL", slack.api_url)
    assert main(["run-once", "--replay", "--no-fetch", "--as-of", day, "--config", str(config)]) == 0
    [post] = slack.calls("chat.postMessage")
    return post.params


def _sections(blocks: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Each pair section's fields as {label: value}, keyed by the pair's display name."""
    out = {}
    for block in blocks:
        if "fields" in block:
            pair = block["text"]["text"].split("*")[1].split()[0]
            out[pair] = dict(f["text"].strip("*").split("*\n", 1) for f in block["fields"])
    return out


def _texts(params: dict[str, Any]) -> list[str]:
    """Every piece of text a reader sees in a post: the fallback, headers, sections, fields, context."""
    out = [params["text"]]
    for block in params["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        out += [e["text"] for e in block.get("elements", [])]
    return out


def _models_with_evidence(tmp_path: Path, change: dict[str, Any]) -> Path:
    """The shipped models (linked) with each pair's evidence.json edited by ``change``."""
    root = tmp_path / "models"
    for code in PAIRS:
        folder = root / code
        folder.mkdir(parents=True)
        for item in (SHIPPED_MODELS / code).iterdir():
            if item.name != "evidence.json":
                (folder / item.name).symlink_to(item)
        evidence = json.loads((SHIPPED_MODELS / code / "evidence.json").read_text())
        for scope, values in change.items():
            evidence[scope].update(values)
        (folder / "evidence.json").write_text(json.dumps(evidence))
    return root


def test_the_post_carries_each_calls_risk_and_the_stored_evidence(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = _post(slack, monkeypatch, _config(tmp_path))
    pairs = _sections(params["blocks"])
    # The 1-day 99 % loss of the SELL from history, recomputed here: every daily return up to the bar day applied
    # to -1,790,000, the loss at rank ceil(0.99 n); and the filtered one (returns x today's EWMA volatility / then's,
    # through pandas). The post shows the larger.
    bars = PriceStore(BUNDLED_DATA).load("USDJPY").up_to(dt.date(2024, 6, 14))
    returns = [b / a - 1 for a, b in itertools.pairwise(bars.close.tolist())]
    losses = sorted(r * 1_790_000 for r in returns)  # a SELL loses when the pair rises
    historical = losses[math.ceil(0.99 * len(losses)) - 1]
    series = pd.Series(returns)
    seed = float((series[:20] ** 2).mean())
    variance = pd.concat([pd.Series([seed]), series**2]).ewm(alpha=0.06, adjust=False).mean().to_numpy()
    scaled = sorted(r / math.sqrt(variance[i]) * math.sqrt(variance[-1]) * 1_790_000 for i, r in enumerate(returns))
    filtered = scaled[math.ceil(0.99 * len(scaled)) - 1]
    usd = pairs["USD/JPY"]
    assert usd["1-day 99% loss"] == f"¥{max(historical, filtered):,.0f}"
    assert usd["Held (close to close)"] == "2024-06-14 17:00 → 2024-06-17 17:00 New York"
    # The committed evidence (reports/backtest-2008-2024): 49.8 % against always-buy's 51.0 %, McNemar p 0.87.
    assert usd["Walk-forward"] == "49.8% vs always-buy 51.0% · p=0.87"
    assert pairs["GBP/JPY"]["Walk-forward"] == "50.7% vs always-buy 51.2% · p=0.68"
    texts = [b["text"]["text"] for b in params["blocks"] if b["type"] == "section" and "fields" not in b]
    [portfolio] = [t for t in texts if t.startswith("*Portfolio*")]
    assert "gross exposure 4.50x equity (¥4,500,000)" in portfolio
    # following the calls in the committed walk-forward (reports/backtest-2008-2024, at the same 4.50x) leads
    assert "20-day 99.9% loss from history: ¥574,185 (57.4% of equity; following the calls, walk-forward)" in portfolio
    assert "worst 20 days: ¥737,105 (73.7%, 2008-09-26 → 2008-10-23)" in portfolio
    assert "2.3x the 25% drawdown budget" in portfolio
    [evidence] = [t for t in texts if t.startswith("*Evidence*")]
    assert "right on 50.2% of 13,223 calls, always-buy on the same calls 51.1% (McNemar p=0.93)" in evidence
    assert evidence.endswith("Live: no scored calls yet.")


def test_the_20_day_loss_is_at_least_90_percent_of_the_empirical_loss_of_following_the_calls(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recomputed from the committed calls (reports/backtest-2008-2024/calls.csv), price moves only: the majority
    # of the five members at the shipped leverage, every rolling 20-day sum, its 99.9 % loss (about 565,000).
    calls = pd.read_csv(REPO / "reports" / "backtest-2008-2024" / "calls.csv", parse_dates=["date"])
    up = (calls[[f"member_{i}" for i in range(5)]] > 0.5).sum(axis=1) >= 3
    leverage = calls["pair"].map({"USDJPY": 1.79, "EURJPY": 1.68, "GBPJPY": 1.03})
    daily = ((up * 2 - 1) * (calls["next_close"] / calls["close"] - 1) * leverage).groupby(calls["date"]).sum()
    empirical = float((-daily.sort_index().rolling(20).sum().dropna()).quantile(0.999)) * 1_000_000
    assert 540_000 < empirical < 590_000
    params = _post(slack, monkeypatch, _config(tmp_path))
    [line] = [t for t in _texts(params) if t.startswith("*Portfolio*")]
    posted = re.search(r"20-day 99\.9% loss from history: ¥([\d,]+)", line)
    assert posted is not None and float(posted.group(1).replace(",", "")) >= 0.9 * empirical


def test_no_edge_is_said_in_plain_words_and_the_call_is_still_shown(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = _post(slack, monkeypatch, _config(tmp_path))
    sentence = "No edge: in the walk-forward these models did not beat simply buying every day"
    assert any(t.startswith(f":warning: *{sentence}") for t in _texts(params))
    assert sentence in params["text"] and "USD/JPY ▼ SELL 5/5" in params["text"]
    assert len(_sections(params["blocks"])) == 3


def test_evidence_of_an_edge_drops_the_no_edge_sentence(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    better = {"accuracy": 0.56, "always_buy_accuracy": 0.51, "p_value": 0.001, "edge": True}
    models = _models_with_evidence(tmp_path, {"pair": better, "pooled": better})
    params = _post(slack, monkeypatch, _config(tmp_path, models=models))
    joined = "\n".join(_texts(params))
    assert "No edge" not in joined
    assert "In the walk-forward these models beat always-buy on the same calls (significant at 0.01" in joined
    assert _sections(params["blocks"])["USD/JPY"]["Walk-forward"] == "56.0% vs always-buy 51.0% · p=0.001"


def test_one_pair_without_an_edge_is_named(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    better = {"accuracy": 0.56, "always_buy_accuracy": 0.51, "p_value": 0.001, "edge": True}
    models = _models_with_evidence(tmp_path, {"pair": better, "pooled": better})
    evidence = json.loads((models / "EURJPY" / "evidence.json").read_text())
    evidence["pair"]["edge"] = False
    (models / "EURJPY" / "evidence.json").write_text(json.dumps(evidence))
    params = _post(slack, monkeypatch, _config(tmp_path, models=models))
    assert "simply buying every day (EUR/JPY)." in params["text"]


ALLOWED = re.compile(
    r"`[^`]*`"  # commands
    r"|:[a-z_]+:"  # emoji names
    r"|\b[A-Z]{6}-\d{8}-[0-9a-f]{8}\b"  # model versions
    r"|\b(?:USD|EUR|GBP|JPY)(?:/(?:USD|EUR|GBP|JPY))?\b|\b[A-Z]{6}\b"  # currencies and pairs
    r"|\bfxbot\b"
)


def english_words(texts: list[str]) -> list[str]:
    """Latin-letter words (two letters or more) left once names, codes and commands are taken out."""
    return [w for t in texts for w in re.findall(r"[A-Za-z]{2,}", ALLOWED.sub(" ", t))]


def test_japanese_post_has_no_english_words_left(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = _post(slack, monkeypatch, _config(tmp_path, locale="ja", colors={"buy": "red", "sell": "blue"}))
    texts = _texts(params)
    assert english_words(texts) == []
    joined = "\n".join(texts)
    # the warnings too: a replay, in-sample calls, no edge
    assert "再現:" in joined and "学習期間内の再現" in joined and "優位性なし" in joined
    assert "1日99%損失" in joined and "総エクスポージャー 自己資本の4.50倍" in joined
    # BUY is red, SELL blue (USD/JPY is a SELL that day)
    usd = next(b for b in params["blocks"] if "fields" in b)
    assert usd["text"]["text"].startswith(":large_blue_circle: *USD/JPY  ▼ 売り*")
    assert english_words(["last 3 calls: 2 right"]) == ["last", "calls", "right"]  # the check can fail


def test_too_little_history_is_risk_na_not_a_failed_post(
    slack: SlackStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for code in PAIRS:  # the last 50 bars up to the day: enough for the models (39), not for 250 past days
        lines = (BUNDLED_DATA / f"{code}.csv").read_text().splitlines()
        upto = [ln for ln in lines[1:] if ln[:10] <= DAY]
        (data / f"{code}.csv").write_text("\n".join([lines[0], *upto[-50:]]) + "\n")
    params = _post(slack, monkeypatch, _config(tmp_path, data=data))
    for fields in _sections(params["blocks"]).values():
        assert fields["1-day 99% loss"] == "risk: n/a (needs 251 bars)"
    # the book's own history is too short too: only following the calls (the stored walk-forward) remains
    [line] = [t for t in _texts(params) if t.startswith("*Portfolio*")]
    assert "loss from history: ¥574,185 (57.4% of equity; following the calls, walk-forward)" in line


def test_the_default_state_layout_posts_the_evidence_stored_with_the_champion(
    tmp_path: Path, fxbot_cli: FxbotCli
) -> None:
    """With the default state_dir the shipped models are seeded as versions; their evidence must travel with them."""
    state = tmp_path / "state"
    run = fxbot_cli("run-once", "--dry-run", "--no-fetch", "--as-of", "2024-06-14", env={"FXBOT_STATE_DIR": str(state)})
    assert run.returncode == 0, run.stderr
    assert list((state / "models" / "USDJPY").glob("USDJPY-*/evidence.json"))  # seeded into the version folder
    assert "WARNING: No edge:" in run.stdout and "Walk-forward: 49.8% vs always-buy 51.0%" in run.stdout
    assert (
        "Evidence: walk-forward 2008-01-02 to 2024-12-30" in run.stdout
        and "following the calls, walk-forward" in run.stdout
    )

    # A champion without stored evidence says so instead of looking tested.
    for evidence in (state / "models").glob("*/*/evidence.json"):
        evidence.unlink()
    bare = fxbot_cli(
        "run-once", "--dry-run", "--no-fetch", "--as-of", "2024-06-14", env={"FXBOT_STATE_DIR": str(state)}
    )
    assert bare.returncode == 0, bare.stderr
    assert "Evidence: no walk-forward evidence is stored with these models" in bare.stdout
    assert "Walk-forward:" not in bare.stdout
