"""Previous/next buttons for lookup results that only the person who asked can press."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord

from bot.commands.service import Commands
from bot.commands.views import LookupPage
from bot.discord import render, respond
from bot.discord.respond import NO_PINGS, report_error, send_error

log = logging.getLogger(__name__)
T = TypeVar("T")
PAGE_TIMEOUT_SECONDS = 600
DEFERRED_UPDATE = discord.InteractionResponseType.deferred_message_update


async def fast_or_deferred_update(interaction: discord.Interaction, work: Awaitable[T]) -> T:
    """respond.fast_or_deferred for a button: past ANSWER_DIRECTLY_WITHIN, acknowledge with a
    deferred update (no new message, the clicked one is edited once the work is done)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=respond.ANSWER_DIRECTLY_WITHIN)
    if not done and not interaction.response.is_done():
        await interaction.response.defer()  # a component's plain defer is a deferred update
    return await task


async def report_button_error(interaction: discord.Interaction, error: Exception) -> None:
    """respond.report_error, except after a deferred update: there the "original response" is
    the lookup message itself, which send_error would delete; an ephemeral follow-up is sent."""
    if interaction.response.type != DEFERRED_UPDATE:
        await report_error(interaction, error, "lookup page button")
        return
    message = respond.user_message(error)
    if message is None:
        log.error("lookup page button failed", exc_info=error)
        message = "Something went wrong on our side; it has been logged. Try again shortly."
    embed = render.error(message)
    try:
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)
    except discord.HTTPException:
        log.warning("could not deliver the error for lookup page button", exc_info=True)


class LookupPager(discord.ui.View):
    def __init__(self, commands: Commands, page: LookupPage, owner_id: int) -> None:
        super().__init__(timeout=PAGE_TIMEOUT_SECONDS)
        self._commands = commands
        self._page = page
        self._owner_id = owner_id
        self.message: discord.Message | None = None
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self._page.page == 0
        self.next.disabled = self._page.page + 1 >= self._page.pages

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self._owner_id:
            return True
        await send_error(
            interaction, "Only the person who asked can turn these pages. Run /lookup yourself."
        )
        return False

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        turned = self._commands.lookup_page(self._page.request, self._page.page + step)
        self._page = await fast_or_deferred_update(interaction, turned)
        self._sync_buttons()
        embed = render.lookup_page(self._page)
        if interaction.response.is_done():  # deferred: edit the message the button is on
            await interaction.edit_original_response(
                embed=embed, view=self, allowed_mentions=NO_PINGS
            )
        else:
            await interaction.response.edit_message(
                embed=embed, view=self, allowed_mentions=NO_PINGS
            )

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[LookupPager]
    ) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary)
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[LookupPager]
    ) -> None:
        await self._turn(interaction, +1)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_button_error(interaction, error)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):  # the message may be gone
                await self.message.edit(view=self)
