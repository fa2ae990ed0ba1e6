"""Console mode's digest "channel": subscriptions made at the console print their digests here."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import count
from typing import TextIO

from storage.outbox import OutboxMessage

_DISCORD_TIME = re.compile(r"<t:(-?\d+)(?::[tTdDfFR])?>")


def readable(content: str) -> str:
    """Discord timestamps become UTC text; the rest of the Markdown reads fine in a terminal."""

    def as_text(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match.group(1)), UTC)
        return moment.strftime("%Y-%m-%d %H:%M UTC")

    return _DISCORD_TIME.sub(as_text, content)


class ConsoleSender:
    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._ids = count(1)

    async def send(self, message: OutboxMessage) -> int:
        self._out.write("\n" + readable(message.content) + "\n")
        if message.attachment is not None:
            size = len(message.attachment)
            self._out.write(f"(chart {message.attachment_name}, {size:,} bytes: Discord only)\n")
        self._out.flush()
        return next(self._ids)

    async def find_sent(
        self, message: OutboxMessage, after_id: int | None, since: datetime
    ) -> int | None:
        return None  # a terminal keeps no history: an interrupted digest is printed again
