"""Configuration: defaults, the annotated default.yaml, and one-line errors with the key's path."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import typing
from pathlib import Path
from typing import Annotated

import msgspec
import pytest
import yaml

from fxbot.config import (
    OandaSettings,
    Secrets,
    SecretStr,
    Settings,
    TrainingSettings,
    load_settings,
    settings_from_mapping,
)
from fxbot.errors import ConfigError

from .conftest import REPO


def test_default_yaml_matches_builtin_defaults() -> None:
    assert load_settings(REPO / "configs" / "default.yaml") == Settings()


def test_every_default_key_is_commented() -> None:
    """A leaf key is documented by the comment above it, or (map entries) by its parent's comment."""
    lines = (REPO / "configs" / "default.yaml").read_text().splitlines()

    def indent(line: str) -> int:
        return len(line) - len(line.lstrip())

    def commented(i: int) -> bool:
        return i > 0 and lines[i - 1].strip().startswith("#")

    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.endswith(":"):
            continue
        parent = next((j for j in range(i - 1, -1, -1) if lines[j].strip() and indent(lines[j]) < indent(line)), None)
        ok = commented(i) or (parent is not None and commented(parent) and lines[parent].strip().endswith(":"))
        assert ok, f"configs/default.yaml line {i + 1} ({stripped}) has no comment"


def test_defaults_are_the_product_portfolio() -> None:
    settings = Settings()
    assert settings.account.leverage == {"USDJPY": 1.79, "EURJPY": 1.68, "GBPJPY": 1.03}
    assert settings.account.equity_jpy == 1_000_000
    assert settings.model.engine == "litert"


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def test_unknown_key_is_named_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"data\.provder: unknown key"):
        load_settings(_write(tmp_path, {"data": {"provder": "oanda"}}))


def test_wrong_type_is_named_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"account\.equity_jpy"):
        load_settings(_write(tmp_path, {"account": {"equity_jpy": "lots"}}))


def test_unknown_pair_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown pair 'AUDUSD'"):
        load_settings(_write(tmp_path, {"pairs": ["USDJPY", "AUDUSD"]}))


