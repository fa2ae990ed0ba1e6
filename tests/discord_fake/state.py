"""What FakeDiscord keeps: recorded REST requests and gateway ops, injected faults and holds,
replies, message nonces, live gateway connections and sessions, and every interaction's state."""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.discord_fake.constants import Json


@dataclass(frozen=True)
class RecordedFile:
    field: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One REST call: path is the API path without /api/v10 (e.g. /channels/1/messages);
    json is the JSON body, or the payload_json part of a multipart body (then files is set)."""

    index: int  # position in FakeDiscord.requests (recorded when answered)
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    files: list[RecordedFile] = field(default_factory=list)
    form: dict[str, str] = field(default_factory=dict)
    route: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    status: int = 0
    response: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def summary(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@dataclass(frozen=True)
class GatewayOp:
    """One payload the client sent over the gateway."""

    op: int
    data: Any
    connection: int


@functools.lru_cache(maxsize=256)
def path_pattern(template: str) -> re.Pattern[str]:
    """'/channels/{channel_id}/messages' -> a regex; {name} is one path segment, * anything."""
    parts = re.split(r"(\{\w+\}|\*)", template)
    regex = "".join(
        f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else ".*" if p == "*" else re.escape(p)
        for p in parts
    )
    return re.compile(f"^{regex}$")


def matches(method: str, template: str, request_method: str, request_path: str) -> bool:
    return (
        method in ("*", request_method) and path_pattern(template).match(request_path) is not None
    )


@dataclass
class Fault:
    """An injected answer for matching requests: status None means "only add delay"."""

    method: str
    path: str
    status: int | None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    delay: float = 0.0
    hits: int = 0

    def applies(self, method: str, path: str) -> bool:
        exhausted = self.times is not None and self.hits >= self.times
        return not exhausted and matches(self.method, self.path, method, path)


class Hold:
    """Holds the nth request matching (method, path template), counted from when the hold was
    set: before the handler runs (nothing happens on the server yet), or with after_create
    after it (the message exists, only the response is withheld). A test awaits arrived(),
    then kills the bot or calls release(). `dropped` says the client hung up while held (its
    request is then never answered; with after_create its message stays)."""

    def __init__(self, method: str, path: str, *, after_create: bool, nth: int) -> None:
        if nth < 1:
            raise ValueError("nth counts from 1 (the next matching request)")
        self.method, self.path, self.after_create, self.nth = method, path, after_create, nth
        self.seen = 0
        self.request: RecordedRequest | None = None  # the held request, once it arrived
        self._arrived = asyncio.Event()
        self._released = asyncio.Event()
        self._dropped = asyncio.Event()

    def catches(self, method: str, path: str) -> bool:
        """Counts a matching request; True for the one to hold (then the hold is used up)."""
        if self.request is not None or not matches(self.method, self.path, method, path):
            return False
        self.seen += 1
        return self.seen == self.nth

    async def arrived(self, *, timeout: float = 10.0) -> RecordedRequest:
        """The held request, once it reached the server (and, with after_create, was handled)."""
        try:
            await asyncio.wait_for(self._arrived.wait(), timeout)
        except TimeoutError:
            where = f"{self.method} {self.path} #{self.nth}"
            raise TimeoutError(f"no request reached hold {where} within {timeout}s") from None
        assert self.request is not None
        return self.request

    def release(self) -> None:
        """Let the held request go on (or its response go out)."""
        self._released.set()

    @property
    def released(self) -> bool:
        return self._released.is_set()

    @property
    def dropped(self) -> bool:
        return self._dropped.is_set()

    async def client_gone(self, *, timeout: float = 10.0) -> None:
        """Until the client hung up on the held request (killed, or its send cancelled)."""
        try:
            await asyncio.wait_for(self._dropped.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the client still waits on hold {self.method} {self.path}"
            ) from None

    async def wait(self, record: RecordedRequest) -> None:
        """Called by the server with the request it holds; returns once released."""
        self.request = record
        self._arrived.set()
        try:
            await self._released.wait()
        except asyncio.CancelledError:  # aiohttp cancels the handler when the client hangs up
            self._dropped.set()
            raise


@dataclass(frozen=True)
class SentNonce:
    """The nonce a message was created with. Discord answers the create call (and sends
    MESSAGE_CREATE) with it, but never shows it again: history and GET leave it out."""

    message_id: int
    channel_id: int
    author_id: int
    nonce: str | int
    created: float  # FakeDiscord.clock() at creation

    def same(self, channel_id: int, author_id: int, nonce: str | int) -> bool:
        return (self.channel_id, self.author_id, str(self.nonce)) == (
            channel_id,
            author_id,
            str(nonce),
        )


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class GatewayConnection:
    """One websocket; frames are JSON text, or one zlib (or zstd) stream when asked for."""

    def __init__(self, number: int, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.number = number
        self.ws = ws
        self.compress = compress
        self._compressor: Any = None
        if compress == "zlib-stream":
            self._compressor = zlib.compressobj()
        elif compress == "zstd-stream":  # discord.py picks zstd when `zstandard` is installed
            self._compressor = importlib.import_module("zstandard").ZstdCompressor().compressobj()
        self._lock = asyncio.Lock()

    async def send(self, payload: Json) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        async with self._lock:  # one compressor stream: frames must go out in compression order
            if self.ws.closed:
                return  # the session keeps the event; a RESUME replays it
            try:
                if self.compress == "zlib-stream":
                    data = self._compressor.compress(text.encode())
                    await self.ws.send_bytes(data + self._compressor.flush(zlib.Z_SYNC_FLUSH))
                elif self.compress == "zstd-stream":
                    flush_block = importlib.import_module("zstandard").COMPRESSOBJ_FLUSH_BLOCK
                    data = self._compressor.compress(text.encode())
                    await self.ws.send_bytes(data + self._compressor.flush(flush_block))
                else:
                    await self.ws.send_str(text)
            except ConnectionResetError:
                return


@dataclass
class GatewaySession:
    session_id: str
    identify: Json
    seq: int = 0
    sent: list[Json] = field(default_factory=list)  # dispatches, replayed on RESUME
    connection: GatewayConnection | None = None

    async def dispatch(self, event: str, data: Any) -> None:
        self.seq += 1
        payload = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.sent.append(payload)
        if self.connection is not None:
            await self.connection.send(payload)


@dataclass
class InteractionState:
    id: int
    token: str
    type: int
    payload: Json
    created: float
    channel_id: int
    guild_id: int | None
    clicked_message_id: int | None = None
    acked_type: int | None = None
    original_message_id: int | None = None
    message_ids: list[int] = field(default_factory=list)
