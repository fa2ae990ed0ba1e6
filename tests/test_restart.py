"""Restart safety: a real `main.py fetch` process killed with SIGKILL in the middle of a pass,
then run again, leaves a sound database with every article exactly once."""

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
FEEDS, ITEMS = 40, 30


def _environment(tmp_path: Path, server: FeedServer) -> dict[str, str]:
    seed = tmp_path / "feeds.toml"
    seed.write_text(
        "".join(
            f'[[feed]]\nurl = "{server.url(f"delayed/f{n}?delay=0.3")}"\n' for n in range(FEEDS)
        )
    )
    return {
        **os.environ,
        "SITREP_STORAGE_PATH": str(tmp_path / "sitrep.db"),
        "SITREP_STORAGE_SEED_FEEDS": str(seed),
        "SITREP_FETCH_ALLOW_PRIVATE_ADDRESSES": "1",
        "SITREP_FETCH_PER_HOST_CONCURRENCY": "4",
        "SITREP_LOG_LEVEL": "ERROR",
    }


async def _fetch(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "main.py", "fetch", "--all", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@pytest.mark.slow
async def test_sigkill_mid_pass_loses_and_duplicates_nothing(tmp_path: Path, feed_server) -> None:
    for n in range(FEEDS):
        items = [(f"f{n}-{i}", f"Story {i} of feed {n}") for i in range(ITEMS)]
        feed_server.feeds[f"f{n}"] = rss(items, title=f"Feed {n}")
    env = _environment(tmp_path, feed_server)

    first = await _fetch(env)
    assert first.stdout is not None
    for _ in range(8):  # a few feeds done, most still in flight or queued
        await first.stdout.readline()
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert first.returncode == -signal.SIGKILL

    with sqlite3.connect(tmp_path / "sitrep.db") as db:
        stored_after_kill = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 0 < stored_after_kill < FEEDS * ITEMS

    second = await _fetch(env)
    _out, err = await second.communicate()
    assert second.returncode == 0, err.decode()

    with sqlite3.connect(tmp_path / "sitrep.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = db.execute("SELECT guid FROM articles").fetchall()
        fts = db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'Story'")
        fts_count = fts.fetchone()[0]
    expected = {f"f{n}-{i}" for n in range(FEEDS) for i in range(ITEMS)}
    assert len(keys) == len(expected)  # no duplicate
    # feedparser resolves relative guids against the feed URL; the last segment is ours.
    assert {key.rsplit("/", 1)[-1] for (key,) in keys} == expected  # no loss
    assert fts_count == len(expected)  # the search index followed every commit
