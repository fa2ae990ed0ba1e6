"""The command line as a person uses it: real settings, a real database, loopback feeds."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from pathlib import Path

import pytest

import main
from tests.conftest import SEEDED_FEED, point_settings_at
from tests.feedserver import FeedServer, rss

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = point_settings_at(
        monkeypatch, tmp_path, SEEDED_FEED, SITREP_FETCH_ALLOW_PRIVATE_ADDRESSES="1"
    )
    return {**os.environ, **values}


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main.main(list(argv), out=out)
    return code, out.getvalue()


@pytest.mark.parametrize(
    "argv",
    [[], ["run"], ["fetch"], ["feeds"], ["feeds", "add"], ["feeds", "import"], ["articles"]],
    ids=lambda argv: " ".join(argv) or "main",
)
def test_every_command_has_help(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main.main([*argv, "--help"])
    assert exited.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_feeds_seeded_once_then_database_rules(env) -> None:
    code, out = run("feeds", "list")
    assert code == 0 and "Seeded" in out and "1 feeds" in out
    assert run("feeds", "remove", "http://127.0.0.1:9/rss")[0] == 0
    code, out = run("feeds", "list")
    assert "No feeds" in out  # removing the last feed does not bring the seed list back


def test_feeds_add_remove_and_errors(env, capsys) -> None:
    code, out = run("feeds", "add", "https://a.example.org/feed", "--name", "A", "--no-fetch")
    assert code == 0 and "Added feed #2: A" in out
    assert run("feeds", "add", "https://a.example.org/feed", "--no-fetch")[0] == 2
    assert "already present" in capsys.readouterr().err
    assert run("feeds", "add", "not a url")[0] == 2
    assert "not an http(s) URL" in capsys.readouterr().err
    assert run("feeds", "remove", "https://nope.example.org/")[0] == 2
    assert "no such feed" in capsys.readouterr().err


def test_opml_import_export_round_trip(env, tmp_path: Path) -> None:
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="Folder">'
        '<outline text="One" xmlUrl="https://one.example.org/rss"/>'
        '<outline text="Bad" xmlUrl="gopher://x"/></outline>'
        '<outline text="Two" xmlUrl="https://two.example.org/atom"/></body></opml>'
    )
    code, out = run("feeds", "import", str(opml))
    assert code == 0 and "Imported 2 new feeds" in out and "skipped: 'gopher://x'" in out
    code, exported = run("feeds", "export")
    assert 'xmlUrl="https://one.example.org/rss"' in exported and 'version="2.0"' in exported
    again = tmp_path / "again.opml"
    again.write_text(exported)
    assert "Imported 0 new feeds" in run("feeds", "import", str(again))[1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["articles", "--since", "yesterday"], "is not a time"),
        (["articles", "--search", "x" * 10_000], "too long"),
        (["articles", "--search", "***"], "no letters or digits"),
        (["feeds", "import", "/nonexistent.opml"], "cannot read"),
    ],
    ids=["bad-since", "huge-search", "empty-search", "missing-file"],
)
def test_bad_input_is_one_clear_line(env, capsys, argv, message) -> None:
    code, _out = run(*argv)
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert err.count("\n") == 1


async def _cli(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "main.py", *argv, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_disabled_feed_shows_its_reason_in_list(env, feed_server: FeedServer) -> None:
    failing = {**env, "SITREP_POLL_MAX_CONSECUTIVE_FAILURES": "1"}
    url = feed_server.url("status/404")
    code, out, err = await _cli(failing, "feeds", "add", url, "--name", "Broken")
    assert code == 1 and "First fetch failed: HTTP 404" in out, err
    code, out, _ = await _cli(failing, "feeds", "list")
    assert "Broken  [DISABLED: 1 consecutive failures, the last: HTTP 404" in out
    assert "1 disabled" in out


async def test_fetch_articles_and_json(env, feed_server: FeedServer) -> None:
    feed_server.feeds["a"] = rss([("1", "Strike on Kursk depot"), ("2", "Talks in Doha")])
    code, out, err = await _cli(env, "feeds", "add", feed_server.url("feed/a"), "--name", "Wire")
    assert code == 0, err
    assert "First fetch: 2 articles stored" in out
    code, out, _ = await _cli(env, "fetch", "--all")
    assert "not modified" in out and "FAILED" in out  # the seeded feed: connection refused
    assert "2 feeds:" in out
    code, out, _ = await _cli(env, "articles", "--json", "--search", "kursk", "--since", "3650d")
    [line] = out.splitlines()
    record = json.loads(line)
    assert {"id", "feed", "title", "url", "published", "first_seen", "summary"} <= record.keys()
    assert record["feed"] == "Wire" and record["title"] == "Strike on Kursk depot"
    assert record["published"] == "2026-11-02T09:00:00+00:00"
