"""`doctor`: through main.main on real settings, taxonomy files and databases in tmp_path."""

from __future__ import annotations

import io
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import main
import storage.db
from bot.cli.doctor import Check, check_database, check_discord, judge_feeds
from storage import open_storage
from storage.maintenance import FeedHealth, inspect_database
from storage.types import FeedState
from tests.conftest import SEEDED_FEED, point_settings_at

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
TOKEN_SHAPED = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings pointing at tmp_path; returns the database path (not created)."""
    database = tmp_path / "data" / "sitrep.db"
    point_settings_at(monkeypatch, tmp_path, SEEDED_FEED, database)
    return database


def doctor(*argv: str) -> tuple[int, dict[str, str]]:
    """Exit status and each check's line, by check name."""
    out = io.StringIO()
    code = main.main([*argv, "doctor"], out=out)
    lines = out.getvalue().splitlines()
    return code, {line.split()[1]: line for line in lines}


def test_fresh_install_is_all_ok_and_creates_nothing(env: Path, monkeypatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN_SHAPED)
    monkeypatch.setenv("SITREP_DISCORD_GUILD_IDS", "123456789012345678")
    code, lines = doctor()
    assert code == 0
    assert list(lines) == ["config", "database", "feeds", "taxonomy", "discord"]
    assert all(line.startswith("OK    ") for line in lines.values()), lines
    assert "not created yet" in lines["database"]
    assert "adds 1 feeds" in lines["feeds"]
    assert TOKEN_SHAPED not in "".join(lines.values())  # the secret is never printed
    assert not env.parent.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[poll]\ninterval = 'often'\n", "poll.interval = 'often' is not allowed"),
        ("[poll\ninterval = 900\n", "invalid TOML"),
        ("[pol]\ninterval = 900\n", "unknown section [pol]"),
    ],
    ids=["bad-value", "bad-toml", "unknown-section"],
)
def test_broken_settings_file_is_a_fail_line_with_the_fix(
    env: Path, tmp_path: Path, capsys, content: str, message: str
) -> None:
    settings = tmp_path / "mine.toml"
    settings.write_text(content)
    code, lines = doctor("--config", str(settings))
    assert code == 1
    assert lines["config"].startswith("FAIL  config    ")
    assert message in lines["config"] and str(settings) in lines["config"]
    assert "— fix: " in lines["config"]
    assert "not checked" in lines["database"] and "not checked" in lines["taxonomy"]
    assert capsys.readouterr().err == ""  # a report, not an error


def test_duplicate_alias_and_unreadable_database_both_fail_with_fixes(
    env: Path, tmp_path: Path, monkeypatch
) -> None:
    taxonomy = tmp_path / "taxonomy"
    taxonomy.mkdir()
    for name in ("regions.toml", "places.toml", "actors.toml"):
        shutil.copy(ROOT / "config" / name, taxonomy / name)
    with (taxonomy / "actors.toml").open("a") as actors:
        actors.write(
            '\n[[actor]]\nid = "copycat"\nname = "Copycat Brigade"\nkind = "militia"\n'
            'countries = ["IQ"]\naliases = ["Hezbollah Brigades"]\n'
        )
    monkeypatch.setenv("SITREP_TAXONOMY_PATH", str(taxonomy))
    env.parent.mkdir()
    env.write_bytes(b"not a database, whatever the name says\n" * 200)
    code, lines = doctor()
    assert code == 1
    assert lines["taxonomy"].startswith(f"FAIL  taxonomy  {taxonomy / 'actors.toml'}: ")
    assert 'duplicate alias "Hezbollah Brigades"' in lines["taxonomy"]
    assert '"kataib-hezbollah"' in lines["taxonomy"] and "— fix: " in lines["taxonomy"]
    assert lines["database"].startswith("FAIL  database  ")
    assert "not a database" in lines["database"] and "— fix: " in lines["database"]
    assert lines["feeds"].startswith("WARN") and "not checked" in lines["feeds"]
    assert lines["config"].startswith("OK")


async def _healthy_database(path: Path, feeds: int = 1) -> None:
    async with open_storage(path) as opened:
        for number in range(feeds):
            await opened.feeds.add(f"https://{number}.example.org/" + "x" * 500, NOW)


def _corrupt(path: Path) -> None:
    """Overwrite the second half of the file: table and index pages."""
    data = path.read_bytes()
    half = len(data) // 2
    path.write_bytes(data[:half] + b"\xa5" * (len(data) - half))


