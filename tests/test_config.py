"""Configuration: defaults, the annotated default.yaml, and one-line errors with the key's path."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import typing
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest
import yaml

from fxbot.config import (
    SHIPPED_DIR,
    OandaSettings,
    Secrets,
    SecretStr,
    Settings,
    TrainingSettings,
    load_settings,
    settings_from_mapping,
)
from fxbot.errors import ConfigError

from .conftest import REPO, FxbotCli


def test_default_yaml_matches_builtin_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # inside a checkout the built-in state_dir is ./state, as the file says
    monkeypatch.delenv("FXBOT_STATE_DIR")
    assert load_settings(REPO / "configs" / "default.yaml") == Settings()


def test_state_dir_default_is_state_in_a_checkout_and_xdg_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FXBOT_STATE_DIR")
    monkeypatch.chdir(REPO)
    assert load_settings().state_dir == Path("state")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert load_settings().ledger.path == tmp_path / "xdg" / "fxbot" / "fxbot.sqlite"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")  # the XDG rule: a relative value is invalid
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_settings().state_dir == tmp_path / "home" / ".local" / "state" / "fxbot"


def test_a_copy_of_the_default_config_keeps_the_state_folder_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented start of a config is a copy of configs/default.yaml: outside a checkout it must not move the
    state into whatever folder fxbot runs in (a cron job elsewhere would start an empty ledger)."""
    monkeypatch.delenv("FXBOT_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    copy = tmp_path / "my.yaml"
    shutil.copyfile(REPO / "configs" / "default.yaml", copy)
    monkeypatch.chdir(tmp_path)
    assert load_settings(copy).state_dir == tmp_path / "xdg" / "fxbot"


def test_shipped_seeds_are_the_package_copies() -> None:
    settings = Settings()
    assert settings.data.seed_dir == SHIPPED_DIR / "data" and (SHIPPED_DIR / "data" / "USDJPY.csv").is_file()
    assert (settings.model.seed_dir / "USDJPY" / "manifest.json").is_file()
    assert (SHIPPED_DIR / "default.yaml").read_text() == (REPO / "configs" / "default.yaml").read_text()
    with pytest.raises(ConfigError, match=r"model.seed_dir: \{shipped\} may only start a path"):
        settings_from_mapping({"model": {"seed_dir": "x/{shipped}/models"}}, "t")


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


def test_the_trial_ledger_defaults_to_the_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`fxbot backtest` appends a user's trials to <state_dir>/trials.jsonl, never to the project's git-tracked
    reports/trials.jsonl by default; the project's committed backtests name that file (configs/reports.yaml)."""
    monkeypatch.setenv("FXBOT_STATE_DIR", str(tmp_path / "st"))
    assert load_settings().backtest.trials_file == tmp_path / "st" / "trials.jsonl"
    monkeypatch.delenv("FXBOT_STATE_DIR")
    assert settings_from_mapping({"state_dir": str(tmp_path)}).backtest.trials_file == tmp_path / "trials.jsonl"
    monkeypatch.chdir(REPO)
    assert Settings().backtest.trials_file == Path("state") / "trials.jsonl"
    project = load_settings(REPO / "configs" / "reports.yaml")
    assert project.backtest.trials_file == Path("reports/trials.jsonl")
    assert msgspec.structs.replace(project, backtest=Settings().backtest) == Settings()  # nothing else differs
    with pytest.raises(ConfigError, match=r"backtest\.trials_file: \{state_dir\} may only start a path"):
        settings_from_mapping({"backtest": {"trials_file": "runs/{state_dir}/trials.jsonl"}})


class _MoreSecrets(Secrets, frozen=True, kw_only=True):
    """Secrets with one more credential, as a new notifier would add it."""

    discord_webhook_url: SecretStr | None = None


def test_the_secrets_redacted_follow_the_secrets_type() -> None:
    """``values()`` is every field typed SecretStr, set, in field order: nothing else, none forgotten."""
    fields = msgspec.structs.fields(Secrets)
    typed = [f.name for f in fields if SecretStr in typing.get_args(f.type)]
    assert typed == ["slack_bot_token", "slack_app_token", "slack_webhook_url", "oanda_api_token", "ping_url"]
    every = Secrets(**{f.name: SecretStr(f"s-{f.name}") if f.name in typed else f"plain-{f.name}" for f in fields})
    assert every.values() == [f"s-{name}" for name in typed]  # the endpoint overrides (str) are not secrets
    assert Secrets().values() == []
    env = {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x", "FXBOT_PING_URL": "https://hc/p/k"}
    assert Secrets.from_env(env).values() == ["https://hooks.slack.com/services/T0/B0/x", "https://hc/p/k"]
    # a credential declared later is redacted without a list to update
    assert _MoreSecrets(oanda_api_token=SecretStr("o"), discord_webhook_url=SecretStr("d")).values() == ["o", "d"]


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
            "account.leverage: leverage for USDJPY must be > 0 and at most 25, got 0.0",
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


# -- bounds: every number finite and inside a sane range ------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("account: {equity_jpy: .inf}", r"account\.equity_jpy: inf is not a finite number"),
        ("account: {equity_jpy: .nan}", r"account\.equity_jpy: nan is not a finite number"),
        ("account: {equity_jpy: 1.0e+13}", r"account\.equity_jpy: Expected `float` <= 1000000000000\.0"),
        (
            "account: {leverage: {USDJPY: .inf, EURJPY: 1, GBPJPY: 1}}",
            r"account\.leverage\.USDJPY: inf is not a finite number",
        ),
        (
            "account: {leverage: {USDJPY: 1, EURJPY: 100, GBPJPY: 1}}",
            r"account\.leverage: leverage for EURJPY must be > 0 and at most 25, got 100\.0",
        ),
        ("data: {max_jump: 5}", r"data\.max_jump: Expected `float` <= 0\.5"),
        ("data: {timeout_seconds: 1.0e+9}", r"data\.timeout_seconds: Expected `float` <= 300\.0"),
        ("data: {retries: 1000}", r"data\.retries: Expected `int` <= 10"),
        ("data: {overlap_days: 100000}", r"data\.overlap_days: Expected `int` <= 260"),
        ("data: {max_staleness_days: 100000}", r"data\.max_staleness_days: Expected `int` <= 260"),
        ("notify: {slack: {timeout_seconds: .inf}}", r"notify\.slack\.timeout_seconds: inf is not a finite number"),
        ("notify: {slack: {retries: 1000}}", r"notify\.slack\.retries: Expected `int` <= 10"),
        ("schedule: {job_timeout: 1.0e+9}", r"schedule\.job_timeout: Expected `float` <= 3600\.0"),
        ("schedule: {misfire_grace_time: 1000000000}", r"schedule\.misfire_grace_time: Expected `int` <= 86400"),
        ("training: {members: 99, seeds: [" + ", ".join(map(str, range(99))) + "]}", r"training\.members: .*<= 25"),
        ("training: {seeds: [1, 2, 3, 4, 99999999999]}", r"training\.seeds\.4: Expected `int` <= 2147483647"),
        ("training: {seeds: [1, 2, 3, 4, -5]}", r"training\.seeds\.4: Expected `int` >= 0"),
        ("training: {seeds: [1, 2, 3, 2, 5]}", r"training\.seeds: seed 2 is used twice: two members would be the same"),
        ("training: {learning_rate: 50}", r"training\.learning_rate: Expected `float` <= 1\.0"),
        ("training: {epochs: 1000000}", r"training\.epochs: Expected `int` <= 1000"),
        ("backtest: {cost_pips: .inf}", r"backtest\.cost_pips: inf is not a finite number"),
    ],
)
def test_every_number_is_finite_and_bounded(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(_write(tmp_path, text + "\n"))
    assert str(caught.value).startswith(f"{tmp_path / 'c.yaml'}: ") and "\n" not in str(caught.value)


def test_bounds_are_documented_in_the_descriptions() -> None:
    """Each bounded number says its range in its Meta description, as configs/default.yaml does beside its key."""
    for section in (Settings, *(typing.get_args(f.type)[0] for f in msgspec.structs.fields(Settings))):
        if not (isinstance(section, type) and issubclass(section, msgspec.Struct)):
            continue
        for info in msgspec.structs.fields(section):
            meta = next(m for m in typing.get_args(info.type)[1:] if isinstance(m, msgspec.Meta))
            if meta.le is not None:
                spellings = {f"{meta.le:g}", f"{meta.le:g}".replace("e+", "e"), str(int(meta.le))}
                assert any(s in (meta.description or "") for s in spellings), info.name


@pytest.mark.parametrize(
    ("pairs", "leverage", "message"),
    [
        (["USDJPY", "EURJPY", "USDJPY"], None, r"pairs: USDJPY is listed twice; list each pair once"),
        (["USDJPY", "usd/jpy"], None, r"pairs: USDJPY is listed twice"),
        (["USDJPY"], {"USDJPY": 1, "usd_jpy": 2}, r"account\.leverage: USDJPY is given twice"),
    ],
)
def test_pairs_are_unique(tmp_path: Path, pairs: list[str], leverage: dict | None, message: str) -> None:
    content: dict[str, object] = {"pairs": pairs}
    if leverage:
        content["account"] = {"leverage": leverage}
    with pytest.raises(ConfigError, match=message):
        load_settings(_write(tmp_path, content))
    assert load_settings(_write(tmp_path, {"pairs": ["usdjpy", "Eur/Jpy"]})).pairs == ["USDJPY", "EURJPY"]


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "binary or not UTF-8"),
        (b"data:\n  dir: data\x00\x00\x00\n", "it holds NUL bytes: binary"),
        (b"# padding\n" * 120_000, "larger than 1,000,000 bytes"),
    ],
)
def test_a_file_that_is_not_yaml_text_is_exit_2(
    tmp_path: Path, content: bytes, detail: str, fxbot_cli: FxbotCli
) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(content)
    result = fxbot_cli("status", "--config", str(path))
    assert result.returncode == 2, result.stderr
    assert (
        result.stderr == f"fxbot: error: {path}: not a YAML text file ({detail}); pass the settings file with "
        "--config or FXBOT_CONFIG\n"
    )


