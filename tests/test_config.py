"""Configuration: defaults, the annotated default.yaml, and one-line errors with the key's path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fxbot.config import Secrets, Settings, load_settings
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
    assert "xoxb" not in repr(secrets) and "xoxb" not in str(secrets.model_dump())
    assert secrets.oanda_api_token is None
