"""Previous/next buttons for lookup results that only the person who asked can press."""

from __future__ import annotations

import contextlib
from typing import Any

import discord

from bot.commands.service import Commands
from bot.commands.views import LookupPage
from bot.discord import render
from bot.discord.respond import NO_PINGS, report_error, send_error

PAGE_TIMEOUT_SECONDS = 600


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
        self._page = await self._commands.lookup_page(self._page.request, self._page.page + step)
        self._sync_buttons()
        await interaction.response.edit_message(
            embed=render.lookup_page(self._page), view=self, allowed_mentions=NO_PINGS
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
        await report_error(interaction, error, "lookup page button")

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):  # the message may be gone
                await self.message.edit(view=self)
