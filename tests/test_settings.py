"""Settings: shipped defaults, a user file, SITREP_<SECTION>_<KEY> overrides, clear errors."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import DEFAULTS_FILE, PROJECT_ROOT, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = "very-secret-token-abc123"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_defaults_load():
    settings = load_settings(None, {})
    assert settings.storage.path == PROJECT_ROOT / "data" / "sitrep.db"
    assert settings.storage.seed_feeds == PROJECT_ROOT / "config" / "feeds.toml"
    assert settings.fetch.timeout_total == 30.0
    assert settings.fetch.max_body_bytes == 10 * 1024 * 1024
    assert settings.fetch.allow_private_addresses is False
    assert settings.fetch.allowed_networks == ()
    assert settings.poll.interval == 900
    assert settings.poll.jitter == 0.1
    assert settings.log.level == "INFO"
    assert settings.discord.guild_ids == ()
    assert settings.discord.token is None
    assert settings.sources == (str(DEFAULTS_FILE),)


def test_user_file_overrides_defaults(tmp_path):
    user = write(
        tmp_path / "mine.toml",
        '[poll]\ninterval = 60\n[log]\nlevel = "debug"\n'
        '[fetch]\nallowed_networks = ["10.1.2.0/24"]\n[discord]\nguild_ids = [42]\n',
    )
    settings = load_settings(user, {})
    assert settings.poll.interval == 60
    assert settings.poll.max_backoff == 86400  # untouched keys keep the defaults
    assert settings.log.level == "DEBUG"  # choices are case-insensitive, stored canonical
    assert settings.fetch.allowed_networks == (ipaddress.ip_network("10.1.2.0/24"),)
    assert settings.discord.guild_ids == (42,)
    assert settings.sources == (str(DEFAULTS_FILE), str(user))


@pytest.mark.parametrize(
    ("variable", "value", "section", "key", "expected"),
    [
        ("SITREP_STORAGE_PATH", "/srv/sitrep/x.db", "storage", "path", Path("/srv/sitrep/x.db")),
        ("SITREP_STORAGE_PATH", "rel/x.db", "storage", "path", PROJECT_ROOT / "rel" / "x.db"),
        ("SITREP_FETCH_ALLOW_PRIVATE_ADDRESSES", "1", "fetch", "allow_private_addresses", True),
        (
            "SITREP_FETCH_ALLOW_PRIVATE_ADDRESSES",
            " Off ",
            "fetch",
            "allow_private_addresses",
            False,
        ),
        ("SITREP_DISCORD_GUILD_IDS", "1,2", "discord", "guild_ids", (1, 2)),
        ("SITREP_DISCORD_GUILD_IDS", " 7 , ,8 ", "discord", "guild_ids", (7, 8)),
        ("SITREP_DISCORD_GUILD_IDS", "", "discord", "guild_ids", ()),
        (
            "SITREP_FETCH_ALLOWED_NETWORKS",
            "10.0.0.0/8, fd00::/8",
            "fetch",
            "allowed_networks",
            (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")),
        ),
        ("SITREP_FETCH_TIMEOUT_TOTAL", "2.5", "fetch", "timeout_total", 2.5),
        ("SITREP_POLL_JITTER", "0", "poll", "jitter", 0.0),
        ("SITREP_POLL_MAX_CONSECUTIVE_FAILURES", "3", "poll", "max_consecutive_failures", 3),
        ("SITREP_FETCH_MAX_REDIRECTS", "0", "fetch", "max_redirects", 0),
        ("SITREP_LOG_FORMAT", "JSON", "log", "format", "json"),
        ("SITREP_FETCH_USER_AGENT", "  Bot/1  ", "fetch", "user_agent", "Bot/1"),
    ],
    ids=[
        "absolute-path",
        "relative-path-is-project-relative",
        "bool-1",
        "bool-off",
        "guild-ids-comma",
        "guild-ids-spaces-and-empties",
        "guild-ids-empty",
        "networks-comma",
        "float",
        "jitter-zero",
        "int",
        "redirects-zero-allowed",
        "choice-case-insensitive",
        "text-trimmed",
    ],
)
def test_environment_overrides(variable, value, section, key, expected):
    settings = load_settings(None, {variable: value})
    assert getattr(getattr(settings, section), key) == expected


def test_environment_beats_user_file(tmp_path):
    user = write(tmp_path / "u.toml", "[poll]\ninterval = 60\nmax_backoff = 120\n")
    settings = load_settings(user, {"SITREP_POLL_INTERVAL": "30"})
    assert settings.poll.interval == 30
    assert settings.poll.max_backoff == 120


def test_sitrep_config_picks_the_user_file(tmp_path):
    user = write(tmp_path / "u.toml", "[poll]\ninterval = 61\n")
    settings = load_settings(None, {"SITREP_CONFIG": str(user)})
    assert settings.poll.interval == 61
    assert str(user) in settings.sources


def test_explicit_user_file_wins_over_sitrep_config(tmp_path):
    explicit = write(tmp_path / "a.toml", "[poll]\ninterval = 61\n")
    other = write(tmp_path / "b.toml", "[poll]\ninterval = 62\n")
    settings = load_settings(explicit, {"SITREP_CONFIG": str(other)})
    assert settings.poll.interval == 61


def test_token_comes_from_environment_only_and_is_never_shown():
    settings = load_settings(None, {"DISCORD_TOKEN": f"  {SECRET}\n"})
    assert settings.discord.token == SECRET
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert SECRET not in repr(settings.discord)


def test_blank_token_means_no_token():
    assert load_settings(None, {"DISCORD_TOKEN": "   "}).discord.token is None


def test_sitrep_discord_token_variable_is_not_a_way_in():
    with pytest.raises(SettingsError) as caught:
        load_settings(None, {"SITREP_DISCORD_TOKEN": SECRET})
    assert "DISCORD_TOKEN only" in str(caught.value) and SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "hint"),
    [("SITREP_POLL_INTERVALL", "did you mean SITREP_POLL_INTERVAL?"), ("SITREP_ZZZ", "")],
)
def test_unknown_sitrep_variable_is_refused(name, hint):
    with pytest.raises(SettingsError, match=f"unknown environment variable {name}") as caught:
        load_settings(None, {name: "1"})
    assert hint in str(caught.value)


def test_token_in_a_file_is_refused(tmp_path):
    user = write(tmp_path / "u.toml", f'[discord]\ntoken = "{SECRET}"\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(user, {})
    message = str(caught.value)
    assert str(user) in message and "DISCORD_TOKEN" in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("target", "value"),
    [("poll", "interval"), ("fetch", "timeout_total"), ("discord", "token"), ("root", "poll")],
    ids=["poll.interval", "fetch.timeout_total", "discord.token", "settings.poll"],
)
def test_settings_are_frozen(target, value):
    settings = load_settings(None, {})
    obj = settings if target == "root" else getattr(settings, target)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, value, None)


# (file text or None, environment, fragments the single-line message must contain)
BAD_VALUES = [
    ("[fetch]\ntimeout_total = -1\n", {}, ["fetch.timeout_total", "-1", "greater than 0"]),
    (None, {"SITREP_FETCH_TIMEOUT_CONNECT": "-0.5"}, ["fetch.timeout_connect", "'-0.5'"]),
    ("[poll]\njitter = 2\n", {}, ["poll.jitter", "= 2 ", "from 0 to 1"]),
    (None, {"SITREP_POLL_JITTER": "2"}, ["poll.jitter", "'2'", "from 0 to 1"]),
    ('[log]\nlevel = "LOUD"\n', {}, ["log.level", "'LOUD'", "DEBUG, INFO, WARNING, ERROR"]),
    (None, {"SITREP_LOG_LEVEL": "LOUD"}, ["log.level", "'LOUD'", "one of DEBUG"]),
    ('[discord]\nguild_ids = ["abc"]\n', {}, ["discord.guild_ids", "abc", "positive whole"]),
    (None, {"SITREP_DISCORD_GUILD_IDS": "1,abc"}, ["discord.guild_ids", "'1,abc'", "positive"]),
    (None, {"SITREP_DISCORD_GUILD_IDS": "0"}, ["discord.guild_ids", "'0'", "positive"]),
    ('[fetch]\nallowed_networks = ["10.0.0.300/8"]\n', {}, ["fetch.allowed_networks", "300"]),
    (None, {"SITREP_FETCH_ALLOWED_NETWORKS": "lan"}, ["fetch.allowed_networks", "'lan'"]),
    ('[fetch]\nallowed_networks = "10.0.0.0/8"\n', {}, []),  # a string is fine in TOML too
    (None, {"SITREP_FETCH_ALLOW_PRIVATE_ADDRESSES": "maybe"}, ["'maybe'", "true or false"]),
    ('[fetch]\nallow_private_addresses = "maybe"\n', {}, ["allow_private", "true or false"]),
    ("[fetch]\nmax_body_bytes = true\n", {}, ["fetch.max_body_bytes", "True", "whole number"]),
    ("[fetch]\nmax_body_bytes = 0\n", {}, ["fetch.max_body_bytes", "= 0 ", "at least 1"]),
    ('[fetch]\nuser_agent = "  "\n', {}, ["fetch.user_agent", "non-empty string"]),
    ("[fetch]\nuser_agent = 5\n", {}, ["fetch.user_agent", "= 5 ", "non-empty string"]),
    ("[poll]\ninterval = 0\n", {}, ["poll.interval", "= 0 ", "at least 1"]),
    (None, {"SITREP_POLL_INTERVAL": "15m"}, ["poll.interval", "'15m'", "seconds"]),
    ('[log]\nformat = "xml"\n', {}, ["log.format", "'xml'", "text, json"]),
    ("[fetch]\nfoo = 1\n", {}, ["unknown key fetch.foo", "user_agent", "timeout_total"]),
    ("[fetcher]\nuser_agent = 'x'\n", {}, ["unknown section [fetcher]", "[fetch]", "[poll]"]),
    ("poll = 5\n", {}, ["unknown section [poll]"]),
    ("[poll\ninterval = 1\n", {}, ["invalid TOML", "line 1"]),
    ("[poll]\ninterval = \n", {}, ["invalid TOML"]),
]
BAD_IDS = [
    "negative-timeout-file",
    "negative-timeout-env",
    "jitter-2-file",
    "jitter-2-env",
    "level-loud-file",
    "level-loud-env",
    "guild-abc-file",
    "guild-abc-env",
    "guild-zero",
    "bad-network-file",
    "bad-network-env",
    "network-string-in-file-ok",
    "bool-maybe-env",
    "bool-maybe-file",
    "int-given-bool",
    "int-zero",
    "blank-text",
    "text-given-number",
    "interval-zero",
    "interval-with-unit",
    "format-xml",
    "unknown-key",
    "unknown-section",
    "top-level-key",
    "invalid-toml",
    "missing-value-toml",
]


@pytest.mark.parametrize(("text", "environ", "fragments"), BAD_VALUES, ids=BAD_IDS)
def test_bad_values_name_source_key_value_and_what_is_allowed(tmp_path, text, environ, fragments):
    user = write(tmp_path / "user.toml", text) if text is not None else None
    if not fragments:
        load_settings(user, environ)  # accepted
        return
    with pytest.raises(SettingsError) as caught:
        load_settings(user, environ)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("config error: ")
    source = str(user) if user is not None else f"environment {next(iter(environ))}"
    assert source in message
    for fragment in fragments:
        assert fragment in message


def test_missing_user_file(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(SettingsError, match="file not found") as caught:
        load_settings(missing, {})
    assert str(missing) in str(caught.value)


def test_missing_file_from_sitrep_config(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(SettingsError, match="file not found"):
        load_settings(None, {"SITREP_CONFIG": str(missing)})


def test_unreadable_file_is_a_settings_error(tmp_path):
    with pytest.raises(SettingsError, match="cannot read") as caught:
        load_settings(tmp_path, {})  # a directory
    assert str(tmp_path) in str(caught.value)


def test_a_key_missing_from_every_file(tmp_path):
    defaults = write(tmp_path / "defaults.toml", DEFAULTS_FILE.read_text().replace("jitter", "#"))
    with pytest.raises(SettingsError, match=r"poll\.jitter is missing from every file"):
        load_settings(None, {}, defaults_file=defaults)


def test_a_bad_environment_value_names_the_variable_even_over_a_good_file(tmp_path):
    user = write(tmp_path / "u.toml", "[poll]\njitter = 0.5\n")
    with pytest.raises(SettingsError, match="environment SITREP_POLL_JITTER"):
        load_settings(user, {"SITREP_POLL_JITTER": "1.5"})


@pytest.mark.parametrize(
    ("text", "environ"),
    [
        (None, {"SITREP_FETCH_TIMEOUT_TOTAL": "nan"}),
        (None, {"SITREP_FETCH_TIMEOUT_CONNECT": "inf"}),
        ("[fetch]\ntimeout_total = nan\n", {}),
        ("[fetch]\ntimeout_total = inf\n", {}),
        ("[poll]\ninterval = 900.7\n", {}),
        ("[fetch]\nmax_body_bytes = 1.5\n", {}),
        ("[discord]\nguild_ids = [true]\n", {}),
        ("[discord]\nguild_ids = [1.5]\n", {}),
    ],
    ids=[
        "nan-timeout-env",
        "inf-timeout-env",
        "nan-timeout-file",
        "inf-timeout-file",
        "fractional-whole-seconds",
        "fractional-byte-count",
        "bool-guild-id",
        "fractional-guild-id",
    ],
)
def test_values_that_must_not_be_silently_bent(tmp_path, text, environ):
    user = write(tmp_path / "user.toml", text) if text is not None else None
    with pytest.raises(SettingsError, match="is not allowed; expected"):
        load_settings(user, environ)


def test_whole_float_is_a_whole_number(tmp_path):
    user = write(tmp_path / "u.toml", "[poll]\ninterval = 900.0\n")
    settings = load_settings(user, {})
    assert settings.poll.interval == 900
    assert isinstance(settings.poll.interval, int)


def clean_environment() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SITREP_") and key != "DISCORD_TOKEN"
    }


def test_main_prints_one_line_and_exits_2_on_config_error(tmp_path):
    bad = write(tmp_path / "bad.toml", "[poll]\njitter = 2\n")
    environ = clean_environment() | {"SITREP_STORAGE_PATH": str(tmp_path / "cli.db")}
    result = subprocess.run(
        [sys.executable, "main.py", "--config", str(bad), "feeds", "list"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: config error:")
    assert "poll.jitter = 2 is not allowed" in lines[0] and str(bad) in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "cli.db").exists()  # nothing was opened


@pytest.mark.parametrize(
    ("text", "environ", "fragment"),
    [
        ("[poll\n", {}, "invalid TOML"),
        ('[discord]\ntoken = "x"\n', {}, "DISCORD_TOKEN"),
        ("", {"SITREP_FETCH_ALLOW_PRIVATE_ADDRESSES": "maybe"}, "SITREP_FETCH_ALLOW_PRIVATE"),
        ("", {"SITREP_CONFIG": "/nonexistent/sitrep.toml"}, "file not found"),
    ],
    ids=["invalid-toml", "token-in-file", "bad-env-value", "missing-sitrep-config"],
)
def test_main_in_process_reports_config_errors_in_one_line(
    tmp_path, monkeypatch, capsys, text, environ, fragment
):
    import main  # the composition root; imported here so other tests need not load it

    for key in list(os.environ):
        if key.startswith("SITREP_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SITREP_STORAGE_PATH", str(tmp_path / "cli.db"))
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    argv = ["feeds", "list"]
    if text:
        argv = ["--config", str(write(tmp_path / "bad.toml", text)), *argv]
    assert main.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: config error:")
    assert fragment in lines[0]
    assert not (tmp_path / "cli.db").exists()


def test_ranking_weights_come_from_the_digest_settings() -> None:
    from datetime import timedelta

    from bot.digest.service import weights_from

    settings = load_settings(
        None, {"SITREP_DIGEST_WEIGHT_RECENCY": "0", "SITREP_DIGEST_RECENCY_HALF_LIFE_HOURS": "6"}
    )
    weights = weights_from(settings.digest)
    assert weights.recency == 0 and weights.half_life == timedelta(hours=6)
    assert weights.source == 2.0  # the shipped default
    with pytest.raises(SettingsError, match="at least 0"):
        load_settings(None, {"SITREP_DIGEST_WEIGHT_SOURCES": "-1"})
