"""Answering interactions inside Discord's 3 seconds, and the one place errors become replies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TypeVar

import discord

from bot.commands.views import CommandError
from bot.discord import render

log = logging.getLogger(__name__)
T = TypeVar("T")
NO_PINGS = discord.AllowedMentions.none()
# Past this the work is still running: defer, so Discord sees an answer well inside 3 s.
ANSWER_DIRECTLY_WITHIN = 0.05


async def fast_or_deferred(
    interaction: discord.Interaction, work: Awaitable[T], ephemeral: bool = False
) -> T:
    """Await `work`; if it has not finished within ANSWER_DIRECTLY_WITHIN, defer first."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=ANSWER_DIRECTLY_WITHIN)
    if not done and not interaction.response.is_done():
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
    return await task


async def send(
    interaction: discord.Interaction,
    embed: discord.Embed,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> None:
    """Reply (or follow up a deferral) with one embed; feed text can never ping."""
    view = view or discord.utils.MISSING
    if interaction.response.is_done():
        await interaction.followup.send(
            embed=embed, view=view, ephemeral=ephemeral, allowed_mentions=NO_PINGS
        )
    else:
        await interaction.response.send_message(
            embed=embed, view=view, ephemeral=ephemeral, allowed_mentions=NO_PINGS
        )


async def send_error(interaction: discord.Interaction, message: str) -> None:
    """An ephemeral error. After a public deferral, the "thinking" message is removed first so
    the error is seen by the asker only."""
    embed = render.error(message)
    if not interaction.response.is_done():
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )
        return
    with contextlib.suppress(discord.HTTPException):  # nothing to delete: fine
        await interaction.delete_original_response()
    await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)


def user_message(error: BaseException) -> str | None:
    """The message for errors users cause; None for bugs."""
    if isinstance(error, discord.app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, CommandError):
        return str(error)
    if isinstance(error, discord.app_commands.CheckFailure):
        return str(error) or "You cannot use this command here."
    if isinstance(error, discord.app_commands.TransformerError):
        return f"{error.value!r} is not a valid value for that option."
    return None


async def on_tree_error(
    interaction: discord.Interaction, error: discord.app_commands.AppCommandError
) -> None:
    """The central handler for slash commands."""
    command = interaction.command.qualified_name if interaction.command else "?"
    await report_error(interaction, error, f"command /{command}")


async def report_error(interaction: discord.Interaction, error: Exception, what: str) -> None:
    """User errors get their message, bugs a generic one and a log line. Buttons use it too:
    discord.py sends their errors to View.on_error, not to the command tree's handler."""
    message = user_message(error)
    if message is None:
        log.error("%s failed", what, exc_info=error)
        message = "Something went wrong on our side; it has been logged. Try again shortly."
    else:
        log.info("%s refused for user %s: %s", what, interaction.user.id, message)
    try:
        await send_error(interaction, message)
    except discord.HTTPException:
        log.warning("could not deliver the error for %s", what, exc_info=True)
