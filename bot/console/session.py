"""Console mode: reads command lines, runs them through the shared command layer, prints text.

Errors never end the session: a bad line prints what was wrong and how to fix it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import AsyncIterator
from typing import TextIO

from bot.commands.service import Commands
from bot.commands.views import CommandError, LookupPage
from bot.console import render
from bot.console.parse import COMMANDS, ConsoleParseError, ParsedCommand, parse_line, usage

log = logging.getLogger(__name__)
PROMPT = "sitrep> "


def help_text() -> str:
    lines = ["Commands (options are name:value; quote values with spaces):"]
    lines += [f"  {usage(spec):<60} {spec.help}" for spec in COMMANDS]
    return "\n".join(lines)


class ConsoleSession:
    def __init__(self, commands: Commands, out: TextIO) -> None:
        self._commands = commands
        self._out = out
        self._last_page: LookupPage | None = None

    async def handle(self, line: str) -> bool:
        """Run one line; False when the user asked to quit."""
        try:
            parsed = parse_line(line)
            if parsed is None:
                return True
            if parsed.name == "quit":
                return False
            self._print(await self._run(parsed))
        except (ConsoleParseError, CommandError) as error:
            self._print(f"error: {error}")
        except Exception:  # the console must outlive any bug in one command
            log.exception("console command failed: %s", line)
            self._print("error: that command failed unexpectedly; the details are in the log.")
        return True

    def _print(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    async def _run(self, command: ParsedCommand) -> str:
        options, run = command.options, self._commands
        match command.name:
            case "lookup":
                self._last_page = await run.lookup(**options)  # type: ignore[arg-type]
                return render.lookup_page(self._last_page)
            case "more":
                return await self._more()
            case "article":
                return render.article(await run.article(int(options["id"])))
            case "regions":
                return render.listing(await run.regions())
            case "actors":
                return render.listing(await run.actors(_text(options.get("search"))))
            case "feed list" | "feed status":
                return render.feeds(await run.feeds(), detailed=command.name == "feed status")
            case "feed add":
                url, name = str(options["url"]), _text(options.get("name"))
                return render.notice(await run.add_feed(url, name, can_manage=True))
            case "feed remove":
                return render.notice(await run.remove_feed(str(options["feed"]), can_manage=True))
            case "status":
                return render.status(await run.status())
            case _:
                return help_text()

    async def _more(self) -> str:
        page = self._last_page
        if page is None:
            raise CommandError("Nothing to continue: run /lookup first.")
        if page.page + 1 >= page.pages:
            raise CommandError("That was the last page.")
        self._last_page = await self._commands.lookup_page(page.request, page.page + 1)
        return render.lookup_page(self._last_page)


def _text(value: str | int | None) -> str | None:
    return None if value is None else str(value)


async def stdin_lines() -> AsyncIterator[str]:
    """Lines typed at the terminal, read by a daemon thread so the event loop never blocks."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def reader() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=reader, name="console-stdin", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line


async def run_console(session: ConsoleSession, lines: AsyncIterator[str], out: TextIO) -> bool:
    """Prompt, read, run, until /quit (True) or the end of input (False)."""
    out.write(help_text() + "\n" + PROMPT)
    out.flush()
    async for line in lines:
        if not await session.handle(line):
            return True
        out.write(PROMPT)
        out.flush()
    return False
