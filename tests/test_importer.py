"""Broker CSV import: each dialect, weekend stubs, encodings and malformed files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from fxbot.calendar import is_trading_day
from fxbot.data.bars import Bars, as_date
from fxbot.data.importer import parse_broker_csv, read_broker_csv
from fxbot.data.store import PriceStore, format_bars_csv
from fxbot.errors import DataError

from .conftest import BUNDLED_DATA, SHIPPED_MODELS, FxbotCli

SHARED_USDJPY = Path(__file__).resolve().parents[2] / "shared" / "data" / "fx" / "USDJPY.csv"

ROWS = [
    ("2024.12.27", "157.890", "157.951", "157.353", "157.860", "67213"),
    ("2024.12.28", "157.860", "157.870", "157.850", "157.860", "12"),  # Saturday stub
    ("2024.12.30", "157.716", "158.073", "156.669", "156.843", "67444"),
    ("2024.12.31", "156.840", "157.548", "156.020", "157.298", "70985"),
]


def _check(result_bars: Bars, stubs: int = 1) -> None:
    frame = result_bars.to_frame()
    assert [d.isoformat() for d in frame.index.date] == ["2024-12-27", "2024-12-30", "2024-12-31"]
    assert frame["close"].tolist() == [157.86, 156.843, 157.298]


def test_mt5_plain_header() -> None:
    text = "date,open,high,low,close,tick_volume,spread,real_volume,symbol,source\n" + "\n".join(
        ",".join([*r, "0", "0", "USDJPY", "Pepperstone MT5"]) for r in ROWS
    )
    result = parse_broker_csv(text.encode(), "mt5.csv")
    _check(result.bars)
    assert result.weekend_stubs == 1 and result.dialect.startswith("MetaTrader 5")


def test_mt_angle_bracket_header_tab_separated() -> None:
    text = "<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n" + "\n".join(
        "\t".join([*r, "0", "3"]) for r in ROWS
    )
    result = parse_broker_csv(text.encode(), "mt.tsv")
    _check(result.bars)
    assert "<DATE>" in result.dialect


def test_mt4_no_header_with_time_column() -> None:
    text = "\n".join(",".join([r[0], "00:00", *r[1:]]) for r in ROWS)
    result = parse_broker_csv(text.encode(), "mt4.csv")
    _check(result.bars)
    assert result.dialect == "MetaTrader (no header)"


def test_generic_iso_dates() -> None:
    text = "Date,Open,High,Low,Close,Volume\n" + "\n".join(",".join([r[0].replace(".", "-"), *r[1:]]) for r in ROWS)
    _check(parse_broker_csv(text.encode(), "g.csv").bars)


@pytest.mark.parametrize("encoding", ["utf-8", "shift_jis"])
def test_japanese_broker_file(encoding: str) -> None:
    text = "日付,始値,高値,安値,終値\n" + "\n".join(",".join([r[0].replace(".", "/"), *r[1:5]]) for r in ROWS)
    result = parse_broker_csv(text.encode(encoding), "jp.csv")
    _check(result.bars)
    assert result.encoding == encoding
    assert "日付" in result.dialect


def test_identical_duplicates_are_dropped_and_counted() -> None:
    text = "Date,Open,High,Low,Close,Volume\n2024-12-30,1,2,0.5,1.5,7\n2024-12-30,1,2,0.5,1.5,9\n"
    result = parse_broker_csv(text.encode(), "d.csv")
    assert result.duplicates == 1 and result.bars.to_frame()["close"].tolist() == [1.5]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("Date,Open,High,Low,Close\n", "a header but no bars"),
        ("Date,Open,High,Low,Close\n2024-12-30,1,2,0.5,abc\n", "line 2 has a non-numeric close"),
        ("Date,Open,High,Low,Close\n2024-12-30,1,2\n", "line 2 has 3 fields, expected 5"),
        ("Date,Open,High,Low,Close\n30/12/2024,1,2,0.5,1\n", "cannot read the date"),
        ("Date,Open,High,Close\n2024-12-30,1,2,1\n", "no low column"),
        ("Date,Open,High,Low,Close\n2024-12-30,1,2,1.5,1.2\n", "low above open or close"),
    ],
)
def test_malformed_files_are_data_errors(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_broker_csv(text.encode(), "bad.csv")


@pytest.mark.skipif(not SHARED_USDJPY.exists(), reason="shared/ data not beside the repo")
def test_shared_history_imports_like_the_bundled_file(bundled_store) -> None:  # type: ignore[no-untyped-def]
    result = read_broker_csv(SHARED_USDJPY)
    assert result.weekend_stubs == 252
    stored = bundled_store.load("USDJPY").to_frame()
    imported = result.bars.to_frame()
    assert imported.index.equals(stored.index)
    assert (imported["close"] - stored["close"]).abs().max() < 1e-9


def test_unusable_volumes_count_as_unknown() -> None:
    text = "Date,Open,High,Low,Close,Volume\n" + "\n".join(
        f"2024-12-{day},1,2,0.5,1.5,{v}"
        for day, v in zip((23, 24, 26, 27, 30), ("inf", "1e400", "9" * 25, "-5", " 1234"), strict=True)
    )
    result = parse_broker_csv(text.encode(), "v.csv")
    assert result.bars.to_frame()["volume"].tolist() == [0, 0, 0, 0, 1234]


# --- imports guard the history (issue 12) -----------------------------------------------------------

HOURLY = [
    ("2024.12.30", "22:00", "157.716", "157.800", "157.600", "157.700", "900"),
    ("2024.12.30", "23:00", "157.700", "157.900", "157.650", "157.850", "800"),
    ("2024.12.31", "00:00", "157.850", "157.950", "157.700", "157.720", "700"),
]


@pytest.mark.parametrize(
    "text",
    [
        "\n".join(",".join(r) for r in HOURLY),  # MT4 history centre, no header
        "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\n" + "\n".join("\t".join(r) for r in HOURLY),
        "Date,Open,High,Low,Close,Volume\n"  # one datetime column
        + "\n".join(",".join([f"{r[0].replace('.', '-')} {r[1]}:00", *r[2:]]) for r in HOURLY),
    ],
    ids=["mt4-no-header", "mt5-date-time", "datetime-column"],
)
def test_intraday_rows_are_refused(text: str) -> None:
    with pytest.raises(
        DataError,
        match=r"h1.csv: intraday rows \(3 times of day, e\.g\. 22:00 and 23:00 on 2024-12-30\).*export D1 bars",
    ):
        parse_broker_csv(text.encode(), "h1.csv")


def test_a_daily_export_with_a_midnight_time_column_is_daily() -> None:
    text = "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\n" + "\n".join(
        "\t".join([r[0], "00:00:00", *r[1:5]]) for r in ROWS
    )
    _check(parse_broker_csv(text.encode(), "d1.tsv").bars)


def test_christmas_and_new_year_bars_are_dropped_like_fetch_does() -> None:
    text = "Date,Open,High,Low,Close\n" + "\n".join(
        f"{day},157.0,157.5,156.5,157.2"
        for day in ("2024-12-24", "2024-12-25", "2024-12-26", "2025-01-01", "2025-01-02")
    )
    result = parse_broker_csv(text.encode(), "x.csv")
    assert [as_date(d).isoformat() for d in result.bars.dates] == ["2024-12-24", "2024-12-26", "2025-01-02"]
    assert result.holidays == 2 and result.weekend_stubs == 0


def test_conflicting_duplicates_are_refused_and_listed() -> None:
    text = (
        "Date,Open,High,Low,Close\n2024-12-27,1,2,0.5,1.5\n2024-12-30,1,2,0.5,1.5\n"
        "2024-12-30,1,2,0.5,1.7\n2024-12-31,1,2,0.5,1.5\n"
    )
    with pytest.raises(
        DataError,
        match=r"d.csv: 1 date\(s\) appear more than once with different prices: 2024-12-30 \(close 1.5 on line 3, "
        r"1.7 on line 4\); keep one row per day",
    ):
        parse_broker_csv(text.encode(), "d.csv")


def _config(tmp_path: Path, data: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"data": {"dir": str(data)}, "model": {"dir": str(SHIPPED_MODELS)}}))
    return config


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for pair in ("USDJPY", "EURJPY", "GBPJPY"):
        shutil.copy(BUNDLED_DATA / f"{pair}.csv", data / f"{pair}.csv")
    return data


def _files(data: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_another_pairs_history_is_refused_and_named(
    tmp_path: Path, data_dir: Path, dry_run: bool, fxbot_cli: FxbotCli
) -> None:
    before = _files(data_dir)
    args = [
        "import-csv",
        str(BUNDLED_DATA / "GBPJPY.csv"),
        "--pair",
        "USDJPY",
        "--config",
        str(_config(tmp_path, data_dir)),
    ]
    result = fxbot_cli(*args, *(["--dry-run"] if dry_run else []))
    assert result.returncode == 3, result.stdout + result.stderr
    error = result.stderr.strip()
    assert len(error.splitlines()) == 1
    assert re.search(r"GBPJPY.csv: \d+ of \d+ overlapping bars differ from the stored USDJPY bars", error)
    assert "the prices look like GBPJPY, not USDJPY" in error and "check --pair" in error and "--replace" in error
    assert _files(data_dir) == before


def _shifted_export(tmp_path: Path, factor: float, bars: Bars) -> Path:
    """A broker file for the last bars of ``bars`` with every price scaled by ``factor``."""
    lines = ["Date,Open,High,Low,Close,Volume"]
    for i in range(len(bars)):
        prices = (bars.open[i], bars.high[i], bars.low[i], bars.close[i])
        lines.append(f"{bars.date(i).isoformat()}," + ",".join(f"{p * factor:.3f}" for p in prices) + ",10")
    export = tmp_path / "other-broker.csv"
    export.write_text("\n".join(lines) + "\n")
    return export


def test_replace_takes_a_differing_file_and_keeps_a_backup(tmp_path: Path, data_dir: Path, fxbot_cli: FxbotCli) -> None:
    stored = PriceStore(data_dir).load("USDJPY")
    export = _shifted_export(tmp_path, 1.004, stored.tail(30))  # another broker's feed, 0.4 % off
    config = str(_config(tmp_path, data_dir))
    original = (data_dir / "USDJPY.csv").read_bytes()
    refused = fxbot_cli("import-csv", str(export), "--pair", "USDJPY", "--config", config)
    assert refused.returncode == 3
    assert "30 of 30 overlapping bars differ from the stored USDJPY bars" in refused.stderr
    assert "the prices look like USDJPY" in refused.stderr and "--replace" in refused.stderr
    assert (data_dir / "USDJPY.csv").read_bytes() == original
    replaced = fxbot_cli("import-csv", str(export), "--pair", "USDJPY", "--replace", "--config", config)
    assert replaced.returncode == 0, replaced.stderr
    match = re.search(r"backup of the replaced file: (\S+)", replaced.stdout)
    assert match, replaced.stdout
    backup = Path(match.group(1))
    assert backup.read_bytes() == original and backup.parent == data_dir / "backup"
    now = PriceStore(data_dir).load("USDJPY")
    assert now.close[-1] == pytest.approx(stored.close[-1] * 1.004, abs=1e-3) and len(now) == len(stored)


def test_replace_makes_the_file_the_truth_over_its_span(tmp_path: Path, data_dir: Path, fxbot_cli: FxbotCli) -> None:
    # The user really means it: the GBP/JPY history into USDJPY.csv. The 2 stored days the file
    # lacks go too, or their USD/JPY closes would sit between GBP/JPY ones (a 35 % jump).
    config = str(_config(tmp_path, data_dir))
    result = fxbot_cli(
        "import-csv", str(BUNDLED_DATA / "GBPJPY.csv"), "--pair", "USDJPY", "--replace", "--config", config
    )
    assert result.returncode == 0, result.stderr
    assert "--replace: 2 stored bar(s) on days the file has no bar (within its span) go" in result.stdout
    assert (data_dir / "USDJPY.csv").read_bytes() == (BUNDLED_DATA / "GBPJPY.csv").read_bytes()
    (backup,) = (data_dir / "backup").iterdir()
    assert backup.read_bytes() == (BUNDLED_DATA / "USDJPY.csv").read_bytes() and str(backup) in result.stdout


def test_a_27_percent_jump_is_refused_like_fetch_does(tmp_path: Path, data_dir: Path, fxbot_cli: FxbotCli) -> None:
    export = tmp_path / "jump.csv"
    export.write_text(
        "Date,Open,High,Low,Close\n2025-01-02,157.2,157.9,156.9,157.5\n2025-01-03,157.5,200.5,157.4,200.0\n"
    )
    config = str(_config(tmp_path, data_dir))
    before = _files(data_dir)
    result = fxbot_cli("import-csv", str(export), "--pair", "USDJPY", "--config", config)
    assert result.returncode == 3
    assert "the close of 2025-01-03 (200) is 27.0% from the previous close (157.5 on 2025-01-02)" in result.stderr
    assert "data.max_jump" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _files(data_dir) == before
    allowed = fxbot_cli("import-csv", str(export), "--pair", "USDJPY", "--max-jump", "0.3", "--config", config)
    assert allowed.returncode == 0, allowed.stderr
    assert PriceStore(data_dir).load("USDJPY").last_date.isoformat() == "2025-01-03"


def test_an_hourly_file_is_refused_on_the_command_line(tmp_path: Path, data_dir: Path, fxbot_cli: FxbotCli) -> None:
    export = tmp_path / "USDJPYH1.csv"
    export.write_text("\n".join(",".join(r) for r in HOURLY) + "\n")
    before = _files(data_dir)
    result = fxbot_cli("import-csv", str(export), "--pair", "USDJPY", "--config", str(_config(tmp_path, data_dir)))
    assert result.returncode == 3 and "export D1 bars" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and _files(data_dir) == before


# --- the bundled history -----------------------------------------------------------------------------

README_COUNTS = re.compile(r"([\d,]+) USDJPY, ([\d,]+) EURJPY and ([\d,]+) GBPJPY trading days")


def test_bundled_history_holds_trading_days_only_as_its_readme_says(bundled_store: PriceStore) -> None:
    counts = README_COUNTS.search((BUNDLED_DATA / "README.md").read_text().replace("\n", " "))
    assert counts, "data/README.md states the number of bars per pair"
    for pair, stated in zip(("USDJPY", "EURJPY", "GBPJPY"), counts.groups(), strict=True):
        bars = bundled_store.load(pair)
        off = [as_date(d).isoformat() for d in bars.dates if not is_trading_day(as_date(d))]
        assert off == [], f"{pair}: bars on non-trading days {off}"
        assert len(bars) == int(stated.replace(",", "")), pair
        # The file is exactly what the store writes (so a re-save changes nothing, byte for byte).
        assert (BUNDLED_DATA / f"{pair}.csv").read_text() == format_bars_csv(bars)


@pytest.mark.parametrize(
    "raw",
    [
        b"Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n,1,2,0.5,1.5\n",
        b"Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n   ,1,2,0.5,1.5\n",
    ],
)
def test_a_row_without_a_date_is_a_data_error(raw: bytes) -> None:
    """An empty date cell (NaT with pandas 3) must be named, never crash the importer."""
    with pytest.raises(DataError, match=r"has no date|cannot read the date|does not match"):
        parse_broker_csv(raw, "x.csv")


def test_import_csv_refuses_a_bar_after_the_last_completed_trading_day(
    tmp_path: Path, data_dir: Path, fxbot_cli: FxbotCli
) -> None:
    """As fetch never stores a bar whose close has not happened, import-csv refuses one dated 2031."""
    export = tmp_path / "future.csv"
    export.write_text(
        "Date,Open,High,Low,Close\n2025-01-02,157.2,157.9,156.9,157.5\n2031-01-03,157.5,158,157.4,157.6\n"
    )
    before = _files(data_dir)
    result = fxbot_cli("import-csv", str(export), "--pair", "USDJPY", "--config", str(_config(tmp_path, data_dir)))
    assert result.returncode == 3, result.stdout + result.stderr
    error = result.stderr.strip()
    assert len(error.splitlines()) == 1
    assert "1 bar(s) dated after the last completed trading day" in error and "the first 2031-01-03" in error
    assert _files(data_dir) == before


def test_a_file_size_limit_on_the_data_folder_is_exit_3_with_the_path_and_the_fix(
    tmp_path: Path, data_dir: Path
) -> None:
    """ulimit -f (systemd LimitFSIZE=) stops the store's write: exit 3 naming the file, not "unexpected error"."""
    import resource
    import subprocess
    import sys

    from .conftest import REPO
    from .support.env import clean_env

    stored = PriceStore(data_dir).load("USDJPY")
    export = _shifted_export(tmp_path, 1.0, stored.tail(3))
    with export.open("a") as handle:  # one new bar after the stored ones
        handle.write("2025-01-02,157.2,157.9,156.9,157.5,10\n")
    before = _files(data_dir)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, 32 * 1024))  # the bar file is ~200 KB

    result = subprocess.run(
        [sys.executable, "-m", "fxbot.cli", "import-csv", str(export), "--pair", "USDJPY", "--config",
         str(_config(tmp_path, data_dir))],
        cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=120, check=False, preexec_fn=limit,
    )  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr
    error = result.stderr.strip()
    assert len(error.splitlines()) == 1 and "unexpected" not in error
    assert f"cannot write {data_dir / 'USDJPY.csv'} (File too large)" in error and "LimitFSIZE" in error
    assert {k: v for k, v in _files(data_dir).items() if k.endswith(".csv")} == {
        k: v for k, v in before.items() if k.endswith(".csv")
    }


