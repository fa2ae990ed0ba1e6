"""Stories placed as articles arrive (bot/digest/placement.py) and digests built from them.

Real pipeline: loopback feeds -> poller -> tagger -> SQLite in tmp_path -> StoryPlacer -> Digests.
The reference is the same digest clustered at build time (build_digest over the window).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.app import App
from bot.digest.layout import DigestView, build_digest
from bot.digest.model import by_support
from bot.digest.placement import IndexProcess, StoryPlacer, story_placer
from bot.digest.service import Digests, digests_of
from bot.digest.window import Window
from tests.feedserver import FeedServer

NOW = datetime.now(UTC)
WINDOW = Window(NOW - timedelta(hours=3), NOW + timedelta(hours=1))  # holds what tests store

# (feed, guid, headline, summary): two events told by several outlets, two told once.
FIRST_POLL = [
    ("alpha", "a1", "Israeli strike kills 12 in Khan Younis, health officials say",
     "The strike hit a tent camp in Gaza."),
    ("alpha", "a2", "Kataib Hezbollah claims drone attack near Erbil",
     "The Iraqi militia said it targeted a base in Iraq."),
    ("bravo", "b1", "At least 12 killed in Israeli air strike on Khan Younis",
     "Health officials in Gaza said the dead included children."),
    ("bravo", "b2", "RSF shells El Fasher market in Sudan",
     "The Rapid Support Forces shelled the market in El Fasher."),
]  # fmt: skip
SECOND_POLL = [
    ("charlie", "c1", "Israeli airstrike on Khan Younis tent camp kills 12",
     "Gaza health officials said 12 people were killed in Khan Younis."),
    ("charlie", "c2", "Car bomb kills 7 in Mogadishu market",
     "Al-Shabaab claimed the car bomb in Mogadishu, Somalia."),
    ("delta", "d1", "RSF shelling of El Fasher market kills civilians in Sudan",
     "The Rapid Support Forces shelled a market in El Fasher, North Darfur."),
]  # fmt: skip


def _feed(title: str, items: list[tuple[str, str, str, str]]) -> bytes:
    published = format_datetime(NOW - timedelta(hours=1))
    body = "".join(
        f"<item><guid>{guid}</guid><title>{headline}</title><link>https://{guid}.example/</link>"
        f"<description>{summary}</description><pubDate>{published}</pubDate></item>"
        for _, guid, headline, summary in items
    )
    return f'<rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'.encode()


async def _poll(app: App, server: FeedServer, items: list[tuple[str, str, str, str]]) -> None:
    """Serve each feed's items and poll it; nothing counts as a feed's backlog here."""
    for name in sorted({item[0] for item in items}):
        server.feeds[name] = _feed(name.title(), [item for item in items if item[0] == name])
        feed = next(
            (f for f in await app.storage.feeds.all() if f.url == server.url(f"feed/{name}")),
            None,
        ) or await app.storage.feeds.add(server.url(f"feed/{name}"), NOW)
        await app.poller.poll_feed(feed)
    # The first poll of a feed stores its back catalogue unannounced: these are news here.
    await app.storage.database.connection.execute("UPDATE articles SET backlog = 0")
    await app.storage.database.connection.commit()


def _shape(view: DigestView) -> list[tuple[str, list[tuple[frozenset[int], str, float]]]]:
    """What an analyst sees: sections, and each story's articles, headline and score."""
    return [
        (s.region, [(frozenset(line.article_ids), line.title, line.score) for line in s.stories])
        for s in view.sections
    ]


async def _clustered(
    app: App, countries: frozenset[str] | None = None, actors: frozenset[str] | None = None
) -> DigestView:
    """The reference: the window clustered at build time, as digests were built before."""
    assert app.tagging is not None
    articles = await Digests(app.storage, app.tagging.taxonomy).articles(WINDOW, countries, actors)
    return build_digest(articles, app.tagging.taxonomy, WINDOW, NOW)


async def test_each_event_becomes_one_stored_story(app: App, feed_server: FeedServer) -> None:
    await _poll(app, feed_server, FIRST_POLL + SECOND_POLL)
    assert await app.stories.catch_up() == 7
    stories = (await app.storage.digests.window_stories(WINDOW.start, WINDOW.end)).stories
    sizes = sorted((row.articles, row.sources) for row in stories)
    assert sizes == [(1, 1), (1, 1), (2, 2), (3, 3)]  # Khan Younis x3, El Fasher x2
    members = await app.storage.digests.story_articles(
        WINDOW.start, WINDOW.end, [row.story_id for row in stories]
    )
    for row in stories:  # a story's id is its first article's
        assert row.story_id == min(a.id for a in members if a.story_id == row.story_id)
    mogadishu = next(a for a in members if "Mogadishu" in a.title)
    assert (mogadishu.dead, mogadishu.severity is not None and mogadishu.severity > 0) == (7, True)
    assert await app.stories.catch_up() == 0  # nothing new: nothing placed twice


async def test_stories_continue_across_a_restart(app: App, feed_server: FeedServer) -> None:
    await _poll(app, feed_server, FIRST_POLL)
    await app.stories.catch_up()
    restarted = StoryPlacer(app.storage, app.clock)  # a new process holds the recent ones again
    await _poll(app, feed_server, SECOND_POLL)
    assert await restarted.catch_up() == 3
    assert restarted.held == 7
    stories = (await app.storage.digests.window_stories(WINDOW.start, WINDOW.end)).stories
    assert sorted(row.articles for row in stories) == [1, 1, 2, 3]


async def _stored_stories(app: App) -> list[tuple[int, int, int]]:
    stories = (await app.storage.digests.window_stories(WINDOW.start, WINDOW.end)).stories
    return sorted((row.story_id, row.articles, row.sources) for row in stories)


