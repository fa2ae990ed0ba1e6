"""`digest` end to end: loopback feeds -> pipeline -> tags -> cluster -> rank -> Markdown/JSON."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.digest.render_text import as_json, as_markdown
from bot.digest.service import Digests
from bot.digest.window import Window
from tests.feedserver import FeedServer


def _feed(title: str, items: list[tuple[str, str, str]], now: datetime) -> bytes:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{headline}</title><link>https://{guid}.example/</link>"
        f"<description>{summary}</description><pubDate>{format_datetime(now - timedelta(hours=1))}</pubDate></item>"
        for guid, headline, summary in items
    )
    return f'<rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'.encode()


@pytest.fixture
async def digests(app, feed_server: FeedServer) -> Digests:
    now = datetime.now(UTC)
    feed_server.feeds["a"] = _feed("Alpha Wire", [
        ("a1", "Israeli strike kills 12 in Khan Younis, health officials say", "The strike hit a tent camp in Gaza."),
        ("a2", "Kataib Hezbollah claims drone attack near Erbil", "The Iraqi militia said it targeted a base in Iraq."),
    ], now)  # fmt: skip
    feed_server.feeds["b"] = _feed("Bravo News", [
        ("b1", "At least 12 killed in Israeli air strike on Khan Younis", "Health officials in Gaza said the dead included children."),
        ("b2", "RSF shells El Fasher market in Sudan", "The Rapid Support Forces shelled the market in El Fasher."),
    ], now)  # fmt: skip
    for name in ("a", "b"):
        feed = await app.storage.feeds.add(feed_server.url(f"feed/{name}"), now)
        await app.poller.poll_feed(feed)
    # The first poll stores backlog that digests never show; these count as new arrivals.
    await app.storage.database.connection.execute("UPDATE articles SET backlog = 0")
    assert app.tagging is not None
    return Digests(app.storage, app.tagging.taxonomy)


async def test_same_event_merges_and_sections_follow_regions(digests: Digests) -> None:
    now = datetime.now(UTC)
    view = await digests.build(Window(now - timedelta(hours=2), now + timedelta(seconds=1)), now)
    assert (view.articles, view.stories) == (4, 3)
    regions = [section.region for section in view.sections]
    assert {"Levant", "Mesopotamia", "Horn of Africa"} <= set(regions)
    gaza = next(s for s in view.sections if s.region == "Levant").stories[0]
    assert set(gaza.sources) == {"Alpha Wire", "Bravo News"}
    text = as_markdown(view)
    assert "also reported by" in text and "## Levant" in text
    record = json.loads(json.dumps(as_json(view)))
    assert record["stories"] == 3 and record["sections"][0]["stories"][0]["article_ids"]


async def test_backlog_and_other_windows_are_left_out(digests: Digests, app) -> None:
    now = datetime.now(UTC)
    await app.storage.database.connection.execute(
        "UPDATE articles SET backlog = 1 WHERE title LIKE 'RSF%'"
    )
    view = await digests.build(Window(now - timedelta(hours=2), now + timedelta(seconds=1)), now)
    assert view.articles == 3
    empty = await digests.build(Window(now - timedelta(days=9), now - timedelta(days=8)), now)
    assert empty.empty and "Nothing new" in as_markdown(empty)


async def test_region_filter(digests: Digests, app) -> None:
    now = datetime.now(UTC)
    window = Window(now - timedelta(hours=2), now + timedelta(seconds=1))
    view = await digests.build(window, now, countries=frozenset({"SD"}))
    assert [s.region for s in view.sections] == ["Horn of Africa"]


def test_digest_command_prints_markdown(tmp_path, monkeypatch) -> None:
    import main

    monkeypatch.setenv("SITREP_STORAGE_PATH", str(tmp_path / "s.db"))
    seed = tmp_path / "feeds.toml"
    seed.write_text("")
    monkeypatch.setenv("SITREP_STORAGE_SEED_FEEDS", str(seed))
    out = io.StringIO()
    assert main.main(["digest", "--since", "7d"], out=out) == 0
    assert "Nothing new in this period." in out.getvalue()