# Obviously fake credentials, shaped like the real ones.
FAKE_SECRETS = {
    "bot token": "xoxb-000000000000-000000000000-FAKEfakeFAKEfake",
    "app token": "xapp-1-A000000-000000000000-fakefakefake",
    "user token": "xoxp-000000000000-000000000000-fakefake",
    "webhook": "https://hooks.slack.com/services/T00000000/B00000000/FAKEfakeFAKEfake",
    "oanda token": "0123456789abcdef0123456789abcdef-fedcba9876543210fedcba9876543210",
}


@pytest.mark.parametrize("kind", sorted(FAKE_SECRETS))
@pytest.mark.parametrize(
    ("place", "key"),
    [
        (lambda s: {"notify": {"slack": {"channel": s}}}, "notify.slack.channel"),
        (lambda s: {"notify": {"slack": {"error_channel": s}}}, "notify.slack.error_channel"),
        (lambda s: {"data": {"provider": s}}, "data.provider"),  # the enum error would echo it
        (lambda s: {"pairs": ["USDJPY", s]}, "pairs.1"),  # "unknown pair '...'" would echo it
        (lambda s: {"ledger": {"path": s}}, "ledger.path"),
        (lambda s: {"notify": {"slack": {s: "C0123"}}}, "notify.slack: a key"),  # "<key>: unknown key" would
    ],
)
def test_a_secret_in_the_config_is_named_never_echoed(tmp_path: Path, kind: str, place: Any, key: str) -> None:
    secret = FAKE_SECRETS[kind]
    with pytest.raises(ConfigError) as caught:
        load_settings(_write(tmp_path, place(secret)))
    text = str(caught.value)
    assert text.startswith(f"{tmp_path / 'c.yaml'}: {key}") and "\n" not in text
    assert "looks like a secret; secrets go in the environment (SLACK_BOT_TOKEN" in text
    for part in (secret, secret[:12], secret[-12:]):
        assert part not in text


