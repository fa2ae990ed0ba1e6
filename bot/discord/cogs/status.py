"""/status: is Sitrep healthy?"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import render
from bot.discord.client import SitrepBot
from bot.discord.respond import fast_or_deferred, send
from bot.discord.safe import FIELD_VALUE_LIMIT, clean, fit


class StatusCog(commands.Cog):
    def __init__(self, bot: SitrepBot) -> None:
        self.bot = bot

    @app_commands.command(name="status", description="Uptime, feed health, articles, jobs")
    async def status(self, interaction: discord.Interaction) -> None:
        report = await fast_or_deferred(interaction, self.bot.service.status())
        embed = render.status(report)
        if self.bot.digests is not None:
            paused = await self.bot.digests.paused()
            lines = [
                f"#{line.id} in <#{line.channel_id}>: {clean(line.paused_reason or '')}"
                for line in paused
            ]
            value = "\n".join(lines) or "none"
            embed.add_field(
                name="Paused digests", value=fit(value, FIELD_VALUE_LIMIT), inline=False
            )
        await send(interaction, embed)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, SitrepBot)
    await bot.add_cog(StatusCog(bot))
