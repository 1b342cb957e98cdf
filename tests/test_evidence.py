"""The evidence stored with the models: reproducible from the committed walk-forward, read strictly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from fxbot.cli import main
from fxbot.errors import ModelError
from fxbot.model.evidence import evidence_from_metrics, load_evidence, write_evidence

from .conftest import REPO, SHIPPED_MODELS

REPORT = REPO / "reports" / "backtest-2008-2024"
PAIRS = ("USDJPY", "EURJPY", "GBPJPY")


def test_committed_evidence_is_what_the_command_writes_from_the_committed_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = {code: tmp_path / code for code in PAIRS}
    for folder in folders.values():
        folder.mkdir()
    # The command runs from the repository root with a relative --report, as docs/posts.md says.
    monkeypatch.chdir(REPO)
    write_evidence(Path("reports/backtest-2008-2024"), folders)
    for code in PAIRS:
        assert (tmp_path / code / "evidence.json").read_bytes() == (
            SHIPPED_MODELS / code / "evidence.json"
        ).read_bytes()


def test_the_shipped_evidence_shows_no_edge_with_the_reports_figures() -> None:
    metrics = json.loads((REPORT / "metrics.json").read_text())
    evidence = load_evidence(SHIPPED_MODELS / "EURJPY")
    assert evidence is not None
    pooled = metrics["skill"]["pooled"]
    assert evidence.pooled_accuracy == pooled["accuracy"] and evidence.pooled_calls == pooled["n"]
    assert evidence.pooled_always_buy_accuracy == pooled["always_buy_accuracy"]
    assert evidence.p_value == metrics["skill"]["pairs"]["EURJPY"]["mcnemar_p"]
    assert round(evidence.pooled_accuracy, 3) == 0.502 and round(evidence.pooled_always_buy_accuracy, 3) == 0.511
    assert not evidence.edge and not evidence.pooled_edge
    assert evidence.interval_low == metrics["portfolio"]["pnl"]["blocks"]["low"]
    assert evidence.gross_leverage == pytest.approx(4.5)
    # following the calls, from history: the rolling 20-day tail the posts lead with when it is the largest
    tail = metrics["portfolio"]["pnl"]["tail"]
    assert evidence.calls_tail is not None and evidence.calls_tail.loss_jpy == tail["loss_jpy"]
    assert evidence.calls_tail.worst_end.isoformat() == tail["worst_end"] == "2008-10-23"


def test_edge_follows_the_gate_rule() -> None:
    metrics = json.loads((REPORT / "metrics.json").read_text())
    entry = metrics["skill"]["pairs"]["USDJPY"]
    entry.update(accuracy=0.56, always_buy_accuracy=0.51, mcnemar_p_holm=0.5, pt_p_holm=0.004)
    assert evidence_from_metrics(metrics, "USDJPY", "m.json")["pair"]["edge"] is True
    entry.update(pt_p_holm=0.02)  # neither test below 0.01 after Holm
    assert evidence_from_metrics(metrics, "USDJPY", "m.json")["pair"]["edge"] is False
    entry.update(accuracy=0.50, pt_p_holm=0.001)  # significant, but behind always-buy
    assert evidence_from_metrics(metrics, "USDJPY", "m.json")["pair"]["edge"] is False
    with pytest.raises(ModelError, match="no walk-forward figures for CHFJPY"):
        evidence_from_metrics(metrics, "CHFJPY", "m.json")


def test_missing_evidence_is_none_and_a_broken_file_one_clear_error(tmp_path: Path) -> None:
    assert load_evidence(tmp_path) is None
    (tmp_path / "evidence.json").write_text("{not json")
    with pytest.raises(ModelError, match=r"evidence.json cannot be read .*`fxbot evidence`"):
        load_evidence(tmp_path)
    (tmp_path / "evidence.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(ModelError, match=r"not an fxbot evidence file .*format 99"):
        load_evidence(tmp_path)


def test_the_evidence_command_writes_into_model_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"model": {"dir": str(tmp_path / "models")}}))
    import shutil

    from fxbot.model.registry import Registry

    shutil.copytree(SHIPPED_MODELS / "USDJPY", tmp_path / "models" / "USDJPY")  # a flat champion folder
    (tmp_path / "models" / "USDJPY" / "evidence.json").unlink()
    assert main(["evidence", "--report", str(REPORT), "--pairs", "usd/jpy", "--config", str(config)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'models' / 'USDJPY' / 'evidence.json'}"
    assert load_evidence(tmp_path / "models" / "USDJPY") is not None
    # A versioned registry: the evidence goes beside the champion the posts are made with.
    version = Registry(tmp_path / "models").migrate("USDJPY")
    assert main(["evidence", "--report", str(REPORT), "--pairs", "USDJPY", "--config", str(config)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'models' / 'USDJPY' / str(version) / 'evidence.json'}"
    assert main(["evidence", "--report", str(tmp_path), "--pairs", "USDJPY", "--config", str(config)]) == 3
    assert "metrics.json does not exist" in capsys.readouterr().err
