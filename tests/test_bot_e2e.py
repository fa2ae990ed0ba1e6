"""The real Sitrep bot end to end: discord.py against the loopback Discord server, the real command
layer, the real tagger and SQLite filled by the real ingest pipeline from a loopback feed.

Every test ends with check_everything_sent (in the fixture): Discord refused nothing, every
interaction was acknowledged within Discord's 3 s, nothing could ping, no raw mention or
non-http(s) link left the bot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest

import bot.discord.respond
from bot.app import App
from bot.runner import POLL_JOB_ID
from tests.bot_e2e_support import (
    HOSTILE_TITLE,
    STORIES,
    Sitrep,
    buttons,
    check_everything_sent,
    ephemeral_error,
    only_embed,
    running_sitrep,
    wire_feed,
)
from tests.discord_fake import EPHEMERAL, GUILD_ID, LOADING, FakeDiscord
from tests.feedserver import FeedServer, rss

GUILDS_INTENT = 1 << 0
COMMAND_TREE = {"lookup", "article", "regions", "actors", "feed", "status"}


@pytest.fixture
async def sitrep(app: App, feed_server: FeedServer) -> AsyncIterator[Sitrep]:
    """The bot running with the wire feed already fetched, tagged and stored."""
    feed_server.feeds["wire"] = wire_feed(datetime.now(UTC))
    feed = await app.storage.feeds.add(feed_server.url("feed/wire"), datetime.now(UTC), "Wire")
    assert (await app.poller.poll_feed(feed)).new == len(STORIES) + 1
    async with running_sitrep(app) as running:
        yield running
        check_everything_sent(running.server)


async def article_id(sitrep: Sitrep, text: str) -> int:
    page = await sitrep.service.lookup_page(sitrep.service.plan_lookup(query=text), 0)
    return page.items[0].id


def admin_roles(server: FakeDiscord) -> list[int]:
    return [server.guild.role("Admins").id]


# --- start-up ---------------------------------------------------------------------------------


async def test_start_up_uses_the_guilds_intent_only_and_syncs_to_the_guild(sitrep: Sitrep) -> None:
    server = sitrep.server
    assert [identify["intents"] for identify in server.identifies] == [GUILDS_INTENT]
    assert server.requests_to("PUT", "/applications/{application_id}/commands") == []
    (sync,) = server.requests_to("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
    assert sync.params["guild_id"] == str(GUILD_ID) and sync.ok
    commands = {command["name"]: command for command in sync.json}
    assert set(commands) == COMMAND_TREE
    lookup = {option["name"]: option for option in commands["lookup"]["options"]}
    assert list(lookup) == ["region", "actor", "query", "since", "limit"]
    assert (lookup["limit"]["min_value"], lookup["limit"]["max_value"]) == (1, 25)
    assert lookup["region"]["autocomplete"] and lookup["actor"]["autocomplete"]
    subcommands = {option["name"]: option["type"] for option in commands["feed"]["options"]}
    assert subcommands == {"list": 1, "status": 1, "add": 1, "remove": 1}
    (article_id_option,) = commands["article"]["options"]
    assert article_id_option | {"name": "id", "type": 4, "required": True} == article_id_option
    assert sitrep.scheduler.running and sitrep.scheduler.get_job(POLL_JOB_ID) is not None


async def test_a_guild_the_bot_is_not_in_is_logged_and_the_others_still_served(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    stranger_guild = GUILD_ID + 999  # a wrong id in discord.guild_ids
    with caplog.at_level(logging.ERROR, logger="bot.discord.client"):
        async with running_sitrep(app, guild_ids=[stranger_guild, GUILD_ID]) as sitrep:
            syncs = sitrep.server.requests_to(
                "PUT", "/applications/{application_id}/guilds/{guild_id}/commands"
            )
            outcome = {sync.params["guild_id"]: sync.status for sync in syncs}
            assert outcome == {str(stranger_guild): 403, str(GUILD_ID): 200}
            sent = await sitrep.server.dispatch_slash_command("status")
            assert only_embed(await sent.reply())["title"] == "Sitrep status"
    (record,) = [r for r in caplog.records if r.name == "bot.discord.client"]
    assert str(stranger_guild) in record.getMessage() and "discord.guild_ids" in record.getMessage()


# --- /lookup ----------------------------------------------------------------------------------


async def test_lookup_by_region_is_one_public_reply_listing_the_story(sitrep: Sitrep) -> None:
    sent = await sitrep.server.dispatch_slash_command("lookup", {"region": "Iraq"})
    reply = await sent.reply()
    assert not int(reply["flags"]) & EPHEMERAL
    assert len(sent.messages) == 1
    embed = only_embed(reply)
    assert "Iraq" in embed["title"]
    assert "drone strike near Erbil](https://wire.example/0)" in embed["description"]
    assert "Baghdad airport" in embed["description"]
    assert "Jenin" not in embed["description"] and "El Fasher" not in embed["description"]
    # The hostile headline is listed, made inert: escaped markdown, broken mentions, no link.
    assert "\\*\\*Kataib Hezbollah\\*\\*" in embed["description"]
    assert "javascript" not in embed["description"]


@pytest.mark.parametrize(
    ("options", "heading", "found", "absent"),
    [
        ({"actor": "KH"}, "Kata'ib Hezbollah", "Erbil", "Jenin"),
        ({"region": "Levant"}, "in Levant", "Jenin", "Erbil"),
        ({"query": "famine"}, 'matching "famine"', "El Fasher", "Erbil"),
    ],
)
async def test_lookup_by_actor_region_and_text(
    sitrep: Sitrep, options: dict[str, Any], heading: str, found: str, absent: str
) -> None:
    sent = await sitrep.server.dispatch_slash_command("lookup", options)
    embed = only_embed(await sent.reply())
    assert heading in embed["title"]
    assert found in embed["description"] and absent not in embed["description"]


@pytest.mark.parametrize(
    ("option", "typed", "expected"),
    [("region", "Ira", "Iraq (IQ)"), ("actor", "Kata", "Kata'ib Hezbollah (KH)")],
)
async def test_autocomplete_answers_from_the_taxonomy(
    sitrep: Sitrep, option: str, typed: str, expected: str
) -> None:
    sent = await sitrep.server.dispatch_autocomplete("lookup", {option: typed}, focused=option)
    callback = await sent.callback()
    assert callback.json["type"] == 8
    choices = callback.json["data"]["choices"]
    assert 1 <= len(choices) <= 25
    assert expected in [choice["name"] for choice in choices]


async def test_pages_turn_for_the_asker_only(sitrep: Sitrep) -> None:
    server = sitrep.server
    sent = await server.dispatch_slash_command("lookup", {"region": "Iraq", "limit": 1})
    first = await sent.reply()
    assert "Page 1 of 3" in only_embed(first)["footer"]["text"]
    labels = buttons(first)
    assert labels["Previous"].get("disabled") and not labels["Next"].get("disabled")
    next_id = labels["Next"]["custom_id"]

    stranger = await server.dispatch_component(first["id"], next_id, user=server.user("bystander"))
    refusal = await stranger.callback()
    assert refusal.json["type"] == 4 and refusal.json["data"]["flags"] & EPHEMERAL
    assert "Only the person who asked" in only_embed(refusal.json["data"])["description"]
    assert "Page 1 of 3" in only_embed(server.messages[int(first["id"])])["footer"]["text"]

    click = await server.dispatch_component(first["id"], next_id)  # the asker
    turned = await click.callback()
    assert turned.json["type"] == 7
    second = server.messages[int(first["id"])]
    assert "Page 2 of 3" in only_embed(second)["footer"]["text"]
    assert only_embed(second)["description"] != only_embed(first)["description"]
    assert not buttons(second)["Previous"].get("disabled")


async def test_a_failing_page_turn_gets_the_generic_error(
    sitrep: Sitrep, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    server = sitrep.server
    sent = await server.dispatch_slash_command("lookup", {"region": "Iraq", "limit": 1})
    first = await sent.reply()

    async def broken(*args: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(sitrep.service, "lookup_page", broken)
    with caplog.at_level(logging.ERROR, logger="bot.discord.respond"):
        click = await server.dispatch_component(first["id"], buttons(first)["Next"]["custom_id"])
        embed = await ephemeral_error(click)
    assert "Something went wrong on our side" in embed["description"]
    assert "Page 1 of 3" in only_embed(server.messages[int(first["id"])])["footer"]["text"]
    (record,) = [r for r in caplog.records if r.name == "bot.discord.respond"]
    assert "lookup page button failed" in record.getMessage() and record.exc_info is not None


# --- /article ---------------------------------------------------------------------------------


async def test_article_shows_tags_with_their_evidence(sitrep: Sitrep) -> None:
    wanted = await article_id(sitrep, "Erbil")
    sent = await sitrep.server.dispatch_slash_command("article", {"id": wanted})
    embed = only_embed(await sent.reply())
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert "Iraq (location)" in fields["Countries"] and '"Erbil"' in fields["Countries"]
    assert "Kata'ib Hezbollah" in fields["Actors"] and '"Kataib Hezbollah"' in fields["Actors"]
    assert embed["url"] == "https://wire.example/0"
    assert embed["footer"]["text"] == f"Article #{wanted}"


async def test_hostile_article_is_shown_inert_and_within_limits(sitrep: Sitrep) -> None:
    wanted = await article_id(sitrep, "warns US forces in Mosul")
    sent = await sitrep.server.dispatch_slash_command("article", {"id": wanted})
    embed = only_embed(await sent.reply())
    assert "url" not in embed  # the javascript: link is gone, not cleaned into something else
    assert "\\*\\*Kataib Hezbollah\\*\\*" in embed["title"]
    assert HOSTILE_TITLE not in embed["title"]
    assert len(embed["description"]) <= 1500


async def test_unknown_article_is_an_ephemeral_error(sitrep: Sitrep) -> None:
    sent = await sitrep.server.dispatch_slash_command("article", {"id": 99999})
    embed = await ephemeral_error(sent)
    assert "No article #99999" in embed["description"] and "/lookup" in embed["description"]


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"region": "Irak"}, "Did you mean: Iraq"),
        ({"since": "yesterday"}, "Bad since value"),
        ({"query": "*** ???"}, "Bad search text"),
        ({"region": "<@123456789012345678> @everyone"}, "Unknown region"),
    ],
)
async def test_bad_input_gets_an_ephemeral_message_saying_what_to_fix(
    sitrep: Sitrep, options: dict[str, str], says: str
) -> None:
    sent = await sitrep.server.dispatch_slash_command("lookup", options)
    embed = await ephemeral_error(sent)
    assert says in embed["description"]
    assert sent.messages == [] or all(int(m["flags"]) & EPHEMERAL for m in sent.messages)


async def test_a_bug_gets_a_generic_ephemeral_message_and_is_logged(
    sitrep: Sitrep, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(sitrep.service, "regions", broken)
    with caplog.at_level(logging.ERROR, logger="bot.discord.respond"):
        sent = await sitrep.server.dispatch_slash_command("regions")
        embed = await ephemeral_error(sent)
    assert "Something went wrong on our side" in embed["description"]
    assert "fire" not in embed["description"]
    (record,) = [r for r in caplog.records if r.name == "bot.discord.respond"]
    assert record.levelno == logging.ERROR and "/regions" in record.getMessage()
    assert record.exc_info is not None and "database on fire" in str(record.exc_info[1])


# --- /feed ------------------------------------------------------------------------------------


async def test_feed_add_without_manage_server_is_refused(sitrep: Sitrep, app: App) -> None:
    before = await app.storage.feeds.all()
    url = "https://wire.example/other.xml"
    sent = await sitrep.server.dispatch_slash_command("feed add", {"url": url})
    embed = await ephemeral_error(sent)
    assert "Manage Server" in embed["description"]
    assert await app.storage.feeds.all() == before


async def test_feed_add_and_remove_with_manage_server(
    sitrep: Sitrep, app: App, feed_server: FeedServer
) -> None:
    server = sitrep.server
    feed_server.feeds["desk"] = rss([("a", "Sahel desk one"), ("b", "Sahel desk two")], "Desk")
    url = feed_server.url("feed/desk")
    added = await server.dispatch_slash_command(
        "feed add", {"url": url, "name": "Desk"}, roles=admin_roles(server)
    )
    assert (await added.callback()).json["type"] == 5  # deferred: the first fetch takes a while
    embed = only_embed(await added.reply())
    assert embed["title"] == "Feed added: Desk"
    assert "First fetch found 2 items; 2 stored as backlog" in embed["description"]
    assert url in [feed.url for feed in await app.storage.feeds.all()]

    typing = await server.dispatch_autocomplete("feed remove", {"feed": "des"}, focused="feed")
    choices = (await typing.callback()).json["data"]["choices"]
    assert choices == [{"name": f"Desk ({url})", "value": url}]

    removed = await server.dispatch_slash_command(
        "feed remove", {"feed": url}, roles=admin_roles(server)
    )
    embed = only_embed(await removed.reply())
    assert embed["title"] == "Feed removed: Desk" and "2 articles removed" in embed["description"]
    assert url not in [feed.url for feed in await app.storage.feeds.all()]


async def test_feed_remove_without_manage_server_is_refused(sitrep: Sitrep, app: App) -> None:
    url = (await app.storage.feeds.all())[0].url
    sent = await sitrep.server.dispatch_slash_command("feed remove", {"feed": url})
    assert "Manage Server" in (await ephemeral_error(sent))["description"]
    assert len(await app.storage.feeds.all()) == 1


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("feed list", ["1 feeds: 1 healthy, 0 failing, 0 disabled", "Wire"]),
        ("feed status", ["1 feeds", "checked <t:", "next <t:"]),
        ("regions", ["Regions, articles in the last 7 days", "Iraq 3"]),
        ("actors", ["Most reported actors", "Kata'ib Hezbollah"]),
    ],
)
async def test_listings(sitrep: Sitrep, command: str, expected: list[str]) -> None:
    sent = await sitrep.server.dispatch_slash_command(command)
    embed = only_embed(await sent.reply())
    text = f"{embed['title']}\n{embed.get('description', '')}"
    for fragment in expected:
        assert fragment in text


async def test_status_reports_feeds_articles_and_jobs(sitrep: Sitrep) -> None:
    sent = await sitrep.server.dispatch_slash_command("status")
    embed = only_embed(await sent.reply())
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Feeds"] == "1 healthy, 0 failing, 0 disabled"
    assert fields["Articles (24 h)"] == str(len(STORIES) + 1)
    assert f"`{POLL_JOB_ID}` next <t:" in fields["Jobs"]


# --- timeliness and shutdown -----------------------------------------------------------------


async def test_a_slow_lookup_is_deferred_then_followed_up(
    sitrep: Sitrep, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_lookup_page = sitrep.service.lookup_page
    release = asyncio.Event()

    async def slow_lookup_page(*args: Any) -> Any:
        await release.wait()  # held until the deferral is seen: slow without guessing how slow
        return await real_lookup_page(*args)

    monkeypatch.setattr(bot.discord.respond, "ANSWER_DIRECTLY_WITHIN", 0.05)
    monkeypatch.setattr(sitrep.service, "lookup_page", slow_lookup_page)
    sent = await sitrep.server.dispatch_slash_command("lookup", {"region": "Sudan"})
    deferral = await sent.callback()
    assert deferral.json["type"] == 5
    thinking = sitrep.server.messages[sent.state.original_message_id or 0]
    assert int(thinking["flags"]) & LOADING
    release.set()
    followup = await sent.followup()
    assert followup.index > deferral.index
    embed = only_embed(await sent.reply())
    assert "El Fasher" in embed["description"]


async def test_a_slow_feed_removal_is_deferred_then_followed_up(
    sitrep: Sitrep, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_remove_feed = sitrep.service.remove_feed
    release = asyncio.Event()

    async def slow_remove_feed(*args: Any, **kwargs: Any) -> Any:
        await release.wait()
        return await real_remove_feed(*args, **kwargs)

    monkeypatch.setattr(bot.discord.respond, "ANSWER_DIRECTLY_WITHIN", 0.05)
    monkeypatch.setattr(sitrep.service, "remove_feed", slow_remove_feed)
    server = sitrep.server
    url = (await app.storage.feeds.all())[0].url
    sent = await server.dispatch_slash_command(
        "feed remove", {"feed": url}, roles=admin_roles(server)
    )
    assert (await sent.callback()).json["type"] == 5
    release.set()
    embed = only_embed(await sent.reply())
    assert embed["title"] == "Feed removed: Wire"
    assert await app.storage.feeds.all() == []


async def test_close_stops_the_scheduler_and_the_client(sitrep: Sitrep) -> None:
    assert sitrep.scheduler.running
    await sitrep.bot.close()
    assert not sitrep.scheduler.running
    await asyncio.wait_for(sitrep.task, timeout=5)
    assert sitrep.task.done() and sitrep.task.exception() is None
    assert sitrep.bot.is_closed()


# --- hostile feed names, big pages, rate limits -----------------------------------------------

NASTY_FEED_TITLE = "@everyone <@&123> **Breaking** __News__ <@123456789012345678>"


def _iraq_feed(now: datetime, count: int, title: str) -> bytes:
    items = [(f"iraq-{n}", f"Clashes near Erbil and Mosul leave Iraqi forces on alert, report {n} " * 3)
             for n in range(count)]  # fmt: skip
    body = rss(items, title=title)
    return body.replace(b"Mon, 02 Nov 2026 09:00:00 GMT", format_datetime(now).encode())


async def test_a_hostile_feed_title_never_pings_and_is_escaped(
    app: App, feed_server: FeedServer
) -> None:
    now = datetime.now(UTC)
    feed_server.feeds["nasty"] = _iraq_feed(
        now, 2, NASTY_FEED_TITLE.replace("<", "&lt;").replace(">", "&gt;")
    )
    feed = await app.storage.feeds.add(
        feed_server.url("feed/nasty"), now
    )  # no name: the feed's own title shows
    assert (await app.poller.poll_feed(feed)).new == 2
    async with running_sitrep(app) as running:
        sent = await running.server.dispatch_slash_command("lookup", {"region": "Iraq"})
        embed = only_embed(await sent.reply())
        assert "\\*\\*Breaking\\*\\*" in embed["description"]  # markdown shown, not applied
        check_everything_sent(running.server)  # allowed_mentions empty, no raw mention sent


async def test_a_forty_article_lookup_respects_every_limit(
    app: App, feed_server: FeedServer
) -> None:
    now = datetime.now(UTC)
    feed_server.feeds["many"] = _iraq_feed(now, 40, "Many")
    feed = await app.storage.feeds.add(feed_server.url("feed/many"), now, "Many")
    assert (await app.poller.poll_feed(feed)).new == 40
    async with running_sitrep(app) as running:
        sent = await running.server.dispatch_slash_command(
            "lookup", {"region": "Iraq", "limit": 25}
        )
        embed = only_embed(await sent.reply())
        assert len(embed["description"]) <= 4096 and len(embed["title"]) <= 256
        assert "40 articles" in embed["footer"]["text"]
        check_everything_sent(running.server)  # the fake server refuses anything over a limit


async def test_a_rate_limited_reply_is_retried_and_nothing_is_lost(sitrep: Sitrep) -> None:
    server = sitrep.server
    server.rate_limit("POST", "/interactions/{interaction_id}/{token}/callback", retry_after=0.2)
    sent = await server.dispatch_slash_command("lookup", {"region": "Iraq"})
    reply = await sent.reply()
    assert "Erbil" in only_embed(reply)["description"]
    statuses = [r.status for r in server.requests if r.route and r.route.endswith("/callback")]
    assert statuses == [429, 200] or statuses == [429, 204], statuses
