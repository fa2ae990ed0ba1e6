"""/lookup, /article, /regions, /actors: reading the tagged news."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands.service import MAX_LIMIT
from bot.discord import render
from bot.discord.client import SitrepBot
from bot.discord.paging import LookupPager
from bot.discord.respond import fast_or_deferred, send
from bot.discord.safe import CHOICE_NAME_LIMIT, CHOICE_VALUE_LIMIT


def _choices(pairs: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=label[:CHOICE_NAME_LIMIT], value=value[:CHOICE_VALUE_LIMIT])
        for label, value in pairs
    ]


class LookupCog(commands.Cog):
    def __init__(self, bot: SitrepBot) -> None:
        self.bot = bot

    @app_commands.command(name="lookup", description="Articles by region, actor, text and time")
    @app_commands.describe(
        region="Country, code or region: Iraq, IQ, Levant",
        actor="Actor name, alias or acronym: KH, Hamas, Wagner",
        query="Full-text search, words searched literally",
        since="24h, 7d, 2w or a date such as 2026-11-01 (default 7d)",
        limit="Results per page, 1 to 25 (default 10)",
    )
    async def lookup(
        self,
        interaction: discord.Interaction,
        region: str | None = None,
        actor: str | None = None,
        query: str | None = None,
        since: str | None = None,
        limit: app_commands.Range[int, 1, MAX_LIMIT] | None = None,
    ) -> None:
        service = self.bot.service
        request = service.plan_lookup(region, actor, query, since, limit)  # in memory: fast
        page = await fast_or_deferred(interaction, service.lookup_page(request, 0))
        pager = LookupPager(service, page, interaction.user.id) if page.pages > 1 else None
        await send(interaction, render.lookup_page(page), view=pager)
        if pager is not None:
            pager.message = await interaction.original_response()

    @lookup.autocomplete("region")
    async def region_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _choices(self.bot.service.place_choices(current))  # from memory, never the network

    @lookup.autocomplete("actor")
    async def actor_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _choices(self.bot.service.actor_choices(current))

    @app_commands.command(name="article", description="One article with its tags and why")
    @app_commands.describe(id="The article number shown by /lookup")
    async def article(self, interaction: discord.Interaction, id: int) -> None:
        detail = await fast_or_deferred(interaction, self.bot.service.article(id))
        await send(interaction, render.article(detail))

    @app_commands.command(name="regions", description="Regions with article counts (7 days)")
    async def regions(self, interaction: discord.Interaction) -> None:
        listing = await fast_or_deferred(interaction, self.bot.service.regions())
        await send(interaction, render.listing(listing))

    @app_commands.command(name="actors", description="Actors with article counts (7 days)")
    @app_commands.describe(search="Part of a name, alias or acronym")
    async def actors(self, interaction: discord.Interaction, search: str | None = None) -> None:
        listing = await fast_or_deferred(interaction, self.bot.service.actors(search))
        await send(interaction, render.listing(listing))


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, SitrepBot)
    await bot.add_cog(LookupCog(bot))
