"""The offline demo: the bundled sample feeds, served on 127.0.0.1, read by the real pipeline.

`config/demo/*.xml` hold one fixed reference week (2026-01-05 to 2026-01-11, UTC). Served as they
are, the sample would soon be months old and every "last 7 days" lookup would find nothing, so the
server moves every date by the same amount, putting the newest item just before now. Only the
bytes served change; the files stay as they are.

The demo runs on its own settings: a database in a folder it is given, no seed feeds (it must never
reach the internet), and a fetch guard that lets through 127.0.0.1 and nothing else private.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from ipaddress import ip_network
from pathlib import Path
from types import TracebackType

from aiohttp import web

from bot.app import App
from bot.digest.window import Window
from bot.ingest.poller import FeedResult
from bot.settings import PROJECT_ROOT, Settings

SAMPLE_FOLDER = PROJECT_ROOT / "config" / "demo"
REFERENCE_START = datetime(2026, 1, 5, tzinfo=UTC)
REFERENCE_END = datetime(2026, 1, 12, tzinfo=UTC)  # exclusive; a 2027 item is out on purpose
DATABASE_NAME = "sitrep-demo.db"
LOOPBACK = ip_network("127.0.0.1/32")
# The dated elements of RSS 2.0 and Atom 1.0 that the sample uses.
_DATE_ELEMENT = re.compile(rb"<(pubDate|lastBuildDate|published|updated)>([^<]+)</\1>")


def load_sample(folder: Path = SAMPLE_FOLDER) -> dict[str, bytes]:
    """File name -> bytes of every sample feed, in name order."""
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.xml"))}


def demo_settings(settings: Settings, folder: Path) -> Settings:
    """`settings` with the demo's database in `folder`, no seed feeds, fetching from 127.0.0.1
    only, and no digest subscriptions."""
    no_feeds = folder / "no-seed-feeds.toml"
    no_feeds.write_text("# The demo adds its own loopback feeds.\n", encoding="utf-8")
    storage = replace(settings.storage, path=folder / DATABASE_NAME, seed_feeds=no_feeds)
    fetch = replace(settings.fetch, allow_private_addresses=False, allowed_networks=(LOOPBACK,))
    digest = replace(settings.digest, subscriptions=())
    return replace(settings, storage=storage, fetch=fetch, digest=digest)


# --- moving the reference week to now --------------------------------------------------------


def _parse_date(text: str) -> datetime | None:
    """An RFC 3339 (Atom) or RFC 822 (RSS) date, or None when it is neither."""
    try:
        moment = datetime.fromisoformat(text) if text[:1].isdigit() else parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def _format_date(moment: datetime, like: str) -> str:
    """`moment` written the way `like` was: same format, same zone notation."""
    if like[:1].isdigit():
        text = moment.isoformat(timespec="seconds")
        return text.replace("+00:00", "Z") if like.endswith("Z") else text
    if like.endswith("GMT"):
        return format_datetime(moment.astimezone(UTC), usegmt=True)
    return format_datetime(moment)


def sample_dates(documents: Iterable[bytes]) -> list[datetime]:
    return [
        moment
        for body in documents
        for match in _DATE_ELEMENT.finditer(body)
        if (moment := _parse_date(match.group(2).decode().strip())) is not None
    ]


def shift_to(now: datetime, documents: Iterable[bytes]) -> timedelta:
    """How far to move the sample so its newest in-week date lands just before `now`.

    Whole minutes, so shifted times read as cleanly as the originals."""
    in_week = [moment for moment in sample_dates(documents) if moment < REFERENCE_END]
    gap = now - max(in_week, default=REFERENCE_END)
    return timedelta(minutes=gap // timedelta(minutes=1))


def shift_dates(body: bytes, shift: timedelta) -> bytes:
    """`body` with every feed date moved by `shift`; anything that is not a date stays as it is."""

    def moved(match: re.Match[bytes]) -> bytes:
        text = match.group(2).decode().strip()
        moment = _parse_date(text)
        if moment is None:
            return match.group(0)
        element = match.group(1)
        value = _format_date(moment + shift, text).encode()
        return b"<" + element + b">" + value + b"</" + element + b">"

    return _DATE_ELEMENT.sub(moved, body)


# --- the loopback server ---------------------------------------------------------------------


class SampleServer:
    """Serves `documents` (file name -> bytes) at http://127.0.0.1:PORT/NAME on an ephemeral port,
    for as long as the `async with` block lasts."""

    def __init__(self, documents: Mapping[str, bytes]) -> None:
        self._documents = dict(documents)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    async def _serve(self, request: web.Request) -> web.Response:
        body = self._documents.get(request.match_info["name"])
        if body is None:
            return web.Response(status=404, text="no such sample feed")
        return web.Response(body=body, content_type="application/xml")

    async def __aenter__(self) -> SampleServer:
        application = web.Application()
        application.router.add_get("/{name}", self._serve)
        self._runner = web.AppRunner(application, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


# --- ingesting the sample ----------------------------------------------------------------------


@dataclass(frozen=True)
class SampleIngest:
    """What reading the sample did: one result per feed, and the sample week as moved to now."""

    results: tuple[FeedResult, ...]
    period_start: datetime
    shift: timedelta
    server_url: str

    @property
    def new_articles(self) -> int:
        return sum(result.new for result in self.results)

    def period(self, end: datetime) -> Window:
        """The whole sample period, from the shifted start of the week to `end` (now)."""
        return Window(min(self.period_start, end), end)


async def ingest_sample(
    app: App,
    documents: Mapping[str, bytes],
    on_result: Callable[[FeedResult], object] | None = None,
) -> SampleIngest:
    """Add one feed per document and read them all once through the real poller.

    The feeds are recorded as read before, so their articles count as news (a first read would
    store them as backlog, which digests leave out). The server stops once the pass is done."""
    now = app.clock()
    shift = shift_to(now, documents.values())
    served = {name: shift_dates(body, shift) for name, body in documents.items()}
    feeds = app.storage.feeds
    async with SampleServer(served) as server:
        added = [await feeds.add(server.url(name), now) for name in served]
        await feeds.record_earlier_read([feed.id for feed in added], now - timedelta(days=8))
        current = [await feeds.get_by_id(feed.id) for feed in added]
        results = await app.poller.poll(current, on_result=on_result)
        url = server.url("")
    return SampleIngest(tuple(results), REFERENCE_START + shift, shift, url)
