"""`/feed remove` autocomplete answers from memory: refreshed at once when a feed is added or
removed through the commands, and after FEED_CHOICES_TTL for changes made elsewhere (the CLI)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.commands.service import FEED_CHOICES_TTL, Commands
from tests.feedserver import FeedServer, rss

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def urls(choices: list[tuple[str, str]]) -> list[str]:
    return [value for _label, value in choices]


async def test_feed_choices_follow_changes(app: App, feed_server: FeedServer) -> None:
    clock = Clock()
    commands = Commands(replace(app, clock=clock))
    first = await app.storage.feeds.add("https://one.example/feed", START, "One")
    assert urls(await commands.feed_choices("")) == [first.url]

    # Elsewhere (another process, the CLI): seen once the cached list is FEED_CHOICES_TTL old.
    other = await app.storage.feeds.add("https://other.example/feed", START, "Other")
    assert urls(await commands.feed_choices("")) == [first.url]
    clock.now += FEED_CHOICES_TTL + timedelta(seconds=1)
    assert urls(await commands.feed_choices("")) == [first.url, other.url]

    # Through the commands: seen at once, with the title the first poll found.
    feed_server.feeds["desk"] = rss([("a", "Sahel desk one")], "Desk")
    await commands.add_feed(feed_server.url("feed/desk"), None, can_manage=True)
    assert (await commands.feed_choices("des"))[0] == (
        f"Desk ({feed_server.url('feed/desk')})",
        feed_server.url("feed/desk"),
    )
    await commands.remove_feed(first.url, can_manage=True)
    assert first.url not in urls(await commands.feed_choices(""))


async def test_a_clock_set_back_reads_the_feeds_again(app: App) -> None:
    clock = Clock()
    commands = Commands(replace(app, clock=clock))
    await commands.feed_choices("")
    added = await app.storage.feeds.add("https://one.example/feed", START, "One")
    clock.now -= timedelta(hours=1)
    assert urls(await commands.feed_choices("")) == [added.url]
