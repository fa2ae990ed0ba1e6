"""The Discord client: minimal intents, no member cache, no pings; async start-up in setup_hook."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

from bot.commands.digests import DigestCommands
from bot.commands.service import Commands
from bot.discord.respond import NO_PINGS, on_tree_error

log = logging.getLogger(__name__)
EXTENSIONS = (
    "bot.discord.cogs.lookup",
    "bot.discord.cogs.feeds",
    "bot.discord.cogs.status",
    "bot.discord.cogs.digest",
)
# Builds the digest commands for this bot (their sender posts through it); None: no digests.
DigestsFactory = Callable[["SitrepBot"], DigestCommands]


class SitrepBot(commands.Bot):
    """Holds the shared command layer; cogs reach it as `bot.service`."""

    def __init__(
        self,
        service: Commands,
        scheduler: AsyncIOScheduler,
        guild_ids: Sequence[int],
        sync_globally: bool = False,
        digests: DigestsFactory | None = None,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # slash commands need nothing else: no message content, no members
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            member_cache_flags=discord.MemberCacheFlags.none(),
            allowed_mentions=NO_PINGS,
            help_command=None,
        )
        self.service = service
        self.scheduler = scheduler
        self._guild_ids = tuple(guild_ids)
        self._sync_globally = sync_globally
        self.digests = digests(self) if digests is not None else None

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.tree.error(on_tree_error)  # the one place errors become replies
        self.scheduler.start()
        if self.digests is not None:
            # Jobs only; deliveries wait for the gateway to be ready inside their own tasks.
            await self.digests.jobs.start()
        await self._sync_commands()

    async def _sync_commands(self) -> None:
        """To the configured guilds (instant); globally only when asked (slow to propagate)."""
        for guild_id in self._guild_ids:
            await self._sync_guild(guild_id)
        if self._sync_globally:
            synced = await self.tree.sync()
            log.info("synced %d commands globally", len(synced))
        if not self._guild_ids and not self._sync_globally:
            log.warning("no discord.guild_ids configured: slash commands were not synced")

    async def _sync_guild(self, guild_id: int) -> None:
        guild = discord.Object(id=guild_id)
        self.tree.copy_global_to(guild=guild)
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.Forbidden:
            # A wrong id in discord.guild_ids, or a guild that never invited the bot with the
            # applications.commands scope: say which, and keep serving the other guilds.
            log.error(
                "cannot sync commands to guild %s: the bot is not in it or was invited without "
                "the applications.commands scope; check discord.guild_ids",
                guild_id,
            )
            return
        log.info("synced %d commands to guild %s", len(synced), guild_id)

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await super().close()
