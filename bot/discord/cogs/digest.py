"""/digest subscribe | list | unsubscribe | resume | now."""

from __future__ import annotations

import asyncio
import io
import zoneinfo
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands.digests import (
    MAX_MIN_SOURCES,
    DigestCommands,
    SubscribeRequest,
    SubscriptionLine,
    SubscriptionListing,
)
from bot.commands.views import CommandError
from bot.digest.delivery import CHART_NAME, chart_png
from bot.digest.render_discord import digest_messages, empty_digest_message
from bot.discord import render
from bot.discord.client import SitrepBot
from bot.discord.cogs.feeds import can_manage
from bot.discord.render import stamp
from bot.discord.respond import NO_PINGS, fast_or_deferred, send
from bot.discord.safe import CHOICE_NAME_LIMIT, CHOICE_VALUE_LIMIT, DESCRIPTION_LIMIT, clean

ZONES = sorted(zoneinfo.available_timezones())
SCHEDULE_EXAMPLES = ("daily 08:00", "weekdays 07:30", "every 6h", "weekly mon 09:00", "0 8 * * 1-5")


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise CommandError("Digests are for server channels; use this command in a server.")
    return interaction.guild_id


def _choices(pairs: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=label[:CHOICE_NAME_LIMIT], value=value)
        for label, value in pairs
        if len(value) <= CHOICE_VALUE_LIMIT
    ]


