"""The Prometheus textfile: written atomically after every run, parsed here with prometheus_client's own parser."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from fxbot.metrics import LedgerFigures, MetricsWriter, RunOutcome, collect, read_ledger, render

from .conftest import BUNDLED_DATA, SHIPPED_MODELS, FxbotCli
from .support.ledger import as_live

NOW = dt.datetime(2025, 1, 6, 23, 0, tzinfo=dt.UTC)  # Monday evening: Monday 2025-01-06 is the last completed day


def _parse(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Sample name -> [(labels, value)], through prometheus_client's parser (it raises on a malformed file)."""
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return out


def _value(parsed: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return next(v for lab, v in parsed[name] if lab == labels)


def test_render_is_valid_exposition_format() -> None:
    outcome = RunOutcome(0, 1.25, NOW, peak_rss_bytes=55 * 2**20)
    ledger = LedgerFigures(NOW - dt.timedelta(days=1), calls=20, right=11, up_days=12, failed_deliveries=2,
                           pending_deliveries=0)  # fmt: skip
    parsed = _parse(render(collect(outcome, ledger, {"USDJPY": 0, "EURJPY": 3})))
    assert _value(parsed, "fxbot_last_success_timestamp_seconds") == NOW.timestamp()  # this run succeeded
    assert _value(parsed, "fxbot_last_run_duration_seconds") == 1.25
    assert _value(parsed, "fxbot_last_run_peak_rss_bytes") == 55 * 2**20
    assert _value(parsed, "fxbot_data_age_trading_days", pair="EURJPY") == 3
    assert _value(parsed, "fxbot_track_record_accuracy_ratio", window="20") == 0.55
    assert _value(parsed, "fxbot_track_record_always_buy_accuracy_ratio", window="20") == 0.6
    assert _value(parsed, "fxbot_delivery_failures_total") == 2


def test_every_sample_belongs_to_a_declared_family() -> None:
    """Each TYPE line names its samples (a counter's end in _total): the parser finds no untyped series and no
    empty family. Before, ``# TYPE fxbot_delivery_failures counter`` with ``fxbot_delivery_failures_total`` parsed
    as an empty counter plus an untyped series."""
    outcome = RunOutcome(0, 1.25, NOW, peak_rss_bytes=55 * 2**20)
    ledger = LedgerFigures(NOW - dt.timedelta(days=1), calls=20, right=11, up_days=12, failed_deliveries=2,
                           pending_deliveries=1, loss_20d_jpy=574_185.0, worst_20d_jpy=737_105.0)  # fmt: skip
    text = render(collect(outcome, ledger, {"USDJPY": 0, "EURJPY": 3}))
    families = list(text_string_to_metric_families(text))
    declared = {line.split()[2]: line.split()[3] for line in text.splitlines() if line.startswith("# TYPE ")}
    samples = [line.split("{")[0].split()[0] for line in text.splitlines() if not line.startswith("#")]
    assert all(f.type != "unknown" and f.samples for f in families), [(f.name, f.type) for f in families]
    assert set(samples) == set(declared)  # every sample line is named by a TYPE line, and every TYPE has samples
    assert len(families) == len(declared) == 14  # every family collect() makes, each with its samples
    [failures] = [f for f in families if f.type == "counter"]
    assert [s.name for s in failures.samples] == ["fxbot_delivery_failures_total"] and failures.samples[0].value == 2


def test_a_failed_run_keeps_the_last_success_from_the_ledger() -> None:
    earlier = NOW - dt.timedelta(days=3)
    ledger = LedgerFigures(earlier, calls=0, right=0, up_days=0, failed_deliveries=0, pending_deliveries=1)
    parsed = _parse(render(collect(RunOutcome(137, 600.0, NOW), ledger, {})))
    assert _value(parsed, "fxbot_last_success_timestamp_seconds") == earlier.timestamp()
    assert _value(parsed, "fxbot_last_run_exit_code") == 137
    assert "fxbot_track_record_accuracy_ratio" not in parsed  # no scored calls: no ratio, not 0
    assert "fxbot_last_run_peak_rss_bytes" not in parsed
    without = _parse(render(collect(RunOutcome(4, 2.0, NOW), None, {})))
    assert "fxbot_last_success_timestamp_seconds" not in without  # never succeeded: absent, for absent() alerts


def _config(tmp_path: Path, textfile: Path | str) -> Path:
    cfg = {
        "data": {"dir": str(BUNDLED_DATA)},
        "model": {"dir": str(SHIPPED_MODELS)},
        "ledger": {"path": str(tmp_path / "state" / "fxbot.sqlite")},
        "metrics": {"textfile": str(textfile)},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_run_once_writes_the_textfile(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    prom = tmp_path / "textfile_collector" / "fxbot.prom"
    prom.parent.mkdir()
    config = str(_config(tmp_path, prom))
    for day in ("2024-12-27", "2024-12-30", "2024-12-31"):  # three days: the first two calls get scored
        run = fxbot_cli("run-once", "--no-fetch", "--as-of", day, "--force", "--config", config)
        assert run.returncode == 0, run.stderr
    # Past days can only be replayed: replays never count as live, so the track record is empty...
    assert _value(_parse(prom.read_text()), "fxbot_track_record_calls", window="20") == 0
    # ...until the same calls stand for a live record (relabelled live), as the next run's metrics show.
    assert as_live(tmp_path / "state" / "fxbot.sqlite") == 9
    run = fxbot_cli("run-once", "--no-fetch", "--as-of", "2024-12-31", "--force", "--config", config)
    assert run.returncode == 0, run.stderr
    parsed = _parse(prom.read_text())
    assert _value(parsed, "fxbot_last_run_exit_code") == 0
    assert abs(_value(parsed, "fxbot_last_success_timestamp_seconds") - dt.datetime.now(dt.UTC).timestamp()) < 120
    assert _value(parsed, "fxbot_last_run_peak_rss_bytes") > 10 * 2**20
    assert {lab["pair"] for lab, _ in parsed["fxbot_data_age_trading_days"]} == {"USDJPY", "EURJPY", "GBPJPY"}
    assert _value(parsed, "fxbot_track_record_calls", window="20") == 6  # 2 scored days x 3 pairs
    assert 0 <= _value(parsed, "fxbot_track_record_accuracy_ratio", window="20") <= 1
    assert _value(parsed, "fxbot_delivery_failures_total") == 0
    assert os.stat(prom).st_mode & 0o777 == 0o644  # node_exporter reads it as another user
    assert [p.name for p in prom.parent.iterdir()] == ["fxbot.prom"]  # no temporary file left behind

    stale = fxbot_cli("run-once", "--no-fetch", "--config", config)  # bundled data are stale today: exit 3
    assert stale.returncode == 3
    after = _parse(prom.read_text())
    assert _value(after, "fxbot_last_run_exit_code") == 3
    # the last success is the previous run's, from the ledger
    assert _value(after, "fxbot_last_success_timestamp_seconds") <= _value(after, "fxbot_last_run_timestamp_seconds")


def test_an_unwritable_textfile_is_a_warning_never_a_failed_run(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    run = fxbot_cli(
        "run-once", "--no-fetch", "--as-of", "2024-12-31", "--force",
        "--config", str(_config(tmp_path, tmp_path / "no" / "such" / "folder" / "fxbot.prom")),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("metrics: cannot write") == 1 and "the run is not affected" in run.stderr


def test_metrics_never_create_a_ledger_and_survive_a_broken_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = tmp_path / "state" / "fxbot.sqlite"
    writer = MetricsWriter(tmp_path / "fxbot.prom", ledger_path=ledger, data_dir=BUNDLED_DATA, pairs=["USDJPY"])
    assert writer.write(RunOutcome(0, 1.0, NOW)) and not ledger.exists()
    ledger.parent.mkdir()
    ledger.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="fxbot.metrics"):
        assert writer.write(RunOutcome(0, 1.0, NOW))
    assert "cannot read the ledger" in caplog.text
    assert "fxbot_track_record_calls" not in (tmp_path / "fxbot.prom").read_text()


def test_read_ledger_counts_deliveries_and_the_track_record(tmp_path: Path) -> None:
    from fxbot.ledger import Ledger

    path = tmp_path / "fxbot.sqlite"
    ledger = Ledger(path)
    run_id = ledger.start_run(dt.date(2025, 1, 3))
    failed = ledger.begin_delivery(run_id, dt.date(2025, 1, 3), "C0TEST", "slack")
    ledger.mark_failed(failed, "not_in_channel")
    ledger.begin_delivery(run_id, dt.date(2025, 1, 3), "C0TEST", "slack")
    ledger.finish_run(run_id, "ok")
    ledger.close()
    figures = read_ledger(path)
    assert figures is not None
    assert (figures.failed_deliveries, figures.pending_deliveries, figures.calls) == (1, 1, 0)
    assert figures.last_success is not None and figures.last_success.tzinfo is not None
    with sqlite3.connect(path) as db:  # read-only: the schema is untouched
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def _writer(textfile: Path, tmp_path: Path) -> MetricsWriter:
    return MetricsWriter(textfile, ledger_path=tmp_path / "none.sqlite", data_dir=BUNDLED_DATA, pairs=["USDJPY"])


@pytest.mark.parametrize("victim", ["ledger", "bar_csv", "champion_pointer"])
def test_metrics_textfile_pointed_at_a_file_it_did_not_write_leaves_it_intact(
    tmp_path: Path, victim: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A mistyped metrics.textfile never destroys the ledger, a bar file or the champion pointer."""
    from fxbot import metrics

    monkeypatch.setattr(metrics, "_warned", set())
    if victim == "ledger":
        path = tmp_path / "fxbot.sqlite"
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY)")
    elif victim == "bar_csv":
        path = tmp_path / "USDJPY.csv"
        path.write_bytes((BUNDLED_DATA / "USDJPY.csv").read_bytes())
    else:
        path = tmp_path / "champion"
        path.write_text("USDJPY-20241231-1a2b3c4d\n")
    before = path.read_bytes()
    with caplog.at_level(logging.WARNING, logger="fxbot.metrics"):
        assert _writer(path, tmp_path).write(RunOutcome(0, 1.0, NOW)) is False
    assert path.read_bytes() == before
    assert "is not a file fxbot wrote" in caplog.text and "the run is not affected" in caplog.text
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left


def test_metrics_textfile_never_follows_a_symlink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fxbot import metrics

    monkeypatch.setattr(metrics, "_warned", set())
    real = tmp_path / "real.prom"
    assert _writer(real, tmp_path).write(RunOutcome(0, 1.0, NOW))  # a textfile fxbot wrote
    before = real.read_bytes()
    link = tmp_path / "link.prom"
    link.symlink_to(real)
    assert _writer(link, tmp_path).write(RunOutcome(3, 1.0, NOW)) is False
    assert link.is_symlink() and real.read_bytes() == before


def test_metrics_textfile_refuses_a_non_regular_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FIFO stands in for a device node (making one needs root): never replaced, never read."""
    import stat

    from fxbot import metrics

    monkeypatch.setattr(metrics, "_warned", set())
    fifo = tmp_path / "fxbot.prom"
    os.mkfifo(fifo)
    assert _writer(fifo, tmp_path).write(RunOutcome(0, 1.0, NOW)) is False
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_metrics_textfile_replaces_its_own_file_and_one_from_before_the_marker(tmp_path: Path) -> None:
    from fxbot.metrics import MARKER

    prom = tmp_path / "fxbot.prom"
    prom.write_text("# HELP fxbot_last_run_timestamp_seconds When the last daily run ended.\n")  # an older fxbot's
    assert _writer(prom, tmp_path).write(RunOutcome(0, 1.0, NOW))
    assert prom.read_text().startswith(MARKER)
    assert _writer(prom, tmp_path).write(RunOutcome(4, 1.0, NOW))
    assert _value(_parse(prom.read_text()), "fxbot_last_run_exit_code") == 4
