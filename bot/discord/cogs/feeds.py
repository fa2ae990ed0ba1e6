"""/feed list, /feed status, /feed add, /feed remove."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import render
from bot.discord.client import SitrepBot
from bot.discord.respond import fast_or_deferred, send
from bot.discord.safe import CHOICE_NAME_LIMIT, CHOICE_VALUE_LIMIT


def can_manage(interaction: discord.Interaction) -> bool:
    """Checked at run time: default_member_permissions can be changed by any server admin."""
    return bool(interaction.guild is not None and interaction.permissions.manage_guild)


class FeedsCog(commands.Cog):
    feed = app_commands.Group(name="feed", description="The feeds Sitrep reads")

    def __init__(self, bot: SitrepBot) -> None:
        self.bot = bot

    @feed.command(name="list", description="Every feed")
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        report = await fast_or_deferred(interaction, self.bot.service.feeds())
        await send(interaction, render.feeds(report, detailed=False))

    @feed.command(name="status", description="Feed health: last check, errors, next check")
    async def status(self, interaction: discord.Interaction) -> None:
        report = await fast_or_deferred(interaction, self.bot.service.feeds())
        await send(interaction, render.feeds(report, detailed=True))

    @feed.command(name="add", description="Add a feed and fetch it once (Manage Server)")
    @app_commands.describe(
        url="The feed's address (RSS, Atom or JSON Feed)", name="Shown in digests"
    )
    async def add(
        self, interaction: discord.Interaction, url: str, name: str | None = None
    ) -> None:
        allowed = can_manage(interaction)
        if allowed:
            await interaction.response.defer(thinking=True)  # the first fetch takes a while
        notice = await self.bot.service.add_feed(url, name, can_manage=allowed)
        await send(interaction, render.notice(notice))

    @feed.command(name="remove", description="Remove a feed and its articles (Manage Server)")
    @app_commands.describe(feed="The feed to remove")
    async def remove(self, interaction: discord.Interaction, feed: str) -> None:
        removal = self.bot.service.remove_feed(feed, can_manage=can_manage(interaction))
        notice = await fast_or_deferred(interaction, removal)  # deletes articles: can be slow
        await send(interaction, render.notice(notice))

    @remove.autocomplete("feed")
    async def feed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        pairs = await self.bot.service.feed_choices(current)
        return [
            app_commands.Choice(name=label[:CHOICE_NAME_LIMIT], value=value[:CHOICE_VALUE_LIMIT])
            for label, value in pairs
            if len(value) <= CHOICE_VALUE_LIMIT
        ]


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, SitrepBot)
    await bot.add_cog(FeedsCog(bot))
