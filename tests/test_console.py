"""Console mode: the line parser (pure, table-driven) and a session over the real command layer,
real storage, the real tagger and loopback feeds."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.commands.digests import DigestCommands
from bot.commands.service import Commands
from bot.console.parse import ConsoleParseError, ParsedCommand, parse_line
from bot.console.sender import ConsoleSender
from bot.console.session import ConsoleSession, help_text, run_console
from bot.runner import build_digests, on_console
from tests.digest_e2e_support import Story, store_stories
from tests.feedserver import FeedServer


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/lookup region:Iraq since:7d", ParsedCommand("lookup", {"region": "Iraq", "since": "7d"})),
        ('/lookup actor:"Kataib Hezbollah" limit:5', ParsedCommand("lookup", {"actor": "Kataib Hezbollah", "limit": 5})),
        ("lookup query:drone", ParsedCommand("lookup", {"query": "drone"})),
        ("/feed list", ParsedCommand("feed list")),
        ("/FEED status", ParsedCommand("feed status")),
        ("/feed add url:https://x.test/rss name:X", ParsedCommand("feed add", {"url": "https://x.test/rss", "name": "X"})),
        ("/article id:12", ParsedCommand("article", {"id": 12})),
        ("   ", None),
    ],
)  # fmt: skip
def test_parse_line(line, expected) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/nope", "unknown command"),
        ("/lookup regin:Iraq", "not an option of /lookup"),
        ("/lookup Iraq", "not an option of /lookup"),
        ("/lookup limit:ten", "whole number"),
        ("/article", "needs id"),
        ('/lookup query:"open', "close your quotes"),
        ("/feed add", "needs url"),
    ],
)
def test_parse_errors_say_how_to_fix(line, message) -> None:
    with pytest.raises(ConsoleParseError, match=message):
        parse_line(line)


def _feed(now: datetime) -> bytes:
    stories = [
        ("Kataib Hezbollah claims drone strike near Erbil",
         "The Iranian-backed militia, part of the Popular Mobilization Forces, hit a base in Iraq."),
        ("Israeli raid in Jenin kills three", "The Israeli army said troops entered Jenin camp."),
        ("RSF shells El Fasher as famine spreads", "The Rapid Support Forces attacked Sudan's city."),
    ]  # fmt: skip
    items = "".join(
        f"<item><guid>{n}</guid><title>{title}</title><link>https://wire.example/{n}</link>"
        f"<description>{body}</description>"
        f"<pubDate>{format_datetime(now - timedelta(hours=n + 1))}</pubDate></item>"
        for n, (title, body) in enumerate(stories)
    )
    return f'<rss version="2.0"><channel><title>Wire</title>{items}</channel></rss>'.encode()


@pytest.fixture
async def session(app, feed_server: FeedServer) -> tuple[ConsoleSession, io.StringIO]:
    feed_server.feeds["wire"] = _feed(datetime.now(UTC))
    out = io.StringIO()
    console = ConsoleSession(Commands(app, jobs=lambda: [("poll-feeds", None)]), out)
    assert await console.handle(f"/feed add url:{feed_server.url('feed/wire')} name:Wire")
    return console, out


async def _reply(console: ConsoleSession, out: io.StringIO, line: str) -> str:
    out.seek(0)
    out.truncate()
    assert await console.handle(line)
    return out.getvalue()


async def test_lookups_by_region_actor_and_text(session) -> None:
    console, out = session
    assert "#1  Wire  [ok]" in (await _reply(console, out, "/feed list"))
    reply = await _reply(console, out, "/lookup region:Iraq")
    assert "Kataib Hezbollah claims drone strike" in reply and "Jenin" not in reply
    reply = await _reply(console, out, "/lookup actor:KH")  # an acronym resolves
    assert "Erbil" in reply
    reply = await _reply(console, out, '/lookup region:Levant actor:"Israel Defense Forces"')
    assert "Jenin" in reply
    reply = await _reply(console, out, "/lookup query:famine region:Sudan")
    assert "El Fasher" in reply and "Erbil" not in reply


async def test_paging_with_more(session) -> None:
    console, out = session
    first = await _reply(console, out, "/lookup limit:2")
    assert "page 1 of 2" in first and "More: /more" in first
    second = await _reply(console, out, "/more")
    assert "page 2 of 2" in second
    assert "last page" in await _reply(console, out, "/more")


async def test_article_shows_evidence(session) -> None:
    console, out = session
    lookup = await _reply(console, out, "/lookup region:Iraq")
    article_id = lookup.split("#", 1)[1].split()[0]
    reply = await _reply(console, out, f"/article id:{article_id}")
    assert "Iraq (location)" in reply and '"Erbil"' in reply and "Kata'ib Hezbollah" in reply


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/lookup region:Irak", 'Unknown region "Irak". Did you mean: Iraq'),
        ("/lookup actor:Kataib", "Unknown actor"),
        ("/lookup since:yesterday", "Bad since value"),
        ("/lookup limit:40", "limit must be from 1 to 25"),
        ("/lookup query:***", "Bad search text"),
        ("/article id:999", "No article #999"),
        ("/more", "run /lookup first"),
        ("/feed remove feed:nope", 'No feed "nope"'),
        ("/feed add url:ftp://x", "not an http(s) URL"),
        ("/actors search:zzzzqqq", "No actor matches"),
    ],
)
async def test_errors_keep_the_session_alive(session, line, message) -> None:
    console, out = session
    reply = await _reply(console, out, line)
    assert reply.startswith("error: ") and message in reply


async def test_browse_status_remove_and_quit(session) -> None:
    console, out = session
    regions = await _reply(console, out, "/regions")
    assert "Middle East > Mesopotamia  Iraq 1" in regions
    actors = await _reply(console, out, "/actors search:hezbollah")
    assert "Kata'ib Hezbollah" in actors
    status = await _reply(console, out, "/status")
    assert "Feeds: 1 healthy" in status and "Articles in the last 24 h: 3" in status
    assert "Removed" not in (reply := await _reply(console, out, "/feed remove feed:#1"))
    assert "Feed removed: Wire" in reply and "3 articles removed" in reply
    assert "/lookup" in await _reply(console, out, "/help")
    assert not await console.handle("/quit")


async def test_run_console_prompts_until_end_of_input(app) -> None:
    async def lines():
        for line in ["/status\n", "/nope\n"]:
            yield line

    out = io.StringIO()
    await run_console(ConsoleSession(Commands(app), out), lines(), out)
    text = out.getvalue()
    assert text.startswith(help_text()) and "Up 0h" in text and "unknown command" in text


# --- /digest ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/digest subscribe schedule:'every 6h' quiet:yes", ParsedCommand("digest subscribe", {"schedule": "every 6h", "quiet": True})),
        ("/digest now region:Sahel since:2d", ParsedCommand("digest now", {"region": "Sahel", "since": "2d"})),
        ("/digest unsubscribe subscription:3", ParsedCommand("digest unsubscribe", {"subscription": 3})),
    ],
)  # fmt: skip
def test_parse_digest_lines(line, expected) -> None:
    assert parse_line(line) == expected


def test_a_bad_boolean_says_how_to_fix() -> None:
    with pytest.raises(ConsoleParseError, match="true or false"):
        parse_line("/digest subscribe schedule:x quiet:maybe")


@pytest.fixture
async def digest_session(app, tagging) -> tuple[ConsoleSession, io.StringIO, DigestCommands]:
    now = datetime.now(UTC)
    stories = [Story("Wire", "RSF shells El Fasher as famine spreads in Sudan's Darfur"),
               Story("Desk", "Al-Shabaab attack on Mogadishu hotel kills 12 in Somalia")]  # fmt: skip
    await store_stories(app.storage, tagging, stories, now - timedelta(hours=2))
    out = io.StringIO()
    digests = build_digests(app, AsyncIOScheduler(timezone=UTC), ConsoleSender(out), on_console)
    return ConsoleSession(Commands(app), out, digests), out, digests


async def test_console_digests_subscribe_list_deliver_and_unsubscribe(digest_session) -> None:
    console, out, digests = digest_session
    reply = await _reply(console, out, "/digest subscribe schedule:'every 6h' regions:Africa")
    assert "Digest #1 subscribed" in reply and "every 6 hours" in reply
    listed = await _reply(console, out, "/digest list")
    assert "#1 every 6 hours, Africa: next " in listed
    now = await _reply(console, out, "/digest now region:Somalia")
    assert "Mogadishu" in now and "El Fasher" not in now

    out.seek(0)
    out.truncate()
    report = await digests.jobs.run_scheduled(1)  # what the scheduler runs at 6-hour marks
    assert report.outcome == "sent"
    printed = out.getvalue()
    assert "Mogadishu" in printed and "El Fasher" in printed and "<t:" not in printed

    assert "Digest #1 removed" in await _reply(console, out, "/digest unsubscribe subscription:1")
    assert "No digest subscriptions" in await _reply(console, out, "/digest list")
    reply = await _reply(console, out, "/digest unsubscribe subscription:1")
    assert reply.startswith("error: No digest #1")