def test_a_token_pasted_as_the_channel_is_not_printed_by_the_cli(tmp_path: Path, fxbot_cli: FxbotCli) -> None:
    secret = FAKE_SECRETS["bot token"]
    config = _write(tmp_path, {"notify": {"slack": {"channel": secret}}})
    for command in ("check", "run-once"):
        result = fxbot_cli(command, "-v", "--config", str(config), env={"SLACK_BOT_TOKEN": "xoxb-fake-test-token"})
        assert result.returncode == 2, result.stderr
        assert "notify.slack.channel: the value looks like a secret" in result.stderr
        assert secret not in result.stdout + result.stderr and "FAKEfake" not in result.stdout + result.stderr


def test_ordinary_values_are_not_taken_for_secrets() -> None:
    settings = settings_from_mapping(
        {
            "notify": {"slack": {"channel": "C0123456789", "error_channel": "G0ABCDEF"}},
            "ledger": {"path": "/srv/fxbot/state/0123456789abcdef0123456789abcdef.sqlite"},
            "data": {"dir": "/home/xoxo/data"},
        }
    )
    assert settings.notify.slack.channel == "C0123456789"


def test_yaml_alias_bomb_config_is_refused_at_once(tmp_path: Path) -> None:
    """A "billion laughs" settings file is refused while it is parsed, before anything expands or is scanned."""
    import time

    from .conftest import run_fxbot

    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):  # 9 ** 9 strings once expanded
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join(f'*{prev}' for _ in range(9))}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    start = time.monotonic()
    result = run_fxbot("status", "--config", str(path))
    assert time.monotonic() - start < 30  # a few interpreter start-ups, never minutes of CPU
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "more than 16 YAML aliases (*name), at line 3" in result.stderr


def test_a_few_yaml_aliases_are_still_read(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("notify:\n  slack:\n    channel: &c C0TEST\n    error_channel: *c\n")
    slack = load_settings(path).notify.slack
    assert slack.channel == slack.error_channel == "C0TEST"