def test_pair_spellings_are_normalised(tmp_path: Path) -> None:
    settings = load_settings(
        _write(tmp_path, {"pairs": ["usd/jpy", "EUR_JPY"], "account": {"leverage": {"usd/jpy": 2, "eurjpy": 1}}})
    )
    assert settings.pairs == ["USDJPY", "EURJPY"]
    assert settings.account.leverage == {"USDJPY": 2.0, "EURJPY": 1.0}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"account": {"leverage": {"USDJPY": 1.5}}}, r"account\.leverage has no entry for EURJPY, GBPJPY"),
        ({"pairs": ["USDJPY", "AUDJPY"]}, r"pairs: unknown pair 'AUDJPY'"),
        ({"training": {"members": 7}}, r"training\.seeds has 5 seeds for 7 members"),
        ({"training": {"start": "yesterday"}}, r"training\.start: "),
    ],
)
def test_mistakes_found_at_load_time_not_at_the_first_run(tmp_path: Path, content: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(_write(tmp_path, content))


def test_even_member_count_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"training\.members"):
        load_settings(_write(tmp_path, {"training": {"members": 4}}))


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML at line 2; fix the syntax"):
        load_settings(_write(tmp_path, "data:\n\tdir: data\n"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")


def test_fxbot_config_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FXBOT_CONFIG", str(_write(tmp_path, {"account": {"equity_jpy": 5}})))
    assert load_settings().account.equity_jpy == 5


def test_secrets_never_print() -> None:
    secrets = Secrets.from_env({"SLACK_BOT_TOKEN": "xoxb-not-a-real-token-123456", "OANDA_API_TOKEN": ""})
    assert secrets.slack_bot_token is not None
    assert "xoxb" not in repr(secrets) and "xoxb" not in str(msgspec.structs.asdict(secrets))
    assert secrets.oanda_api_token is None
    token = secrets.slack_bot_token
    assert token.get_secret_value() == "xoxb-not-a-real-token-123456"
    assert "xoxb" not in str(token) and "xoxb" not in f"{token!r} {token}"
    assert token == SecretStr("xoxb-not-a-real-token-123456") != SecretStr("other")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # The whole one-line message, pinned: source, dotted path, detail (and how to fix it).
        ({"data": {"provder": "oanda"}}, "data.provder: unknown key; check its spelling against configs/default.yaml"),
        ({"dta": {}}, "dta: unknown key; check its spelling against configs/default.yaml"),
        ({"data": {"oanda": {"env": "live"}}}, "data.oanda.env: unknown key; check its spelling"),
        ({"account": {"equity_jpy": "lots"}}, "account.equity_jpy: Expected `float`, got `str`"),
        ({"account": {"equity_jpy": True}}, "account.equity_jpy: Expected `float`, got `bool`"),
        ({"account": {"equity_jpy": 0}}, "account.equity_jpy: Expected `float` > 0.0"),
        ({"account": {"leverage": {"USDJPY": 1, "EURJPY": "x"}}}, "account.leverage.EURJPY: Expected `float`"),
        ({"account": {"leverage": {1: 1.0}}}, "account.leverage: a key: Expected `str`, got `int`"),
        (
            {"account": {"leverage": {"USDJPY": 0, "EURJPY": 1, "GBPJPY": 1}}},
            "account.leverage: leverage for USDJPY must be > 0, got 0.0",
        ),
        ({"account": None}, "account: Expected `object`, got `null`"),
        ({"pairs": []}, "pairs: at least one pair is needed"),
        ({"pairs": ["USDJPY", 1]}, "pairs.1: Expected `str`, got `int`"),
        ({"training": {"members": 0}}, "training.members: Expected `int` >= 1"),
        ({"training": {"members": 4}}, "training.members: members must be odd so the vote cannot tie, got 4"),
        ({"training": {"seeds": [1, "a"]}}, "training.seeds.1: Expected `int`, got `str`"),
        ({"training": {"epochs": 2.5}}, "training.epochs: Expected `int`, got `float`"),
        ({"training": {"validation_fraction": 0.5}}, "training.validation_fraction: Expected `float` < 0.5"),
        (
            {"training": {"start": "yesterday"}},
            "training.start: Invalid RFC3339 encoded date; write dates as YYYY-MM-DD",
        ),
        ({"data": {"provider": "bloomberg"}}, "data.provider: Invalid enum value 'bloomberg'; use one of 'auto', "),
        ({"data": {"dir": 5}}, "data.dir: Expected `str`, got `int`"),
        ({"notify": {"slack": {"chart": "yes"}}}, "notify.slack.chart: Expected `bool`, got `str`"),
        ({"schedule": {"misfire_grace_time": 0}}, "schedule.misfire_grace_time: Expected `int` >= 1"),
    ],
)
def test_error_messages_name_the_key_path(content: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(content, "my.yaml")
    text = str(caught.value)
    assert text.startswith(f"my.yaml: {message}") and "\n" not in text


def test_yaml_types_become_the_declared_types(tmp_path: Path) -> None:
    text = "training: {start: 2015-01-02}\ndata: {dir: /srv/bars}\nledger: {path: s.sqlite}\naccount: {equity_jpy: 5}\n"
    settings = load_settings(_write(tmp_path, text))
    assert settings.training.start == dt.date(2015, 1, 2)
    assert settings.data.dir == Path("/srv/bars") and isinstance(settings.ledger.path, Path)
    assert settings.account.equity_jpy == 5.0 and isinstance(settings.account.equity_jpy, float)
    assert settings_from_mapping({"training": {"start": "2015-01-02"}}).training.start == dt.date(2015, 1, 2)
    assert settings_from_mapping({"training": {"start": None}}).training.start is None
    with pytest.raises(ConfigError, match=r"training\.start: Expected `date \| null`, got `datetime`"):
        settings_from_mapping({"training": {"start": dt.datetime(2015, 1, 2, 5)}})


def test_sections_given_as_mappings_in_code_are_validated() -> None:
    settings = Settings(pairs=["usd/jpy"], data={"dir": "bars", "oanda": {"environment": "live"}})
    assert settings.pairs == ["USDJPY"] and settings.data.dir == Path("bars")
    assert settings.data.oanda == OandaSettings(environment="live")
    with pytest.raises(ValueError, match="members must be odd"):
        TrainingSettings(members=4)
    with pytest.raises(ValueError, match=r"^data\.retries: Expected `int` >= 0$"):
        Settings(data={"retries": -1})
    with pytest.raises(ValueError, match=r"^data\.oanda\.environment: Invalid enum value 'demo'; use one of"):
        Settings(data={"oanda": {"environment": "demo"}})


def test_settings_are_immutable_and_replace_gives_a_copy() -> None:
    training = TrainingSettings()
    with pytest.raises(AttributeError):
        training.epochs = 1  # type: ignore[misc]
    shorter = msgspec.structs.replace(training, epochs=1)
    assert shorter.epochs == 1 and training.epochs == 30 and shorter.seeds == training.seeds


def test_every_key_has_a_description() -> None:
    def check(section: type[msgspec.Struct], path: str) -> None:
        for info in msgspec.structs.fields(section):
            key = f"{path}{info.name}"
            metas = [m for m in typing.get_args(info.type)[1:] if isinstance(m, msgspec.Meta)]
            assert typing.get_origin(info.type) is Annotated and metas, f"{key} has no Meta"
            assert all(m.description for m in metas), f"{key} has no description"
            inner = typing.get_args(info.type)[0]
            if isinstance(inner, type) and issubclass(inner, msgspec.Struct):
                check(inner, f"{key}.")

    check(Settings, "")


def test_daily_path_imports_neither_yaml_nor_pydantic_nor_pandas() -> None:
    code = (
        "import sys, fxbot.config, fxbot.model.artifacts; fxbot.config.Settings(); fxbot.config.load_settings(); "
        "print([m for m in sys.modules if m.startswith(('pydantic', 'yaml', 'pandas'))])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
