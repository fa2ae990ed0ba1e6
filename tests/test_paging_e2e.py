"""/lookup's page buttons when a page is slow to read: acknowledged in time with a deferred
update, then the same message edited. The real bot on the loopback Discord server, which
enforces Discord's 3 s acknowledgement rule (check_everything_sent after every test)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

import bot.discord.respond
from bot.app import App
from tests.bot_e2e_support import (
    STORIES,
    Sitrep,
    buttons,
    check_everything_sent,
    only_embed,
    running_sitrep,
    wire_feed,
)
from tests.discord_fake import EPHEMERAL, Json, SentInteraction
from tests.feedserver import FeedServer

DEFERRED_UPDATE = 6


@pytest.fixture
async def sitrep(
    app: App, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Sitrep]:
    """The bot with the wire feed stored; any page read not done at once gets deferred."""
    feed_server.feeds["wire"] = wire_feed(datetime.now(UTC))
    feed = await app.storage.feeds.add(feed_server.url("feed/wire"), datetime.now(UTC), "Wire")
    assert (await app.poller.poll_feed(feed)).new == len(STORIES) + 1
    async with running_sitrep(app) as running:
        monkeypatch.setattr(bot.discord.respond, "ANSWER_DIRECTLY_WITHIN", 0.05)
        yield running
        check_everything_sent(running.server)


async def first_page(sitrep: Sitrep) -> Json:
    sent = await sitrep.server.dispatch_slash_command("lookup", {"region": "Iraq", "limit": 1})
    return await sent.reply()


def held_until(release: asyncio.Event, work: Callable[..., Awaitable[Any]]) -> Any:
    """`work`, held until `release`: slow without guessing how slow."""

    async def held(*args: Any) -> Any:
        await release.wait()
        return await work(*args)

    return held


def footer(sitrep: Sitrep, message: Json) -> str:
    text: str = only_embed(sitrep.server.messages[int(message["id"])])["footer"]["text"]
    return text


async def click_next(sitrep: Sitrep, message: Json) -> SentInteraction:
    return await sitrep.server.dispatch_component(
        message["id"], buttons(message)["Next"]["custom_id"]
    )


async def test_a_slow_page_is_deferred_then_the_same_message_edited(
    sitrep: Sitrep, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, release = sitrep.server, asyncio.Event()
    first = await first_page(sitrep)
    monkeypatch.setattr(
        sitrep.service, "lookup_page", held_until(release, sitrep.service.lookup_page)
    )

    click = await click_next(sitrep, first)
    assert (await click.callback()).json["type"] == DEFERRED_UPDATE
    assert "Page 1 of 3" in footer(sitrep, first)  # unchanged while the page is read
    release.set()
    edit_path = f"/webhooks/{server.application_id}/{click.token}/messages/@original"
    await server.wait_for_request(method="PATCH", path=edit_path)
    assert "Page 2 of 3" in footer(sitrep, first)
    turned = server.messages[int(first["id"])]
    assert not buttons(turned)["Previous"].get("disabled")
    assert click.messages == []  # no new message: the lookup itself turned its page


async def test_a_page_failing_after_its_deferral_keeps_the_lookup_and_tells_the_asker(
    sitrep: Sitrep, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    release = asyncio.Event()
    first = await first_page(sitrep)

    async def broken(*args: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(sitrep.service, "lookup_page", held_until(release, broken))
    with caplog.at_level(logging.ERROR, logger="bot.discord.paging"):
        click = await click_next(sitrep, first)
        assert (await click.callback()).json["type"] == DEFERRED_UPDATE
        release.set()
        error = (await click.followup()).json
    assert int(error["flags"]) & EPHEMERAL
    assert "Something went wrong on our side" in only_embed(error)["description"]
    assert "Page 1 of 3" in footer(sitrep, first)  # the lookup is still there, as it was
    (record,) = [r for r in caplog.records if r.name == "bot.discord.paging"]
    assert "lookup page button failed" in record.getMessage() and record.exc_info is not None
