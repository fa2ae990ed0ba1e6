"""The real Sitrep bot on the loopback Discord server, fed from a loopback feed, and the checks
every end-to-end test applies to what the bot sent.

`running_sitrep(app)` wires the bot as bot.runner does (scheduler, command layer, SitrepBot
synced to the fake guild) against a FakeDiscord that enforces Discord's 3 s acknowledgement rule.
`check_everything_sent(server)` then holds the bot to Discord's rules and to ours: nothing
refused, every interaction acknowledged, no pings, no raw mentions, only http(s) links.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.commands.service import Commands
from bot.discord.client import SitrepBot
from bot.runner import build_scheduler, scheduled_jobs
from tests.discord_fake import EPHEMERAL, FakeDiscord, Json, RecordedRequest, SentInteraction
from tests.discord_harness import fake_discord_server, start_client, stop_client

# Discord drops an interaction not answered within 3 s; the fake server applies the same rule.
DISCORD_ACK_DEADLINE = 3.0
NO_PINGS: Json = {"parse": []}
RAW_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")
# A markdown link whose opening bracket is not escaped: [text](target).
MASKED_LINK = re.compile(r"(?<!\\)\[(?:\\.|[^\\\]])*\]\(([^)\s]*)\)")
HOSTILE_SUMMARY_CHARS = 5000

STORIES = [
    ("Kataib Hezbollah claims drone strike near Erbil",
     "The Iranian-backed militia said it targeted a base in northern Iraq."),
    ("Israeli raid in Jenin kills three",
     "The Israeli army said troops entered Jenin camp in the occupied West Bank."),
    ("RSF attack on El Fasher deepens famine in Sudan",
     "The Rapid Support Forces shelled El Fasher; aid agencies warn of famine in Darfur."),
    ("Rocket attack on Baghdad airport blamed on Kataib Hezbollah",
     "Iraqi officials said the Iran-aligned group fired three rockets."),
]  # fmt: skip
HOSTILE_TITLE = "@everyone <@123456789012345678> **Kataib Hezbollah** warns US forces in Mosul"
HOSTILE_BODY = (
    "<p>@everyone <@123456789012345678> **bold** [click](javascript:alert(1)) "
    "<a href='javascript:alert(2)'>details</a> in Iraq.</p>"
)


def _item(guid: str, title: str, body: str, link: str, published: datetime) -> str:
    return (
        f"<item><guid>{guid}</guid><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<description>{escape(body)}</description>"
        f"<pubDate>{format_datetime(published)}</pubDate></item>"
    )


def wire_feed(now: datetime) -> bytes:
    """RSS with the security stories (recent, newest first) and one hostile item."""
    items = [
        _item(f"story-{n}", title, body, f"https://wire.example/{n}", now - timedelta(hours=n + 1))
        for n, (title, body) in enumerate(STORIES)
    ]
    padding = " Mosul" * (HOSTILE_SUMMARY_CHARS // 6)
    hostile_body = HOSTILE_BODY + padding
    items.append(
        _item(
            "hostile", HOSTILE_TITLE, hostile_body, "javascript:alert(3)", now - timedelta(hours=6)
        )
    )
    channel = f"<channel><title>Wire</title><link>https://wire.example/</link>{''.join(items)}"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</channel></rss>'.encode()


@dataclass
class Sitrep:
    """The running bot and what it is made of."""

    server: FakeDiscord
    bot: SitrepBot
    service: Commands
    scheduler: AsyncIOScheduler
    task: asyncio.Task[None]


@contextlib.asynccontextmanager
async def running_sitrep(
    app: App, guild_ids: Sequence[int] | None = None, **server_options: Any
) -> AsyncIterator[Sitrep]:
    """The bot wired as bot.runner wires it, ready on FakeDiscord; closed on exit. It syncs
    commands to `guild_ids` (default: the fake server's guild)."""
    server_options.setdefault("ack_deadline", DISCORD_ACK_DEADLINE)
    async with fake_discord_server(**server_options) as server:
        scheduler = build_scheduler(app)
        service = Commands(app, jobs=lambda: scheduled_jobs(scheduler))
        bot = SitrepBot(service, scheduler, guild_ids or [server.guild.id])
        task = await start_client(bot)
        try:
            yield Sitrep(server, bot, service, scheduler, task)
        finally:
            await stop_client(bot, task)


# --- what the bot sent --------------------------------------------------------------------------


def message_body(request: RecordedRequest) -> Json | None:
    """The message a request sends or edits (None for acknowledgements without one)."""
    body = request.json if isinstance(request.json, dict) else {}
    if request.route and request.route.endswith("/callback"):
        carries_message = body.get("type") in (4, 7)  # a reply or an edit of the clicked message
        return (body.get("data") or {}) if carries_message else None
    if request.method in ("POST", "PATCH") and request.route and "messages" in request.route:
        return body
    if request.method == "POST" and request.route == "/webhooks/{application_id}/{token}":
        return body
    return None


def sent_messages(server: FakeDiscord) -> list[Json]:
    return [body for r in server.requests if (body := message_body(r)) is not None]


def embed_links(embed: Json) -> list[str]:
    """Every link target an embed carries: its url and the markdown links in its text."""
    links = [embed["url"]] if embed.get("url") else []
    texts = [embed.get("description") or ""]
    texts += [f.get("value") or "" for f in embed.get("fields") or []]
    return links + [target for text in texts for target in MASKED_LINK.findall(text)]


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def check_everything_sent(server: FakeDiscord) -> None:
    """Discord refused nothing, every interaction was acknowledged in time, and no message could
    ping anyone, show a raw mention or link anywhere but http(s)."""
    # A 429 is not a refusal: discord.py waits and retries, and the retry must then succeed.
    refused = [r.summary() for r in server.requests if r.status >= 400 and r.status != 429]
    assert not refused, f"Discord refused: {refused}"
    assert not server.unhandled
    unanswered = [s.payload["data"] for s in server.interactions.values() if s.acked_type is None]
    assert not unanswered, f"interactions never acknowledged: {unanswered}"
    for body in sent_messages(server):
        assert body.get("allowed_mentions") == NO_PINGS, body
        raw = [text for text in strings(body) if RAW_MENTION.search(text)]
        assert not raw, f"raw mentions sent: {raw}"
        for embed in body.get("embeds") or []:
            for target in embed_links(embed):
                assert target.startswith(("https://", "http://")), target


async def ephemeral_error(sent: SentInteraction) -> Json:
    """The error embed an interaction got, whether answered at once or after a deferral."""
    callback = await sent.callback()
    answered_at_once = callback.json["type"] == 4
    data = callback.json["data"] if answered_at_once else (await sent.followup()).json
    assert int(data.get("flags") or 0) & EPHEMERAL, data
    (embed,) = data["embeds"]
    return embed


def only_embed(message: Json) -> Json:
    (embed,) = message["embeds"]
    return embed


def buttons(message: Json) -> dict[str, Json]:
    """The message's buttons by label."""
    rows = message.get("components") or []
    return {button["label"]: button for row in rows for button in row["components"]}