def test_a_folder_the_system_will_not_write_is_exit_3_with_the_fix(tmp_path: Path) -> None:
    """A read-only (or forbidden) data folder: DataError naming it. As root, /sys stands in for one."""
    import errno

    target = Path("/sys/fxbot-never-here")
    try:
        target.mkdir()
    except OSError as exc:
        refused = exc.errno
    else:  # pragma: no cover - a writable /sys: nothing to test with
        target.rmdir()
        pytest.skip("/sys is writable here")
    assert refused in (errno.EROFS, errno.EPERM, errno.EACCES)
    with pytest.raises(
        DataError, match=r"cannot write /sys/fxbot-never-here/USDJPY\.csv .*the stored file is unchanged"
    ):
        PriceStore(target).save("USDJPY", PriceStore(BUNDLED_DATA).load("USDJPY").tail(5))


def test_import_csv_reads_in_pieces_with_the_same_result_and_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pieces of 7 rows: the bars, counts, intraday check and error line numbers are those of the whole file."""
    from fxbot.data import importer

    whole = read_broker_csv(BUNDLED_DATA / "USDJPY.csv")
    monkeypatch.setattr(importer, "CHUNK_ROWS", 7)
    pieces = read_broker_csv(BUNDLED_DATA / "USDJPY.csv")
    assert pieces.rows == whole.rows and pieces.bars.dates.tolist() == whole.bars.dates.tolist()
    assert pieces.bars.close.tolist() == whole.bars.close.tolist()
    hourly = tmp_path / "h1.csv"
    hourly.write_text("\n".join(",".join(r) for r in [*([HOURLY[0]] * 6), *HOURLY]) + "\n")  # 22:00 x7, then 23:00
    with pytest.raises(DataError, match=r"intraday rows \(3 times of day, e\.g\. 22:00 and 23:00 on 2024-12-30\)"):
        read_broker_csv(hourly)
    bad = tmp_path / "bad.csv"
    rows = [f"2024-01-{d:02d},1,2,0.5,1.5" for d in range(2, 20)]
    rows[15] = "2024-01-17,1,2,0.5,abc"
    bad.write_text("Date,Open,High,Low,Close\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match="line 17 has a non-numeric close"):
        read_broker_csv(bad)


@pytest.mark.slow
def test_import_csv_streams_1_5_million_rows_in_bounded_memory(tmp_path: Path, data_dir: Path) -> None:
    """1.5 M rows (the bundled history repeated): parsed in pieces; it used to take 1.47 GB, now well under half."""
    import subprocess
    import sys

    from .conftest import REPO
    from .support.env import clean_env

    header, *body = (BUNDLED_DATA / "USDJPY.csv").read_text().splitlines()
    big = tmp_path / "big.csv"
    with big.open("w") as handle:
        handle.write(header + "\n")
        written = 0
        while written < 1_500_000:
            chunk = body[: 1_500_000 - written]
            handle.write("\n".join(chunk) + "\n")
            written += len(chunk)
    # VmHWM, not ru_maxrss: after fork + exec, ru_maxrss keeps the forking test process's own peak
    # (hundreds of MiB once TensorFlow ran in it); VmHWM is this program's alone.
    probe = (
        "import re, runpy, sys\n"
        "sys.argv = ['fxbot', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('fxbot.cli', run_name='__main__')\n"
        "finally:\n    hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "    print('PEAK', hwm, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, "import-csv", str(big), "--pair", "USDJPY", "--dry-run",
         "--config", str(_config(tmp_path, data_dir))],
        cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "1500000 rows" in result.stdout and "1495192 duplicate date(s)" in result.stdout
    peak_mib = int(result.stderr.split("PEAK")[-1].split()[0]) / 1024
    assert peak_mib < 700, f"peak RSS {peak_mib:.0f} MiB"


def _bundled_frame(bundled_store: PriceStore, rows: int = 30) -> object:
    return bundled_store.load("USDJPY").to_frame().tail(rows)


def test_metatrader5_python_package_saved_with_pandas(bundled_store: PriceStore) -> None:
    """`pd.DataFrame(mt5.copy_rates_range(...))` with `time` as datetimes, saved with `to_csv()` (its index too)."""
    import pandas as pd

    bars = _bundled_frame(bundled_store)
    rates = pd.DataFrame(
        {
            "time": pd.to_datetime(bars.index),
            "open": bars["open"].to_numpy(),
            "high": bars["high"].to_numpy(),
            "low": bars["low"].to_numpy(),
            "close": bars["close"].to_numpy(),
            "tick_volume": 1000,
            "spread": 3,
            "real_volume": 0,
        }
    )
    text = rates.to_csv()
    assert text.startswith(",time,open,high,low,close,tick_volume,spread,real_volume")
    result = parse_broker_csv(text.encode(), "mt5.csv")
    assert result.dialect == "MetaTrader 5 (Python package, saved with pandas)"
    assert result.bars.to_frame()["close"].tolist() == bars["close"].tolist()
    assert [as_date(d) for d in result.bars.dates] == [d.date() for d in bars.index]


def test_yfinance_three_header_rows(bundled_store: PriceStore) -> None:
    """What `yf.download("JPY=X").to_csv(path)` writes: Price, Ticker and Date header rows."""
    import pandas as pd

    bars = _bundled_frame(bundled_store)
    frame = pd.DataFrame(
        {
            ("Close", "JPY=X"): bars["close"].to_numpy(),
            ("High", "JPY=X"): bars["high"].to_numpy(),
            ("Low", "JPY=X"): bars["low"].to_numpy(),
            ("Open", "JPY=X"): bars["open"].to_numpy(),
            ("Volume", "JPY=X"): 0,
        },
        index=pd.DatetimeIndex(bars.index, name="Date"),
    )
    frame.columns = frame.columns.set_names(["Price", "Ticker"])
    text = frame.to_csv()
    assert text.splitlines()[:3] == [
        "Price,Close,High,Low,Open,Volume",
        "Ticker,JPY=X,JPY=X,JPY=X,JPY=X,JPY=X",
        "Date,,,,,",
    ]
    result = parse_broker_csv(text.encode(), "yf.csv")
    assert result.dialect == "yfinance (Price, Ticker and Date header rows)"
    assert result.bars.to_frame()["close"].tolist() == bars["close"].tolist()
    assert result.bars.to_frame()["open"].tolist() == bars["open"].tolist()
    broken = "\n".join(text.splitlines()[:1] + text.splitlines()[3:])
    with pytest.raises(DataError, match="a Price header without yfinance's Ticker and Date rows"):
        parse_broker_csv(broken.encode(), "yf.csv")
    lines = text.splitlines()
    lines[6] = ",".join([lines[6].split(",")[0], "x", *lines[6].split(",")[2:]])  # the 4th bar's close
    bad_row = "\n".join(lines)
    with pytest.raises(DataError, match=r"yf.csv: line 7 has a non-numeric close"):  # line numbers count all 3
        parse_broker_csv(bad_row.encode(), "yf.csv")


def _gmt_feed(bundled_store: PriceStore, rows: int = 60) -> tuple[str, object]:
    """A daily feed cut at midnight GMT, tab separated, no header, `YYYY-MM-DD 00:00:00`, a Sunday bar each week."""
    import pandas as pd

    bars = _bundled_frame(bundled_store, rows)
    lines = []
    for day, row in bars.iterrows():
        if day.weekday() == 0:  # the week's first hours: Sunday 22:00-24:00 UTC, just above the Friday close
            sunday = (day - pd.Timedelta(days=1)).strftime("%Y-%m-%d 00:00:00")
            o = row["open"]
            lines.append(f"{sunday}\t{o - 0.05:.3f}\t{o + 0.1:.3f}\t{o - 0.2:.3f}\t{o:.3f}\t77")
        values = "\t".join(f"{row[c]:.3f}" for c in ("open", "high", "low", "close"))
        lines.append(f"{day.strftime('%Y-%m-%d 00:00:00')}\t{values}\t100")
    return "\n".join(lines) + "\n", bars


def test_a_gmt_midnight_feed_is_refused_with_the_reason(bundled_store: PriceStore) -> None:
    text, _ = _gmt_feed(bundled_store)
    with pytest.raises(DataError, match=r"gmt.tsv: its days end at midnight GMT/UTC, not at the New York 17:00") as e:
        parse_broker_csv(text.encode(), "gmt.tsv")
    assert "--day-boundary utc" in str(e.value) and "\n" not in str(e.value)


def test_day_boundary_utc_folds_each_sunday_into_its_monday(bundled_store: PriceStore) -> None:
    text, bars = _gmt_feed(bundled_store)
    result = parse_broker_csv(text.encode(), "gmt.tsv", day_boundary="utc")
    frame = result.bars.to_frame()
    mondays = [d for d in bars.index if d.weekday() == 0]  # type: ignore[attr-defined]
    assert result.sundays_folded == len(mondays) >= 8 and result.weekend_stubs == 0
    assert "days ending 00:00 UTC" in result.dialect
    assert frame["close"].round(3).tolist() == bars["close"].round(3).tolist()  # type: ignore[index]
    for monday in mondays:
        sunday_open = round(bars.loc[monday, "open"] - 0.05, 3)  # type: ignore[attr-defined]
        assert frame.loc[monday, "open"] == pytest.approx(sunday_open)
        assert frame.loc[monday, "volume"] == 177


def test_import_csv_cli_refuses_a_gmt_feed_in_one_line_and_folds_with_day_boundary_utc(
    bundled_store: PriceStore, tmp_path: Path, fxbot_cli: FxbotCli
) -> None:
    text, _ = _gmt_feed(bundled_store)
    feed = tmp_path / "gmt.tsv"
    feed.write_text(text)
    refused = fxbot_cli("import-csv", str(feed), "--pair", "USDJPY", "--dry-run")
    assert refused.returncode == 3 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "midnight GMT/UTC" in refused.stderr
    folded = fxbot_cli("import-csv", str(feed), "--pair", "USDJPY", "--dry-run", "--day-boundary", "utc")
    assert "WARNING: folded" in folded.stdout and "New York 17:00 close" in folded.stdout, folded.stderr


def _other_source(bundled_store: PriceStore, tmp_path: Path, seam_shift: float) -> tuple[PriceStore, Path]:
    """A store up to 2024-12-13 and a file to 2024-12-31 whose older history is 5% off (another source);
    its closes on the last stored days (the seam) are the stored ones times ``seam_shift``."""
    import numpy as np

    from fxbot.data.bars import Bars

    full = bundled_store.load("USDJPY")
    store = PriceStore(tmp_path / "data")
    store.save("USDJPY", full.up_to("2024-12-13"))
    part = full.take(full.dates >= np.datetime64("2024-06-03"))
    scale = np.where(part.dates < np.datetime64("2024-12-02"), 1.05, 1.0)
    scale = np.where(
        (part.dates >= np.datetime64("2024-12-02")) & (part.dates <= np.datetime64("2024-12-13")), seam_shift, scale
    )
    shifted = Bars(part.dates, part.open * scale, part.high * scale, part.low * scale, part.close * scale, part.volume)
    export = tmp_path / "other.csv"
    export.write_text(format_bars_csv(shifted))
    return store, export


def test_only_new_appends_after_the_last_stored_bar_when_the_seam_agrees(
    bundled_store: PriceStore, tmp_path: Path
) -> None:
    import datetime as dt

    from fxbot.data.importer import apply_import, plan_import

    store, export = _other_source(bundled_store, tmp_path, 1.0)
    before = store.load("USDJPY")
    now = dt.datetime(2025, 1, 6, 23, tzinfo=dt.UTC)
    kwargs = {"source": "other.csv", "tolerance": 1e-4, "max_jump": 0.15, "now": now}
    with pytest.raises(DataError, match="another source"):  # the whole file: its old history disagrees
        plan_import(store, "USDJPY", read_broker_csv(export), **kwargs)  # type: ignore[arg-type]
    plan = plan_import(store, "USDJPY", read_broker_csv(export), only_new=True, **kwargs)  # type: ignore[arg-type]
    apply_import(store, plan, now)
    after = store.load("USDJPY")
    assert after.up_to("2024-12-13").close.tolist() == before.close.tolist()  # no stored bar changed
    assert as_date(after.dates[-1]).isoformat() == "2024-12-31"
    assert after.close[-1] == pytest.approx(bundled_store.load("USDJPY").close[-1])


def test_only_new_refuses_a_file_that_disagrees_at_the_seam(
    bundled_store: PriceStore, tmp_path: Path, fxbot_cli: FxbotCli
) -> None:
    import datetime as dt

    from fxbot.data.importer import plan_import

    store, export = _other_source(bundled_store, tmp_path, 1.05)
    with pytest.raises(
        DataError, match=r"other.csv: at the seam its closes differ from the stored ones by more than 2%"
    ):
        plan_import(
            store, "USDJPY", read_broker_csv(export), source="other.csv", tolerance=1e-4, max_jump=0.15,
            now=dt.datetime(2025, 1, 6, 23, tzinfo=dt.UTC), only_new=True,
        )  # fmt: skip
    assert fxbot_cli("import-csv", str(export), "--pair", "USDJPY", "--only-new", "--replace").returncode == 2


def _store_up_to(bundled_store: PriceStore, tmp_path: Path, pair: str, last: str) -> PriceStore:
    store = PriceStore(tmp_path / "data")
    store.save(pair, bundled_store.load(pair).up_to(last))
    return store


def _export_of(bundled_store: PriceStore, tmp_path: Path, pair: str, first: str, last: str) -> Path:
    bars = bundled_store.load(pair)
    span = bars.take((bars.dates >= np.datetime64(first, "D")) & (bars.dates <= np.datetime64(last, "D")))
    export = tmp_path / f"{pair}-{first}.csv"
    export.write_text(format_bars_csv(span))
    return export


def test_another_pairs_file_sharing_no_date_is_refused_by_its_level(bundled_store: PriceStore, tmp_path: Path) -> None:
    """EUR/JPY's 2020 bars as USDJPY after USD/JPY's 2019: 12 % apart, within data.max_jump (15 %), but more than
    USD/JPY has moved in a day (6.8 % at most): refused in one line naming the way round, --replace."""
    import datetime as dt

    from fxbot.data.importer import plan_import

    store = _store_up_to(bundled_store, tmp_path, "USDJPY", "2019-12-31")
    kwargs = {
        "source": "eurjpy.csv",
        "tolerance": 1e-4,
        "max_jump": 0.15,
        "now": dt.datetime(2021, 1, 4, tzinfo=dt.UTC),
    }
    other = read_broker_csv(_export_of(bundled_store, tmp_path, "EURJPY", "2020-01-02", "2020-03-31"))
    with pytest.raises(DataError) as refused:
        plan_import(store, "USDJPY", other, **kwargs)  # type: ignore[arg-type]
    message = str(refused.value)
    assert len(message.splitlines()) == 1 and message.startswith("eurjpy.csv shares no date with the stored USDJPY")
    assert "more than USDJPY can move in 1 trading day(s)" in message and "import it with --replace" in message
    assert plan_import(store, "USDJPY", other, replace=True, **kwargs).merge.new == len(other.bars)  # type: ignore[arg-type]
    own = read_broker_csv(_export_of(bundled_store, tmp_path, "USDJPY", "2020-01-02", "2020-03-31"))
    assert plan_import(store, "USDJPY", own, **kwargs).merge.new == len(own.bars)  # type: ignore[arg-type]


def test_no_real_seam_of_the_bundled_history_is_taken_for_another_pair(bundled_store: PriceStore) -> None:
    """Every 7th day of 2009-2024 cut as the store's last bar (its history holds October 2008's record days), the
    rest as a file after a gap of 1, 5 or 40 days: the level check refuses none of the real histories."""
    from fxbot.data.guards import level_jump

    for pair in ("USDJPY", "EURJPY", "GBPJPY"):
        bars = bundled_store.load(pair)
        for cut in range(int(np.searchsorted(bars.dates, np.datetime64("2009-01-02"))), len(bars) - 41, 7):
            for gap in (1, 5, 40):
                stored = bars.take(np.arange(len(bars)) < cut)
                merged = bars.take((np.arange(len(bars)) < cut) | (np.arange(len(bars)) >= cut + gap - 1))
                written = np.arange(len(merged)) >= cut
                assert level_jump(stored, merged, written) is None, (pair, bars.date(cut), gap)


def test_import_csv_says_the_level_refusal_in_one_line(
    tmp_path: Path, bundled_store: PriceStore, fxbot_cli: FxbotCli
) -> None:
    data = tmp_path / "data"
    _store_up_to(bundled_store, tmp_path, "USDJPY", "2019-12-31")
    export = _export_of(bundled_store, tmp_path, "EURJPY", "2020-01-02", "2020-01-31")
    before = _files(data)
    result = fxbot_cli("import-csv", str(export), "--pair", "USDJPY", "--config", str(_config(tmp_path, data)))
    assert result.returncode == 3, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "shares no date with the stored USDJPY" in result.stderr
    assert _files(data) == before
