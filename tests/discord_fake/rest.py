"""REST plumbing (recording, fault injection, routing, auth) and the routes for login, users,
the application, command sync, channels and messages."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import BodyPartReader, web

from tests.discord_fake.constants import (
    ATTACH_FILES,
    CANNOT_EDIT_OTHERS,
    INVALID_FORM_BODY,
    INVALID_JSON,
    MANAGE_MESSAGES,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    NON_TEXT_CHANNEL,
    NOT_FOUND,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    UNAUTHORIZED,
    UNKNOWN_CHANNEL,
    UNKNOWN_MESSAGE,
    UNKNOWN_USER,
    VIEW_CHANNEL,
    Json,
)
from tests.discord_fake.limits import (
    FormErrors,
    check_commands,
    error_reply,
)
from tests.discord_fake.model import FakeChannel
from tests.discord_fake.state import Hold, RecordedFile, RecordedRequest, Reply, path_pattern
from tests.discord_fake.store import MessageStore


class _InvalidJson:
    """Marker for a body that was not JSON."""


_INVALID_JSON = _InvalidJson()


class RestRoutes(MessageStore):
    """Every REST call goes through _api: recorded, faults applied, routed, answered."""

    async def _api(self, request: web.Request) -> web.StreamResponse:
        record = await self._record(request)
        held = self._hold_for(record)
        if held is not None and not held.after_create:
            await held.wait(record)
        handler, needs_auth = self._match(record)
        fault = next(
            (f for f in reversed(self.faults) if f.applies(record.method, record.path)), None
        )
        if fault is not None:
            fault.hits += 1
        delay = self.latency + (fault.delay if fault else 0.0)
        if delay:
            await asyncio.sleep(delay)
        if fault is not None and fault.status is not None:
            reply = Reply(fault.status, fault.body, dict(fault.headers))
        elif record.json is _INVALID_JSON:
            reply = error_reply(INVALID_JSON)
        elif handler is None:
            self.unhandled.append(record)
            reply = error_reply(NOT_FOUND)
        elif (
            needs_auth
            and self.token is not None
            and record.headers.get("Authorization") != f"Bot {self.token}"
        ):
            reply = error_reply(UNAUTHORIZED)
        else:
            reply = await self._handle(handler, record)
        record.status, record.response = reply.status, copy.deepcopy(reply.body)  # as sent
        record.index = len(self.requests)
        self.requests.append(record)
        await self._notify()
        if held is not None and held.after_create:
            await held.wait(record)  # handled and recorded; only the answer is withheld
        if reply.status == 204 or reply.body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        # Exactly "application/json": discord.py parses nothing else (no "; charset=").
        headers = {"Content-Type": "application/json", **reply.headers}
        return web.Response(
            body=json.dumps(reply.body).encode(), status=reply.status, headers=headers
        )

    def _hold_for(self, record: RecordedRequest) -> Hold | None:
        """The hold that catches this request; every hold counts it (see Hold.catches)."""
        caught = [held for held in self.holds if held.catches(record.method, record.path)]
        return caught[0] if caught else None

    async def _handle(self, handler: Callable[..., Any], record: RecordedRequest) -> Reply:
        try:
            reply: Reply = await handler(record, **record.params)
        except Exception as exc:  # a FakeDiscord bug: fail the test, fast
            self.errors.append(exc)
            # 503, not 500: discord.py retries 500 five times with 1-9 s sleeps.
            return Reply(503, {"message": f"FakeDiscord failed: {exc!r}", "code": 0})
        return reply

    async def _record(self, request: web.Request) -> RecordedRequest:
        record = RecordedRequest(
            index=-1,
            method=request.method,
            path="/" + request.match_info["tail"],
            query=dict(request.query),
            headers=dict(request.headers),
        )
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if isinstance(part, BodyPartReader):
                    await self._record_part(record, part)
        elif request.can_read_body:
            text = await request.text()
            try:
                record.json = json.loads(text) if text else None
            except ValueError:
                record.json = _INVALID_JSON
        return record

    async def _record_part(self, record: RecordedRequest, part: BodyPartReader) -> None:
        data = await part.read(decode=False)
        if part.name == "payload_json":
            record.json = json.loads(data)
        elif part.filename is not None:
            content_type = part.headers.get("Content-Type")
            record.files.append(
                RecordedFile(part.name or "", part.filename, content_type, bytes(data))
            )
        else:
            record.form[part.name or ""] = bytes(data).decode()

    def _match(self, record: RecordedRequest) -> tuple[Callable[..., Any] | None, bool]:
        for method, template, handler, needs_auth in self._routes:
            if method != record.method:
                continue
            found = path_pattern(template).match(record.path)
            if found:
                record.route, record.params = template, found.groupdict()
                return handler, needs_auth
        return None, False

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        data = self.attachments.get(int(request.match_info["attachment_id"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    # REST: login, gateway, users, application, commands

    async def _get_gateway(self, record: RecordedRequest) -> Reply:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return Reply(body={"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _get_me(self, record: RecordedRequest) -> Reply:
        me = {
            **self.bot_user.payload(),
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
            "locale": "en-US",
        }
        return Reply(body=me)

    async def _get_user(self, record: RecordedRequest, user_id: str) -> Reply:
        user = self.users.get(int(user_id)) if user_id.isdigit() else None
        return Reply(body=user.payload()) if user else error_reply(UNKNOWN_USER)

    async def _create_dm(self, record: RecordedRequest) -> Reply:
        recipient = str((record.json or {}).get("recipient_id", ""))
        user = self.users.get(int(recipient)) if recipient.isdigit() else None
        if user is None:
            return error_reply(UNKNOWN_USER)
        return Reply(body=(await self._dm_channel(user)).payload())

    async def _get_application(self, record: RecordedRequest) -> Reply:
        return Reply(
            body={
                "id": str(self.application_id),
                "name": self.bot_user.username,
                "icon": None,
                "description": "",
                "summary": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": self.owner.payload(),
                "team": None,
                "flags": 0,
                "bot": self.bot_user.payload(),
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "tags": [],
            }
        )

    async def _get_commands(
        self, record: RecordedRequest, application_id: str, guild_id: str | None = None
    ) -> Reply:
        if application_id != str(self.application_id):
            return error_reply(MISSING_ACCESS)
        return Reply(body=self.commands.get(int(guild_id) if guild_id else None, []))

    async def _put_commands(
        self, record: RecordedRequest, application_id: str, guild_id: str | None = None
    ) -> Reply:
        if application_id != str(self.application_id):
            return error_reply(MISSING_ACCESS)
        if guild_id is not None and self.find_guild(int(guild_id)) is None:
            return error_reply(MISSING_ACCESS)  # what Discord says for a guild the bot is not in
        errors = FormErrors()
        check_commands(record.json, errors)
        if errors:
            return error_reply(INVALID_FORM_BODY, errors)
        scope = int(guild_id) if guild_id else None
        previous = {(c.get("type", 1), c["name"]): c["id"] for c in self.commands.get(scope, [])}
        stored = [self._stored_command(c, previous, scope) for c in record.json]
        self.commands[scope] = stored
        return Reply(body=stored)

    def _stored_command(
        self, command: Json, previous: Mapping[tuple[int, str], str], scope: int | None
    ) -> Json:
        kind = command.get("type", 1)
        stored = {
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
            **command,
            "id": previous.get((kind, command["name"])) or str(self.snowflakes.next()),
            "application_id": str(self.application_id),
            "type": kind,
            "version": str(self.snowflakes.next()),
        }
        if stored["default_member_permissions"] is not None:  # sent as int, answered as string
            stored["default_member_permissions"] = str(stored["default_member_permissions"])
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    # REST: channels and messages

    def _channel_access(
        self, channel_id: str, *, send: bool = False, files: bool = False
    ) -> Reply | FakeChannel:
        channel, guild = (
            self.find_channel(int(channel_id)) if channel_id.isdigit() else (None, None)
        )
        if channel is None:
            return error_reply(UNKNOWN_CHANNEL)
        if guild is None or not self.enforce_permissions:
            return channel
        perms = guild.permissions_for(self.bot_user.id, guild.bot_role_ids, channel)
        if not perms & VIEW_CHANNEL:
            return error_reply(MISSING_ACCESS)
        if send and not channel.is_text:
            return error_reply(NON_TEXT_CHANNEL)
        if send and not perms & SEND_MESSAGES:
            return error_reply(MISSING_PERMISSIONS)
        if files and not perms & ATTACH_FILES:
            return error_reply(MISSING_PERMISSIONS)
        return channel

    async def _get_channel(self, record: RecordedRequest, channel_id: str) -> Reply:
        access = self._channel_access(channel_id)
        if isinstance(access, Reply):
            return access
        _, guild = self.find_channel(access.id)
        return Reply(body=access.payload(guild.id if guild else None))

    async def _typing(self, record: RecordedRequest, channel_id: str) -> Reply:
        access = self._channel_access(channel_id, send=True)
        return access if isinstance(access, Reply) else Reply(204)

    async def _history(self, record: RecordedRequest, channel_id: str) -> Reply:
        access = self._channel_access(channel_id)
        if isinstance(access, Reply):
            return access
        limit = int(record.query.get("limit", 50))
        if not 1 <= limit <= 100:
            errors = FormErrors()
            errors.add(["limit"], "NUMBER_TYPE_MAX", "Must be between 1 and 100.")
            return error_reply(INVALID_FORM_BODY, errors)
        if not self._may_read_history(access):
            return Reply(body=[])  # what Discord answers without Read Message History
        return Reply(body=self._history_page(access.id, record.query, limit))

    def _may_read_history(self, channel: FakeChannel) -> bool:
        _, guild = self.find_channel(channel.id)
        if guild is None or not self.enforce_permissions:
            return True
        perms = guild.permissions_for(self.bot_user.id, guild.bot_role_ids, channel)
        return bool(perms & READ_MESSAGE_HISTORY)

    async def _create_message(self, record: RecordedRequest, channel_id: str) -> Reply:
        access = self._channel_access(channel_id, send=True, files=bool(record.files))
        if isinstance(access, Reply):
            return access
        body = record.json or {}
        if refused := self._refused_message(body, record.files, new=True, nonce=True):
            return refused
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            existing = self._message_for_nonce(access.id, self.bot_user.id, nonce)
            if existing is not None:  # Discord creates nothing and sends no MESSAGE_CREATE
                self.deduplicated.append(record)
                return Reply(body=existing)
        message = self._new_message(access.id, body, record.files, author=self.bot_user)
        created = self._remember_nonce(message, nonce)
        await self._echo("MESSAGE_CREATE", created)
        return Reply(body=created)

    def _channel_message(self, channel_id: str, message_id: str) -> Json | None:
        message = self.messages.get(int(message_id)) if message_id.isdigit() else None
        return message if message is not None and message["channel_id"] == channel_id else None

    def _found_message(self, channel_id: str, message_id: str) -> Reply | tuple[FakeChannel, Json]:
        """The channel (if the bot may see it) and the message in it, or the error to answer."""
        access = self._channel_access(channel_id)
        if isinstance(access, Reply):
            return access
        message = self._channel_message(channel_id, message_id)
        return error_reply(UNKNOWN_MESSAGE) if message is None else (access, message)

    async def _get_message(
        self, record: RecordedRequest, channel_id: str, message_id: str
    ) -> Reply:
        found = self._found_message(channel_id, message_id)
        return found if isinstance(found, Reply) else Reply(body=found[1])

    async def _edit_message(
        self, record: RecordedRequest, channel_id: str, message_id: str
    ) -> Reply:
        found = self._found_message(channel_id, message_id)
        if isinstance(found, Reply):
            return found
        _, message = found
        if message["author"]["id"] != str(self.bot_user.id):
            return error_reply(CANNOT_EDIT_OTHERS)
        if refused := self._refused_message(record.json or {}, record.files, new=False):
            return refused
        updated = self._update_message(message, record.json or {}, record.files)
        await self._echo("MESSAGE_UPDATE", updated)
        return Reply(body=updated)

    async def _delete_message(
        self, record: RecordedRequest, channel_id: str, message_id: str
    ) -> Reply:
        found = self._found_message(channel_id, message_id)
        if isinstance(found, Reply):
            return found
        access, message = found
        _, guild = self.find_channel(access.id)
        perms = guild.permissions_for(self.bot_user.id, guild.bot_role_ids, access) if guild else 0
        mine = message["author"]["id"] == str(self.bot_user.id)
        if (
            not mine
            and guild is not None
            and self.enforce_permissions
            and not perms & MANAGE_MESSAGES
        ):
            return error_reply(MISSING_PERMISSIONS)
        self._remove_message(message)
        await self._echo("MESSAGE_DELETE", {"id": message["id"], "channel_id": channel_id})
        return Reply(204)
