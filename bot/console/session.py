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

from bot.commands.digests import DigestCommands, SubscribeRequest
from bot.commands.service import Commands
from bot.commands.views import CommandError, LookupPage
from bot.console import render
from bot.console.parse import COMMANDS, ConsoleParseError, ParsedCommand, parse_line, usage
from bot.digest.render_text import as_markdown

log = logging.getLogger(__name__)
PROMPT = "sitrep> "


def help_text() -> str:
    lines = ["Commands (options are name:value; quote values with spaces):"]
    for spec in COMMANDS:
        shown = usage(spec)
        # A long usage gets its own line, its help below, instead of wrapping mid-column.
        lines += (
            [f"  {shown:<60} {spec.help}"]
            if len(shown) <= 60
            else [f"  {shown}", f"  {'':<60} {spec.help}"]
        )
    return "\n".join(lines)


class ConsoleSession:
    def __init__(
        self, commands: Commands, out: TextIO, digests: DigestCommands | None = None
    ) -> None:
        self._commands = commands
        self._digests = digests
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
                request = run.plan_lookup(**options)  # type: ignore[arg-type]
                self._last_page = await run.lookup_page(request, 0)
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
                return await self._status()
            case name if name.startswith("digest "):
                return await self._digest(command)
            case _:
                return help_text()

    async def _status(self) -> str:
        text = render.status(await self._commands.status())
        if self._digests is not None:
            text += "\n" + render.paused_digests(await self._digests.paused())
        return text

    async def _digest(self, command: ParsedCommand) -> str:
        """The console is one channel: guild 0, channel 0; its user may manage it."""
        if self._digests is None:
            raise CommandError("Digests are not available in this session.")
        options, digests = command.options, self._digests
        match command.name:
            case "digest subscribe":
                return render.notice(await digests.subscribe(_subscribe(options), can_manage=True))
            case "digest list":
                return render.subscriptions(await digests.listing(0))
            case "digest unsubscribe":
                number = int(options["subscription"])
                return render.notice(await digests.unsubscribe(0, number, can_manage=True))
            case "digest resume":
                number = int(options["subscription"])
                return render.notice(await digests.resume(0, number, can_manage=True))
            case _:  # digest now
                region, since = _text(options.get("region")), _text(options.get("since"))
                return as_markdown(await digests.now(region, since)).rstrip()

    async def _more(self) -> str:
        page = self._last_page
        if page is None:
            raise CommandError("Nothing to continue: run /lookup first.")
        if page.page + 1 >= page.pages:
            raise CommandError("That was the last page.")
        self._last_page = await self._commands.lookup_page(page.request, page.page + 1)
        return render.lookup_page(self._last_page)


def _text(value: str | int | bool | None) -> str | None:
    return None if value is None else str(value)


def _subscribe(options: dict[str, str | int | bool]) -> SubscribeRequest:
    return SubscribeRequest(
        0,
        0,
        None,
        str(options["schedule"]),
        _text(options.get("timezone")),
        _text(options.get("regions")),
        _text(options.get("actors")),
        int(options.get("min_sources", 1)),
        bool(options.get("quiet", False)),
    )


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
