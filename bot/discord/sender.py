"""Posting outbox messages to Discord channels (the `Sender` of bot/digest/delivery.py)."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import datetime
from typing import Any

import aiohttp
import discord

from bot.digest.delivery import ChannelUnavailableError, SendFailedError
from bot.discord.respond import NO_PINGS
from storage.outbox import OutboxMessage

log = logging.getLogger(__name__)
HISTORY_SEARCH_LIMIT = 100  # messages after the last confirmed one that we look through
READY_TIMEOUT = 120.0


def _refusal(error: discord.HTTPException, channel_id: int) -> str:
    """Why a channel refused us, worded for the admin who has to fix it."""
    if isinstance(error, discord.NotFound):
        return (
            f"channel {channel_id} no longer exists (Discord error {error.code}); "
            "subscribe again in a channel that does"
        )
    return (
        f"missing permission in channel {channel_id} (Discord error {error.code}: {error.text}); "
        "give Sitrep View Channel, Send Messages and Attach Files there, then /digest resume"
    )


class DiscordSender:
    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        await asyncio.wait_for(self._client.wait_until_ready(), READY_TIMEOUT)
        channel = self._client.get_channel(channel_id)
        if channel is None:
            channel = await self._client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise ChannelUnavailableError(f"channel {channel_id} is not a text channel")
        return channel

    async def send(self, message: OutboxMessage) -> int:
        try:
            channel = await self._channel(message.channel_id)
            posted = await channel.send(
                message.content,
                nonce=message.nonce,  # discord.py adds enforce_nonce: a repeat returns the first
                allowed_mentions=NO_PINGS,
                suppress_embeds=True,
                files=self._files(message),
            )
        except (discord.Forbidden, discord.NotFound) as error:
            raise ChannelUnavailableError(_refusal(error, message.channel_id)) from None
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            raise SendFailedError(f"{type(error).__name__}: {error}") from None
        return posted.id

    @staticmethod
    def _files(message: OutboxMessage) -> Any:
        if message.attachment is None or message.attachment_name is None:
            return None  # the default: a plain JSON request
        return [discord.File(io.BytesIO(message.attachment), filename=message.attachment_name)]

    async def find_sent(
        self, message: OutboxMessage, after_id: int | None, since: datetime
    ) -> int | None:
        """Look for our message in the channel's history (needs Read Message History)."""
        start = after_id or discord.utils.time_snowflake(since)
        try:
            channel = await self._channel(message.channel_id)
            history = channel.history(
                limit=HISTORY_SEARCH_LIMIT, after=discord.Object(start), oldest_first=True
            )
            async for seen in history:
                if self._is_ours(seen) and seen.content == message.content:
                    log.info("digest message %d was already posted as %d", message.id, seen.id)
                    return seen.id
        except (
            discord.HTTPException,
            aiohttp.ClientError,
            TimeoutError,
            ChannelUnavailableError,
        ) as error:
            # Cannot look: the nonce still protects a resend made within Discord's window.
            log.warning(
                "cannot read channel %d history to check message %d: %s",
                message.channel_id, message.id, error,
            )  # fmt: skip
        return None

    def _is_ours(self, seen: discord.Message) -> bool:
        return self._client.user is not None and seen.author.id == self._client.user.id