def _list_choices(current: str, suggest: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Completes the last name of a comma-separated list, keeping the ones before it."""
    before, _, _ = current.rpartition(",")
    prefix = f"{before.strip()}, " if before.strip() else ""
    return [(f"{prefix}{label}", f"{prefix}{value}") for label, value in suggest]


def _line_text(line: SubscriptionLine) -> str:
    state = (
        f"⏸ paused: {clean(line.paused_reason)}"
        if line.paused_reason
        else (f"next {stamp(line.next_run)}" if line.next_run else "not scheduled")
    )
    extra = f" · {line.min_sources}+ sources" if line.min_sources > 1 else ""
    where = f"<#{line.channel_id}>" if line.channel_id else "the console"
    return f"**#{line.id}** in {where} · {line.schedule} · {clean(line.filters)}{extra} · {state}"


def listing_embed(listing: SubscriptionListing) -> discord.Embed:
    lines = [_line_text(line) for line in listing.lines]
    text = (
        "\n".join(lines)
        or "No digests in this server yet: `/digest subscribe schedule:daily 08:00`."
    )
    return discord.Embed(title="Digest subscriptions", description=text[:DESCRIPTION_LIMIT])


class DigestCog(commands.Cog):
    digest = app_commands.Group(name="digest", description="Scheduled regional digests")

    def __init__(self, bot: SitrepBot, digests: DigestCommands) -> None:
        self.bot = bot
        self.digests = digests

    @digest.command(
        name="subscribe", description="Post a digest in this channel on a schedule (Manage Server)"
    )
    @app_commands.describe(
        schedule="daily 08:00, weekdays 07:30, every 6h, weekly mon 09:00, or a 5-field cron",
        timezone="IANA time zone, e.g. Europe/Paris (default from settings)",
        regions="Comma-separated regions or countries: Levant, Iraq (default: everywhere)",
        actors="Comma-separated actors: KH, Wagner (default: any)",
        min_sources="Only stories reported by at least this many outlets",
        quiet="Post nothing when there is nothing new",
    )
    async def subscribe(
        self,
        interaction: discord.Interaction,
        schedule: str,
        timezone: str | None = None,
        regions: str | None = None,
        actors: str | None = None,
        min_sources: app_commands.Range[int, 1, MAX_MIN_SOURCES] = 1,
        quiet: bool = False,
    ) -> None:
        request = SubscribeRequest(
            _guild_id(interaction), interaction.channel_id or 0, interaction.user.id,
            schedule, timezone, regions, actors, min_sources, quiet,
        )  # fmt: skip
        work = self.digests.subscribe(request, can_manage=can_manage(interaction))
        notice = await fast_or_deferred(interaction, work)
        await send(interaction, render.notice(notice))

    @subscribe.autocomplete("schedule")
    async def schedule_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = [example for example in SCHEDULE_EXAMPLES if current.lower() in example]
        return _choices([(item, item) for item in ([current] if current else []) + found][:25])

    @subscribe.autocomplete("timezone")
    async def timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.strip().lower().replace(" ", "_")
        found = [zone for zone in ZONES if wanted in zone.lower()][:25]
        return _choices([(zone, zone) for zone in found])

    @subscribe.autocomplete("regions")
    async def region_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        last = current.rpartition(",")[2].strip()
        return _choices(_list_choices(current, self.bot.service.place_choices(last)))

    @subscribe.autocomplete("actors")
    async def actor_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        last = current.rpartition(",")[2].strip()
        return _choices(_list_choices(current, self.bot.service.actor_choices(last)))

    @digest.command(
        name="list", description="This server's digest subscriptions and their next run"
    )
    async def list_subscriptions(self, interaction: discord.Interaction) -> None:
        listing = await fast_or_deferred(interaction, self.digests.listing(_guild_id(interaction)))
        await send(interaction, listing_embed(listing))

    @digest.command(name="unsubscribe", description="Stop a digest (Manage Server)")
    @app_commands.describe(subscription="The digest number shown by /digest list")
    async def unsubscribe(self, interaction: discord.Interaction, subscription: int) -> None:
        work = self.digests.unsubscribe(
            _guild_id(interaction), subscription, can_manage(interaction)
        )
        notice = await fast_or_deferred(interaction, work)
        await send(interaction, render.notice(notice))

    @digest.command(
        name="resume", description="Resume a paused digest after fixing its channel (Manage Server)"
    )
    @app_commands.describe(subscription="The digest number shown by /digest list")
    async def resume(self, interaction: discord.Interaction, subscription: int) -> None:
        work = self.digests.resume(_guild_id(interaction), subscription, can_manage(interaction))
        notice = await fast_or_deferred(interaction, work)
        await send(interaction, render.notice(notice))

    @unsubscribe.autocomplete("subscription")
    @resume.autocomplete("subscription")
    async def subscription_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        listing = await self.digests.listing(interaction.guild_id)
        return [
            app_commands.Choice(
                name=f"#{line.id} {line.schedule} · {line.filters}"[:CHOICE_NAME_LIMIT],
                value=line.id,
            )
            for line in listing.lines
            if current.strip().lstrip("#") in str(line.id)
        ][:25]

    @digest.command(name="now", description="A digest right now, in this channel or only for you")
    @app_commands.describe(
        region="Only this region or country",
        since="24h, 7d, 2w or a date (default 24h)",
        preview="Show it only to you",
    )
    async def now(
        self,
        interaction: discord.Interaction,
        region: str | None = None,
        since: str | None = None,
        preview: bool = False,
    ) -> None:
        view = await fast_or_deferred(
            interaction, self.digests.now(region, since), ephemeral=preview
        )
        heading = f"Sitrep digest · {region}" if region else "Sitrep digest"
        contents = (
            await asyncio.to_thread(digest_messages, view, heading)  # big digests: ~0.3 s
            if view.stories
            else [empty_digest_message(view, heading)]
        )
        chart = await chart_png(view)
        for position, content in enumerate(contents):
            await self._post(interaction, content, chart if position == 0 else None, preview)

    @now.autocomplete("region")
    async def now_region_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _choices(self.bot.service.place_choices(current))

    @staticmethod
    async def _post(
        interaction: discord.Interaction, content: str, chart: bytes | None, preview: bool
    ) -> None:
        files: Any = discord.utils.MISSING  # MISSING, not []: no multipart without a file
        if chart is not None:
            files = [discord.File(io.BytesIO(chart), filename=CHART_NAME)]
        if interaction.response.is_done():
            await interaction.followup.send(
                content, ephemeral=preview, files=files, allowed_mentions=NO_PINGS,
                suppress_embeds=True,
            )  # fmt: skip
        else:
            await interaction.response.send_message(
                content, ephemeral=preview, files=files, allowed_mentions=NO_PINGS,
                suppress_embeds=True,
            )  # fmt: skip


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, SitrepBot)
    if bot.digests is not None:
        await bot.add_cog(DigestCog(bot, bot.digests))
