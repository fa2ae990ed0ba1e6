"""The gateway side of FakeDiscord: HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats, RESUME,
and the calls tests use to push events, drop connections and invalidate sessions."""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiohttp import WSMsgType, web

from tests.discord_fake.base import ServerBase
from tests.discord_fake.constants import API_VERSION, Json
from tests.discord_fake.state import GatewayConnection, GatewayOp, GatewaySession


class GatewayMixin(ServerBase):
    """The websocket endpoint and the gateway controls tests use."""

    # gateway: connection handling

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"only encoding=json is supported")
            return ws
        connection = GatewayConnection(len(self.connections) + 1, ws, request.query.get("compress"))
        self.connections.append(connection)
        await connection.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for message in ws:
                if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                try:
                    payload = json.loads(message.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                await self._on_gateway_op(connection, payload)
        finally:
            for session in self.sessions.values():
                if session.connection is connection:
                    session.connection = None
            await self._notify()
        return ws

    async def _on_gateway_op(self, connection: GatewayConnection, payload: Json) -> None:
        op, raw = payload.get("op"), payload.get("d")
        self.gateway_ops.append(GatewayOp(int(op or 0), raw, connection.number))
        data: Json = raw if isinstance(raw, dict) else {}
        if op == 1 and self.ack_heartbeats:
            await connection.send({"op": 11})
        elif op == 2:
            await self._identify(connection, data)
        elif op == 6:
            await self._resume(connection, data)
        elif op == 8:
            await self._members_chunk(data)
        await self._notify()

    async def _identify(self, connection: GatewayConnection, data: Json) -> None:
        if self.token is not None and data.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        if data.get("intents", 0) & self.disallowed_intents:
            await connection.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = GatewaySession(secrets.token_hex(16), data, connection=connection)
        self.sessions[session.session_id] = session
        self.session = session
        await session.dispatch("READY", self._ready_payload(session))
        for guild in self.guilds:
            await session.dispatch("GUILD_CREATE", guild.create_payload(self.bot_user))

    def _ready_payload(self, session: GatewaySession) -> Json:
        user = {**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "flags": 0}
        ready: Json = {
            "v": API_VERSION,
            "user": user,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
        }
        if "shard" in session.identify:
            ready["shard"] = session.identify["shard"]
        return ready

    async def _resume(self, connection: GatewayConnection, data: Json) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or (self.token is not None and data.get("token") != self.token):
            await connection.send({"op": 9, "d": False})
            return
        session.connection = connection
        self.session = session
        last_seen = data.get("seq") or 0
        for payload in session.sent:
            if payload["s"] > last_seen:
                await connection.send(payload)
        await session.dispatch("RESUMED", {})

    async def _members_chunk(self, data: Json) -> None:
        guild = self.find_guild(int(data.get("guild_id", 0)))
        if guild is None or self.session is None:
            return
        chunk = {
            "guild_id": str(guild.id),
            "members": [guild.member_payload(self.bot_user, guild.bot_role_ids)],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "nonce": data.get("nonce"),
        }
        await self.session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # gateway: what tests call

    async def send_dispatch(self, event: str, data: Any, *, timeout: float = 5.0) -> None:
        """Send any DISPATCH event (e.g. "GUILD_DELETE") to the connected client."""
        session = await self.wait_for_gateway(timeout=timeout)
        await session.dispatch(event, data)
        await self._notify()

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the client's websocket; discord.py then reconnects and RESUMEs (4000 is
        resumable; 4004 or 4014 are fatal for the client)."""
        session = await self.wait_for_gateway()
        assert session.connection is not None
        await session.connection.ws.close(code=code, message=b"closed by FakeDiscord")

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client closes the socket and RESUMEs."""
        session = await self.wait_for_gateway()
        assert session.connection is not None
        await session.connection.send({"op": 7, "d": None})

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION: the client identifies afresh unless resumable."""
        session = await self.wait_for_gateway()
        assert session.connection is not None
        await session.connection.send({"op": 9, "d": resumable})
