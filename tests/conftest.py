"""Shared fixtures: a loopback feed server, a fetcher allowed to reach it, real storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, Tagging
from bot.digest.placement import StoryPlacer
from bot.ingest.fetch import Fetcher, FetchLimits
from bot.ingest.guard import AddressPolicy
from bot.ingest.poller import Poller
from bot.ingest.schedule import PollPolicy
from bot.settings import load_settings
from storage import Storage, open_storage
from tests.feedserver import FeedServer

# Short limits keep the misbehaving-server tests quick; the logic is the same as in production.
TEST_LIMITS = FetchLimits(timeout_connect=2.0, timeout_total=2.0, max_body_bytes=10 * 1024 * 1024)
LOOPBACK_ALLOWED = AddressPolicy(allow_private=True)
POLICY = PollPolicy(interval=900, max_backoff=86400, jitter=0.1, max_failures=3)


SEEDED_FEED = '[[feed]]\nurl = "http://127.0.0.1:9/rss"\nname = "Seeded"\n'


def point_settings_at(
    monkeypatch: pytest.MonkeyPatch,
    folder: Path,
    seed_feeds: str,
    database: Path | None = None,
    **more: str,
) -> dict[str, str]:
    """The environment of a command-line test: a database (default folder/sitrep.db), a seed
    feed list in `folder` holding `seed_feeds`, quiet logs, no user settings file and no token;
    `more` adds SITREP_* values. Returns the variables it set."""
    seed = folder / "feeds.toml"
    seed.write_text(seed_feeds)
    database = database or folder / "sitrep.db"
    values = {
        "SITREP_STORAGE_PATH": str(database),
        "SITREP_STORAGE_SEED_FEEDS": str(seed),
        "SITREP_LOG_LEVEL": "ERROR",
        **more,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SITREP_CONFIG", raising=False)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    return values


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(TEST_LIMITS, LOOPBACK_ALLOWED) as opened:
        yield opened


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with open_storage(tmp_path / "sitrep.db") as opened:
        yield opened


@pytest.fixture
def poller(storage: Storage, fetcher: Fetcher) -> Poller:
    return Poller(storage, fetcher, POLICY, random_fraction=lambda: 0.0)


@pytest.fixture(scope="session")
def tagging() -> Tagging:
    """The real taxonomy and tagger, built once for the whole run (it takes a few seconds)."""
    from main import build_tagging

    return build_tagging(load_settings(environ={}))


@pytest.fixture
def app(storage: Storage, fetcher: Fetcher, tagging: Tagging) -> App:
    """The real parts wired as main.py wires them, on a tmp database and loopback fetching."""
    poller = Poller(storage, fetcher, POLICY, tagger=tagging, random_fraction=lambda: 0.0)
    clock = lambda: datetime.now(UTC)  # noqa: E731
    return App(
        load_settings(environ={}), storage, poller, tagging, clock, StoryPlacer(storage, clock)
    )