async def test_an_index_in_its_own_process_places_as_in_this_one(
    app: App, feed_server: FeedServer
) -> None:
    """The bot's index process gives the stories the in-process index gives; a killed process
    is replaced, and the next catch-up holds the recent stories again in the new one."""
    await _poll(app, feed_server, FIRST_POLL)
    async with story_placer(app.storage, app.clock, own_process=True) as placer:
        assert await placer.catch_up() == 4
        process = placer._host
        assert isinstance(process, IndexProcess)
        process._process.kill()  # as the OOM killer would
        process._process.join()
        await _poll(app, feed_server, SECOND_POLL)
        assert await placer.place_new() == 0  # fails, logged: the process died
        assert await placer.catch_up() == 3  # a new process, restored from the database
        assert placer.held == 7
        in_process = await _stored_stories(app)
    assert not process._process.is_alive()  # stopped with the app
    assert sorted(size for _, *size in in_process) == [[1, 1], [1, 1], [2, 2], [3, 3]]
    await app.storage.database.connection.execute(
        "UPDATE articles SET story_id = NULL, severity = NULL, dead = NULL"
    )
    await app.storage.database.connection.execute("UPDATE story_cursor SET placed_through = 0")
    await app.storage.database.connection.commit()
    assert await StoryPlacer(app.storage, app.clock).catch_up() == 7
    assert await _stored_stories(app) == in_process


async def test_the_digest_of_stored_stories_is_the_clustered_one(
    app: App, feed_server: FeedServer
) -> None:
    await _poll(app, feed_server, FIRST_POLL)
    await app.stories.catch_up()
    await _poll(app, feed_server, SECOND_POLL)
    view = await digests_of(app).build(WINDOW, NOW)  # places the second poll itself
    assert not (await app.storage.digests.window_stories(WINDOW.start, WINDOW.end)).unplaced_ids
    assert (view.articles, view.stories) == (7, 4)
    assert _shape(view) == _shape(await _clustered(app))
    assert view.per_region_day == (await _clustered(app)).per_region_day


async def test_filters_apply_to_the_articles_of_stored_stories(
    app: App, feed_server: FeedServer
) -> None:
    await _poll(app, feed_server, FIRST_POLL + SECOND_POLL)
    sudan, somalia_gaza, france = frozenset({"SD"}), frozenset({"PS", "SO"}), frozenset({"FR"})
    for countries, actors in ((sudan, None), (None, frozenset({"rsf"})), (somalia_gaza, None),
                              (france, None), (sudan, frozenset({"rsf"}))):  # fmt: skip
        view = await digests_of(app).build(WINDOW, NOW, countries, actors)
        assert _shape(view) == _shape(await _clustered(app, countries, actors)), countries


async def test_unplaced_articles_are_clustered_with_the_stored_ones(
    app: App, feed_server: FeedServer
) -> None:
    """Articles stored before stories were kept (or while placement lags) still make one
    story with the stored ones they report."""
    await _poll(app, feed_server, FIRST_POLL)
    await app.stories.catch_up()
    await _poll(app, feed_server, SECOND_POLL)
    assert app.tagging is not None
    without_placer = Digests(app.storage, app.tagging.taxonomy)
    view = await without_placer.build(WINDOW, NOW)
    found = await app.storage.digests.window_stories(WINDOW.start, WINDOW.end)
    assert len(found.unplaced_ids) == 3
    assert view.articles == 7
    assert sum(len(line.article_ids) for s in view.sections for line in s.stories) == 7


async def test_a_failing_placement_never_costs_a_digest(
    app: App, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    await _poll(app, feed_server, FIRST_POLL + SECOND_POLL)
    with contextlib.closing(sqlite3.connect(app.storage.path)) as other, other:
        other.execute("DROP TABLE story_cursor")  # placement can no longer read its cursor
    with caplog.at_level(logging.ERROR, logger="bot.digest.placement"):
        view = await digests_of(app).build(WINDOW, NOW)
    assert "placing new articles in stories failed" in caplog.text
    assert _shape(view) == _shape(await _clustered(app))  # clustered at build instead


def _by_support_reference(tag_lists: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The rule of Story.locations spelled out: most articles first, then best rank, then name."""
    tags = {tag for tags in tag_lists for tag in tags}

    def key(tag: str) -> tuple[int, int, str]:
        support = sum(tag in tags for tags in tag_lists)
        best = min(list(dict.fromkeys(tags)).index(tag) for tags in tag_lists if tag in tags)
        return (-support, best, tag)

    return tuple(sorted(tags, key=key))


@pytest.mark.parametrize(
    ("tag_lists", "expected"),
    [
        ([("IQ", "SY")], ("IQ", "SY")),
        ([("IQ", "SY"), ("IQ", "SY")], ("IQ", "SY")),
        ([("SY", "IQ"), ("IQ",)], ("IQ", "SY")),  # support first
        ([("SY", "IQ"), ("IQ", "SY")], ("IQ", "SY")),  # a tie: best rank, then the name
        ([(), ("SO",)], ("SO",)),
        ([("IQ", "IQ"), ("IQ",)], ("IQ",)),
    ],
)
def test_by_support(tag_lists: list[tuple[str, ...]], expected: tuple[str, ...]) -> None:
    assert by_support(tag_lists) == expected


def test_by_support_follows_its_rule_in_any_order() -> None:
    rng = random.Random(5)
    codes = ["IQ", "SY", "LB", "PS", "IL"]
    for _ in range(300):
        lists = [tuple(rng.sample(codes, rng.randint(0, 3))) for _ in range(rng.randint(1, 5))]
        expected = _by_support_reference(lists)
        for order in itertools.islice(itertools.permutations(lists), 6):
            assert by_support(list(order)) == expected