def _newer(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.commit()
    connection.close()


def _pending(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This code knows one more migration than the file has."""
    folder = path.parent / "migrations"
    shutil.copytree(storage.db.MIGRATIONS_DIR, folder)
    count = len(storage.db.known_migrations())
    (folder / f"{count + 1:04d}_later.sql").write_text("CREATE TABLE later (x INTEGER);\n")
    monkeypatch.setattr(storage.db, "MIGRATIONS_DIR", folder)


LATEST = len(storage.db.known_migrations())


@pytest.mark.parametrize(
    ("damage", "status", "words"),
    [
        ("none", "OK", f"schema {LATEST} of {LATEST}, integrity ok, 0 articles"),
        ("missing", "OK", "not created yet"),
        ("directory", "FAIL", "cannot open"),
        ("garbage", "FAIL", "file is not a database"),
        ("corrupt", "FAIL", "integrity_check failed: Page "),
        ("newer", "FAIL", f"schema 99, newer than {LATEST}"),
        (
            "pending",
            "WARN",
            f"schema {LATEST} of {LATEST + 1}, integrity ok, 0 articles; migrations pending",
        ),
    ],
)
async def test_database_check(tmp_path: Path, monkeypatch, damage, status, words) -> None:
    path = tmp_path / "sitrep.db"
    if damage in ("none", "corrupt", "newer", "pending"):
        await _healthy_database(path, feeds=300 if damage == "corrupt" else 1)
    if damage == "directory":
        path.mkdir()
    elif damage == "garbage":
        path.write_bytes(b"\x00garbage" * 1000)
    elif damage == "corrupt":
        _corrupt(path)
    elif damage == "newer":
        _newer(path)
    elif damage == "pending":
        _pending(path, monkeypatch)
    before = path.read_bytes() if path.is_file() else None
    check, _report = check_database(path)
    assert check.status == status and words in check.message, check.line()
    assert (check.fix is None) == (status == "OK")
    if before is not None:  # read only: not a byte changed, no -wal or -shm left behind
        assert path.read_bytes() == before
        assert [p.name for p in tmp_path.glob("sitrep.db*")] == ["sitrep.db"]


async def test_feed_health_is_read_from_the_database(tmp_path: Path) -> None:
    path = tmp_path / "sitrep.db"
    async with open_storage(path) as opened:
        for name in ("Good", "Flaky", "Dead"):
            await opened.feeds.add(f"https://{name.lower()}.example.org/rss", NOW, name=name)
        state = FeedState(NOW, NOW + timedelta(hours=1))
        await opened.feeds.record_failure(2, state, "HTTP 503", None)
        await opened.feeds.record_failure(3, state, "HTTP 404", "20 consecutive failures")
    assert inspect_database(path).feeds == FeedHealth(3, ("Flaky",), ("Dead",))


@pytest.mark.parametrize(
    ("health", "status", "words"),
    [
        (FeedHealth(0, (), ()), "WARN", "no feeds"),
        (FeedHealth(4, (), ()), "OK", "4 feeds, none failing or disabled"),
        (FeedHealth(4, ("A",), ("B",)), "WARN", "4 feeds: 1 (A) failing, 1 (B) disabled"),
        (FeedHealth(9, tuple("ABCDE"), ()), "WARN", "5 (A, B, C, ...) failing, 0 disabled"),
        (FeedHealth(2, (), ("A", "B")), "FAIL", "all 2 feeds are disabled"),
    ],
)
def test_feed_judgement(health: FeedHealth, status: str, words: str) -> None:
    check = judge_feeds(health)
    assert check.status == status and words in check.message
    assert (check.fix is None) == (status == "OK")


@pytest.mark.parametrize(
    ("token", "guilds", "status", "words"),
    [
        (None, (), "WARN", "not set"),
        ("Bot " + TOKEN_SHAPED, (1,), "FAIL", "does not look like a bot token"),
        (f'"{TOKEN_SHAPED}"', (1,), "FAIL", "does not look like a bot token"),
        ("abc", (1,), "FAIL", "does not look like a bot token"),
        (TOKEN_SHAPED, (), "WARN", "no guild_ids"),
        (TOKEN_SHAPED, (1, 2), "OK", "sync to 2 guilds"),
    ],
)
def test_discord_token_check(token, guilds, status, words) -> None:
    check = check_discord(token, guilds)
    assert check.status == status and words in check.message
    assert token is None or token not in check.line()


def test_line_format() -> None:
    assert Check("OK", "database", "x.db: fine").line() == "OK    database  x.db: fine"
    line = Check("FAIL", "taxonomy", "bad", "edit it").line()
    assert line == "FAIL  taxonomy  bad — fix: edit it"
