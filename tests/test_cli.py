"""The CLI as a user runs it: run-once on the bundled data, exit codes and one-line errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from .conftest import BUNDLED_DATA, SHIPPED_MODELS, FxbotCli, run_fxbot


def _config(tmp_path: Path, **sections: object) -> Path:
    base: dict[str, object] = {"data": {"dir": str(BUNDLED_DATA)}, "model": {"dir": str(SHIPPED_MODELS)}}
    for key, value in sections.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value  # type: ignore[dict-item]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(base))
    return path


def test_run_once_dry_run_prints_three_calls() -> None:
    result = run_fxbot("run-once", "--dry-run")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for pair in ("USD/JPY", "EUR/JPY", "GBP/JPY"):
        line = next(ln for ln in out.splitlines() if ln.startswith(pair))
        assert "2024-12-31" in line and ("BUY" in line or "SELL" in line) and "/5" in line
    assert "1.79x" in out and "1,790,000" in out and "1.68x" in out and "1.03x" in out
    assert "WARNING: the data are stale: the last bar is 2024-12-31" in out
    assert "Not investment advice." in out
    assert "Traceback" not in result.stderr


def test_as_of_uses_bars_up_to_that_day_only(fxbot_cli: FxbotCli) -> None:
    result = fxbot_cli("run-once", "--dry-run", "--as-of", "2024-06-14")
    assert result.returncode == 0, result.stderr
    assert "as of 2024-06-14 (data up to 2024-06-14)" in result.stdout
    assert "in-sample" in result.stdout
    weekend = fxbot_cli("run-once", "--dry-run", "--as-of", "2024-06-16")  # a Sunday
    assert "data up to 2024-06-14" in weekend.stdout
    assert "stale" not in weekend.stdout  # Friday's bar is the latest a Sunday can have


def test_stale_data_are_not_delivered(fxbot_cli: FxbotCli) -> None:
    result = fxbot_cli("run-once")
    assert result.returncode == 3
    assert "stale" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        ({"data": {"provder": "x"}}, 2, "data.provder: unknown key"),
        ({"pairs": ["USDJPY", "XAUJPY"]}, 2, "unknown pair 'XAUJPY'"),
        ({"model": {"engine": "onnx"}}, 2, "model.engine"),
        ({"model": {"dir": "/nonexistent/models"}}, 3, "no model manifest at /nonexistent/models/USDJPY"),
        ({"data": {"dir": "/nonexistent/data"}}, 3, "no price file for USDJPY"),
    ],
)
def test_bad_configuration_is_one_line(
    tmp_path: Path, content: dict[str, object], code: int, message: str, fxbot_cli: FxbotCli
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(content))
    result = fxbot_cli("run-once", "--dry-run", "--config", str(path))
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_corrupt_data_file_exit_3(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    data = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA, data, ignore=shutil.ignore_patterns("*.md"))
    text = (data / "EURJPY.csv").read_text().splitlines()
    text[100] = text[100].replace(",", ",-", 1)  # a negative open
    (data / "EURJPY.csv").write_text("\n".join(text) + "\n")
    result = fxbot_cli("run-once", "--dry-run", "--config", str(_config(tmp_path, data={"dir": str(data)})))
    assert result.returncode == 3
    assert "EURJPY.csv: row 100" in result.stderr and "price <= 0" in result.stderr


def test_config_before_or_after_command(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    path = _config(tmp_path, pairs=["GBPJPY"])
    for args in (("--config", str(path), "run-once", "--dry-run"), ("run-once", "--dry-run", "--config", str(path))):
        result = fxbot_cli(*args)
        assert result.returncode == 0, result.stderr
        assert "GBP/JPY" in result.stdout and "USD/JPY" not in result.stdout


def test_verbose_shows_traceback(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    result = fxbot_cli("run-once", "--dry-run", "--verbose", "--config", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2 and "Traceback" in result.stderr


def test_usage_error_exit_2(fxbot_cli: FxbotCli) -> None:
    result = fxbot_cli("run-once", "--as-of", "31/12/2024")
    assert result.returncode == 2 and "use YYYY-MM-DD" in result.stderr


def test_import_csv_dry_run_reports_and_writes_nothing(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(BUNDLED_DATA / "USDJPY.csv", data / "USDJPY.csv")
    before = (data / "USDJPY.csv").read_bytes()
    export = tmp_path / "export.csv"
    export.write_text(
        "<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\n"
        "2024.12.30\t157.716\t158.073\t156.669\t156.843\t1\n"
        "2024.12.31\t156.840\t157.548\t156.020\t157.400\t1\n"
        "2025.01.02\t157.300\t157.900\t157.000\t157.500\t1\n"
    )
    config = _config(tmp_path, data={"dir": str(data)})
    dry = fxbot_cli("import-csv", str(export), "--pair", "usd/jpy", "--dry-run", "--config", str(config))
    assert dry.returncode == 0, dry.stderr
    assert "overlaps 2 stored bar(s) of USDJPY; 1 differ" in dry.stdout and "1 new" in dry.stdout
    assert (data / "USDJPY.csv").read_bytes() == before
    real = fxbot_cli("import-csv", str(export), "--pair", "USDJPY", "--config", str(config))
    assert real.returncode == 0 and "2006-06-16..2025-01-02" in real.stdout
    again = fxbot_cli("import-csv", str(export), "--pair", "USDJPY", "--config", str(config))
    assert "nothing new" in again.stdout


def test_import_csv_japanese_shift_jis_file(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(BUNDLED_DATA / "EURJPY.csv", data / "EURJPY.csv")
    export = tmp_path / "rates.csv"
    rows = [
        "日付,始値,高値,安値,終値",
        "2024/12/31,163.239,163.430,162.448,162.891",
        "2025/01/02,162.900,163.500,162.100,162.700",
        "2025/01/03,162.700,163.100,162.000,162.400",
        "2025/01/04,162.400,162.420,162.390,162.410",  # Saturday stub
        "2025/01/03,162.700,163.100,162.000,162.400",  # the same row again: dropped and counted
    ]
    export.write_bytes("\r\n".join(rows).encode("shift_jis"))
    config = _config(tmp_path, data={"dir": str(data)})
    result = fxbot_cli("import-csv", str(export), "--pair", "EURJPY", "--config", str(config))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Japanese broker (日付,始値,高値,安値,終値), shift_jis; 5 rows, 2024-12-31..2025-01-03" in out
    assert "dropped 1 weekend stub bar(s) (not trading days) and 1 duplicate date(s)" in out
    assert "overlaps 1 stored bar(s) of EURJPY; 0 differ by more than 0.01%; 2 new" in out
    assert "2006-06-16..2025-01-03" in out
    tail = (data / "EURJPY.csv").read_text().splitlines()[-2:]
    assert tail == ["2025-01-02,162.9,163.5,162.1,162.7,0", "2025-01-03,162.7,163.1,162,162.4,0"]


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["run-once", "--dry-run", "--no-fetch", "--as-of", "2024-06-14"], "run-once"),
        (["--config", "run-once", "status", "--health"], "status"),  # a config file named like a command
        (["-v", "models", "promote", "USDJPY-20241231-0c103168"], "models"),
        (["train", "--jobs", "2", "--pairs", "USDJPY"], "train"),
        (["summary", "--week", "2024-06-14", "--dry-run"], "summary"),
    ],
)
def test_a_run_builds_only_its_own_commands_parser_and_parses_the_same(argv: list[str], command: str) -> None:
    from fxbot.cli import build_parser, command_in

    assert command_in(argv) == command
    assert vars(build_parser(command).parse_args(argv)) == vars(build_parser().parse_args(argv))
    with pytest.raises(LookupError):
        build_parser("no-such-command")


def test_an_as_of_after_the_last_close_is_refused_not_answered_with_old_bars(fxbot_cli: FxbotCli) -> None:
    run = fxbot_cli("run-once", "--dry-run", "--no-fetch", "--as-of", "2099-01-02")
    assert run.returncode == 2 and run.stdout == ""
    assert "--as-of 2099-01-02 is after the last completed trading day" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["train", "--epochs", "0"], "--epochs: 0 is out of range: it must be >= 1 and <= 1,000 (as training.epochs"),
        (["train", "--epochs", "100000"], "--epochs: 100000 is out of range: it must be >= 1 and <= 1,000"),
        (["train", "--epochs", "x"], "--epochs: 'x' is not a whole number"),
        (["import-csv", "f.csv", "--pair", "USDJPY", "--tolerance", "-1"], "--tolerance: -1 is out of range"),
        (["import-csv", "f.csv", "--pair", "USDJPY", "--max-jump", "nan"], "(as data.max_jump in the config)"),
        (["retrain", "--timeout", "0"], "--timeout: 0 is out of range: it must be > 0 and <= 86,400 (seconds)"),
        (["history", "--days", "0"], "--days: 0 is out of range"),
        (["import-csv", "tests", "--pair", "USDJPY"], "tests is a folder; give the exported CSV file"),
    ],
)
def test_command_line_numbers_are_bounded_like_the_config_exit_2_one_line(
    args: list[str], says: str, fxbot_cli: FxbotCli
) -> None:
    result = fxbot_cli(*args)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_a_number_option_and_its_config_key_share_one_definition() -> None:
    from fxbot.cli.arguments import config_number
    from fxbot.config import TrainingSettings, key_bounds

    kind, meta = key_bounds(TrainingSettings, "epochs")
    assert (kind, meta.ge, meta.le) == (int, 1, 1000)
    assert config_number(TrainingSettings, "training.epochs")("1000") == 1000


def test_the_in_process_cli_answers_as_the_child_process_does(fxbot_cli: FxbotCli, tmp_path: Path) -> None:
    """``fxbot_cli`` (most CLI tests) stands for ``run_fxbot``: the same exit code, stdout and stderr."""
    import re

    stamps = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", re.MULTILINE)
    bad = tmp_path / "c.yaml"
    bad.write_text(yaml.safe_dump({"data": {"provder": "x"}}))
    for args in (
        ("run-once", "--dry-run", "--as-of", "2024-06-14"),
        ("run-once", "--as-of", "31/12/2024"),  # argparse's exit
        ("run-once", "--dry-run", "--verbose", "--config", str(bad)),  # a printed traceback
        ("run-once", "--dry-run", "--verbose", "--as-of", "2024-06-14"),  # log lines (their times differ)
    ):
        env = {"FXBOT_STATE_DIR": str(tmp_path / "state")}  # each starts from an empty one: both seed it
        child = run_fxbot(*args, env=env)
        shutil.rmtree(tmp_path / "state", ignore_errors=True)
        here = fxbot_cli(*args, env=env)
        shutil.rmtree(tmp_path / "state", ignore_errors=True)
        assert (here.returncode, here.stdout) == (child.returncode, child.stdout), args
        assert stamps.sub("T ", here.stderr) == stamps.sub("T ", child.stderr), args
    assert "INFO fxbot.state: state: seeded" in here.stderr  # the last case did log
