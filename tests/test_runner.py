"""`main.py run` as a real process: console mode without a token, polling on its schedule,
commands read from stdin, and a clean exit on SIGTERM or SIGINT within seconds."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.feedserver import FeedServer, rss

ROOT = Path(__file__).resolve().parents[1]


async def _run_after_first_poll(
    tmp_path: Path, feed_server: FeedServer, items: list[tuple[str, str]], stdin: int
) -> asyncio.subprocess.Process:
    """`main.py run` on a fresh database seeded with one loopback feed, once it has polled."""
    feed_server.feeds["w"] = rss(items)
    seed = tmp_path / "feeds.toml"
    seed.write_text(f'[[feed]]\nurl = "{feed_server.url("feed/w")}"\nname = "Wire"\n')
    env = {**os.environ, "SITREP_STORAGE_PATH": str(tmp_path / "s.db"), "SITREP_STORAGE_SEED_FEEDS": str(seed),
           "SITREP_FETCH_ALLOW_PRIVATE_ADDRESSES": "1", "SITREP_LOG_LEVEL": "INFO"}  # fmt: skip
    env.pop("DISCORD_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "main.py", "run", cwd=ROOT, env=env, stdin=stdin,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    async with asyncio.timeout(60):
        while b"polled 1 feeds" not in (line := await process.stderr.readline()):
            assert line, "run exited before its first poll"
    return process


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_run_polls_then_stops_cleanly(
    tmp_path: Path, feed_server: FeedServer, stop_signal
) -> None:
    items = [("1", "Talks in Doha"), ("2", "Strike near Erbil")]
    process = await _run_after_first_poll(tmp_path, feed_server, items, asyncio.subprocess.DEVNULL)
    process.send_signal(stop_signal)
    async with asyncio.timeout(10):  # the product promise: out within 10 s
        code = await process.wait()
    assert process.stdout is not None
    out = (await process.stdout.read()).decode()
    assert code == 0 and "console mode" in out
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 2


async def test_console_mode_driven_through_stdin(tmp_path: Path, feed_server: FeedServer) -> None:
    items = [("1", "Kataib Hezbollah claims drone strike near Erbil")]
    process = await _run_after_first_poll(tmp_path, feed_server, items, asyncio.subprocess.PIPE)
    commands = "/feed list\n/lookup region:Irak\n/lookup actor:KH since:3650d\n/status\n/quit\n"
    async with asyncio.timeout(30):
        out, _ = await process.communicate(commands.encode())
    text = out.decode()
    assert process.returncode == 0
    assert "#1  Wire  [ok]" in text
    assert 'error: Unknown region "Irak". Did you mean: Iraq' in text
    assert "Kataib Hezbollah claims drone strike near Erbil" in text
    assert "Jobs:" in text and "poll-feeds" in text
