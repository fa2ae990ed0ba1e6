"""FakeDiscord's state and the calls every part shares: addresses, the world, faults, waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from aiohttp import web

from tests.discord_fake.constants import (
    API_VERSION,
    APPLICATION_ID,
    DEFAULT_TOKEN,
    HOST,
    OWNER_ID,
    ApiError,
    Json,
)
from tests.discord_fake.model import FakeChannel, FakeGuild, FakeUser, Snowflakes, sample_guild
from tests.discord_fake.state import (
    Fault,
    GatewayConnection,
    GatewayOp,
    GatewaySession,
    Hold,
    InteractionState,
    RecordedRequest,
    SentNonce,
    matches,
)

T = TypeVar("T")
Route = tuple[str, str, Callable[..., Any], bool]


class ServerBase:
    """FakeDiscord's state: the world, everything recorded, faults; the parts (gateway, REST
    routes, user actions) are mixins over this base so each can live in its own module."""

    def __init__(
        self,
        *,
        guilds: Sequence[FakeGuild] | None = None,
        token: str | None = DEFAULT_TOKEN,
        heartbeat_interval_ms: int = 41_250,
        enforce_permissions: bool = True,
        ack_deadline: float | None = None,
        disallowed_intents: int = 0,
        echo_message_events: bool = True,
        nonce_window: float = 300.0,
    ) -> None:
        self.guilds: list[FakeGuild] = list(guilds) if guilds is not None else [sample_guild()]
        self.token = token  # None accepts any token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.enforce_permissions = enforce_permissions
        self.ack_deadline = ack_deadline  # seconds; Discord's is 3.0
        self.disallowed_intents = disallowed_intents  # privileged intents not enabled (-> 4014)
        self.echo_message_events = echo_message_events
        # enforce_nonce: a repeated nonce within this many seconds returns the first message.
        self.nonce_window = nonce_window
        self.clock: Callable[[], float] = time.monotonic  # seconds; tests may swap in their own
        self.ack_heartbeats = True
        self.latency = 0.0
        self.application_id = APPLICATION_ID
        self.bot_user = FakeUser(APPLICATION_ID, "Sitrep", bot=True)
        self.owner = FakeUser(OWNER_ID, "owner", "Team Owner")
        self.users: dict[int, FakeUser] = {u.id: u for u in (self.bot_user, self.owner)}
        self.snowflakes = Snowflakes()
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []  # answered 404: routes FakeDiscord lacks
        self.errors: list[Exception] = []  # FakeDiscord's own failures (answered 503)
        self.gateway_ops: list[GatewayOp] = []
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.session: GatewaySession | None = None
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        self.commands: dict[int | None, list[Json]] = {}  # guild id (None: global) -> commands
        self.messages: dict[int, Json] = {}
        self.deleted_messages: dict[int, Json] = {}
        self.attachments: dict[int, bytes] = {}
        self.nonces: dict[int, SentNonce] = {}  # message id -> the nonce it was created with
        self.deduplicated: list[RecordedRequest] = []  # creates answered with an earlier message
        self.dm_channels: dict[int, FakeChannel] = {}
        self.interactions: dict[str, InteractionState] = {}
        self.port = 0
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._routes = self._route_table()

    def _route_table(self) -> list[Route]:
        """(method, template, handler, needs bot auth); FakeDiscord lists its handlers."""
        return []

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_base(self) -> str:
        """What discord.http.Route.BASE must be for the client to talk to this server."""
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{HOST}:{self.port}/"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{HOST}:{self.port}/resume/"

    # the world

    @property
    def guild(self) -> FakeGuild:
        """The first (usually only) guild."""
        return self.guilds[0]

    def user(self, username: str, *, global_name: str | None = None) -> FakeUser:
        """The user with that name, created (with a fresh snowflake) on first use."""
        for existing in self.users.values():
            if existing.username == username:
                return existing
        created = FakeUser(self.snowflakes.next(), username, global_name)
        self.users[created.id] = created
        return created

    def find_guild(self, guild_id: int) -> FakeGuild | None:
        return next((g for g in self.guilds if g.id == guild_id), None)

    def find_channel(self, channel_id: int) -> tuple[FakeChannel | None, FakeGuild | None]:
        for guild in self.guilds:
            if (channel := guild.find_channel(channel_id)) is not None:
                return channel, guild
        dm = next((c for c in self.dm_channels.values() if c.id == channel_id), None)
        return dm, None

    def channel_messages(self, channel_id: int) -> list[Json]:
        """Messages currently in a channel (ephemeral ones included), oldest first."""
        return [m for m in self.messages.values() if m["channel_id"] == str(channel_id)]

    def bot_posts(self, channel_id: int) -> list[Json]:
        """What the bot posted in a channel with channel.send, oldest first: no interaction
        replies or follow-ups, no users' messages. Exactly-once delivery tests count these."""
        return [
            m
            for m in self.channel_messages(channel_id)
            if m["author"]["id"] == str(self.bot_user.id) and "interaction_metadata" not in m
        ]

    # faults

    def fail(
        self,
        method: str,
        path: str,
        error: ApiError | int,
        *,
        body: Any = None,
        times: int | None = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """Answer matching requests with an error, e.g.
        fail("POST", "/channels/{channel_id}/messages", MISSING_PERMISSIONS, times=1).
        The newest matching fault wins. discord.py retries 500/502/504/524 itself after
        1, 3, 5, 7 s; 503 fails at once."""
        status = error if isinstance(error, int) else error.status
        if body is None:
            body = (
                error.body() if isinstance(error, ApiError) else {"message": str(status), "code": 0}
            )
        fault = Fault(method, path, status, body, dict(headers or {}), times, delay)
        self.faults.append(fault)
        return fault

    def rate_limit(
        self,
        method: str,
        path: str,
        *,
        retry_after: float = 0.05,
        times: int | None = 1,
        is_global: bool = False,
    ) -> Fault:
        """429 as Discord sends it (the Via header tells discord.py it is not Cloudflare)."""
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return self.fail(method, path, 429, body=body, times=times, headers=headers)

    def slow(self, method: str, path: str, seconds: float, *, times: int | None = None) -> Fault:
        """Delay matching requests, then answer them normally."""
        fault = Fault(method, path, None, times=times, delay=seconds)
        self.faults.append(fault)
        return fault

    def hold(self, method: str, path: str, *, after_create: bool = False, nth: int = 1) -> Hold:
        """Hold the nth matching request from now (1: the next) until hold.release(), e.g.
        hold("POST", "/channels/{channel_id}/messages", after_create=True): the message is
        created and stored but the bot gets no answer; `await hold.arrived()`, then kill the
        bot (hold.dropped becomes True) or release it. Each hold catches one request."""
        held = Hold(method, path, after_create=after_create, nth=nth)
        self.holds.append(held)
        return held

    def clear_faults(self) -> None:
        """Forget injected faults and release every hold."""
        self.faults.clear()
        for held in self.holds:
            held.release()
        self.holds.clear()

    # waiting and looking up

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests matching a method ('*' any) and template ('/channels/{id}/messages')."""
        return [r for r in self.requests if matches(method, path, r.method, r.path)]

    async def wait_until(
        self, predicate: Callable[[], T | None], *, timeout: float = 5.0, what: str = ""
    ) -> T:
        """Wait until predicate() returns something truthy (checked after every request or
        gateway event) and return it."""
        assert self._changed is not None, "FakeDiscord.start() first"
        async with self._changed:
            try:
                return await asyncio.wait_for(self._changed.wait_for(predicate), timeout)  # type: ignore[arg-type]
            except TimeoutError:
                recent = "\n  ".join(r.summary() for r in self.requests[-15:]) or "(none)"
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what or 'condition'}; last requests:\n  {recent}"
                ) from None

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        *,
        method: str = "*",
        path: str = "*",
        since: int = 0,
        timeout: float = 5.0,
    ) -> RecordedRequest:
        """The first recorded request (from index `since`, answered) matching all filters."""

        def find() -> RecordedRequest | None:
            for request in self.requests[since:]:
                if matches(method, path, request.method, request.path) and (
                    predicate is None or predicate(request)
                ):
                    return request
            return None

        return await self.wait_until(find, timeout=timeout, what=f"{method} {path}")

    async def wait_for_gateway(self, *, timeout: float = 5.0) -> GatewaySession:
        """The session once the client has identified (or resumed) on a live connection."""

        def live() -> GatewaySession | None:
            session = self.session
            return (
                session
                if session and session.connection and not session.connection.ws.closed
                else None
            )

        return await self.wait_until(live, timeout=timeout, what="a live gateway session")

    def message_nonce(self, message_id: int | str) -> str | int | None:
        """The nonce a message was created with (None: none was sent)."""
        sent = self.nonces.get(int(message_id))
        return None if sent is None else sent.nonce

    def messages_with_nonce(self, nonce: str | int, channel_id: int | None = None) -> list[Json]:
        """Messages still on the server created with this nonce (compared as text), oldest
        first; several means a duplicate got through."""
        found = [
            self.messages[s.message_id]
            for s in self.nonces.values()
            if str(s.nonce) == str(nonce)
            and (channel_id is None or s.channel_id == channel_id)
            and s.message_id in self.messages
        ]
        return sorted(found, key=lambda message: int(message["id"]))

    @property
    def identifies(self) -> list[Json]:
        return [op.data for op in self.gateway_ops if op.op == 2]

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()
