"""A loopback Discord API for bot tests: the real discord.py client, real sockets, only 127.0.0.1.

FakeDiscord speaks enough of Discord's REST API (v10) and gateway (JSON, optionally zlib-stream
compressed, as discord.py asks by default) for a bot to log in, receive READY and GUILD_CREATE,
sync application commands, answer interactions (callbacks, @original, follow-ups) and post to
channels with files. Every REST call and gateway op is recorded; tests drive the bot like a user
(dispatch_slash_command / dispatch_autocomplete / dispatch_component) and await its replies.

Discord's own rules are applied where a bot can get them wrong: message and embed size limits,
empty messages, command name rules, 25 autocomplete choices, channel permissions (403 50001 /
50013), double acknowledgement (40060), follow-ups before acknowledging (10015). Faults (any
status and error code, 429 with retry_after, latency) can be injected per route.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import importlib
import json
import re
import secrets
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote

from aiohttp import BodyPartReader, WSMsgType, web

T = TypeVar("T")
Json = dict[str, Any]

HOST = "127.0.0.1"
API_VERSION = 10
DISCORD_EPOCH_MS = 1_420_070_400_000
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
DEFAULT_TOKEN = "test-token"

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | READ_MESSAGE_HISTORY
    | EMBED_LINKS
    | ATTACH_FILES
    | ADD_REACTIONS
    | USE_APPLICATION_COMMANDS
)
BOT_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
) | SEND_MESSAGES_IN_THREADS

# Gateway intents that matter here.
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Message flags and interaction types.
EPHEMERAL = 1 << 6
LOADING = 1 << 7
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
TEXT_CHANNEL, DM_CHANNEL, VOICE_CHANNEL, CATEGORY_CHANNEL, NEWS_CHANNEL = 0, 1, 2, 4, 5

# Fixed ids keep failures readable; everything created at run time gets a real snowflake.
OWNER_ID = 1_200_000_000_000_000_100
APPLICATION_ID = 1_200_000_000_000_000_200  # the bot user shares the application's id
GUILD_ID = 1_200_000_000_000_001_000


class ApiError(NamedTuple):
    """A Discord JSON error: HTTP status, Discord error code, message."""

    status: int
    code: int
    message: str

    def body(self, errors: Json | None = None) -> Json:
        body: Json = {"message": self.message, "code": self.code}
        if errors:
            body["errors"] = errors
        return body


UNAUTHORIZED = ApiError(401, 0, "401: Unauthorized")
NOT_FOUND = ApiError(404, 0, "404: Not Found")
SERVER_ERROR = ApiError(500, 0, "500: Internal Server Error")
UNKNOWN_CHANNEL = ApiError(404, 10003, "Unknown Channel")
UNKNOWN_GUILD = ApiError(404, 10004, "Unknown Guild")
UNKNOWN_MESSAGE = ApiError(404, 10008, "Unknown Message")
UNKNOWN_USER = ApiError(404, 10013, "Unknown User")
UNKNOWN_WEBHOOK = ApiError(404, 10015, "Unknown Webhook")
UNKNOWN_INTERACTION = ApiError(404, 10062, "Unknown interaction")
ENTITY_TOO_LARGE = ApiError(413, 40005, "Request entity too large")
ALREADY_ACKNOWLEDGED = ApiError(400, 40060, "Interaction has already been acknowledged.")
MISSING_ACCESS = ApiError(403, 50001, "Missing Access")
CANNOT_EDIT_OTHERS = ApiError(403, 50005, "Cannot edit a message authored by another user")
EMPTY_MESSAGE = ApiError(400, 50006, "Cannot send an empty message")
CANNOT_DM_USER = ApiError(403, 50007, "Cannot send messages to this user")
NON_TEXT_CHANNEL = ApiError(400, 50008, "Cannot send messages in a non-text channel")
MISSING_PERMISSIONS = ApiError(403, 50013, "Missing Permissions")
INVALID_FORM_BODY = ApiError(400, 50035, "Invalid Form Body")
INVALID_JSON = ApiError(400, 50109, "The request body contains invalid JSON.")


class Snowflakes:
    """Unique, increasing snowflakes whose timestamps are now (discord.py derives times)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        now = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(now, self._last + 1)
        return self._last


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


# --- the world the bot sees -------------------------------------------------------------------


@dataclass
class FakeUser:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    def payload(self) -> Json:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False

    def payload(self) -> Json:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": self.managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass
class Overwrite:
    """A channel permission overwrite; type 0 is a role, 1 a member."""

    id: int
    type: int = 0
    allow: int = 0
    deny: int = 0

    def payload(self) -> Json:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class FakeChannel:
    id: int
    name: str
    type: int = TEXT_CHANNEL
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient: FakeUser | None = None  # DM channels only

    def payload(self, guild_id: int | None = None) -> Json:
        if self.type == DM_CHANNEL:
            recipients = [self.recipient.payload()] if self.recipient else []
            return {"id": str(self.id), "type": DM_CHANNEL, "recipients": recipients}
        data: Json = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "parent_id": None if self.parent_id is None else str(self.parent_id),
            "permission_overwrites": [o.payload() for o in self.overwrites],
            "nsfw": False,
            "flags": 0,
        }
        if self.type in (TEXT_CHANNEL, NEWS_CHANNEL):
            data.update(topic=self.topic, rate_limit_per_user=0, last_message_id=None)
        if self.type == VOICE_CHANNEL:
            data.update(bitrate=64000, user_limit=0, rtc_region=None, last_message_id=None)
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data

    @property
    def is_text(self) -> bool:
        return self.type in (TEXT_CHANNEL, DM_CHANNEL, NEWS_CHANNEL, VOICE_CHANNEL)


@dataclass
class FakeGuild:
    """A guild; roles must include @everyone (id == guild id). member_roles maps user ids to
    their role ids (the bot's are bot_role_ids); GUILD_CREATE lists only the bot as a member."""

    id: int
    name: str
    owner_id: int
    roles: list[FakeRole]
    channels: list[FakeChannel]
    bot_role_ids: list[int] = field(default_factory=list)
    member_roles: dict[int, list[int]] = field(default_factory=dict)
    member_count: int = 2

    def channel(self, key: int | str) -> FakeChannel:
        return _lookup(self.channels, key, f"channel {key!r} in guild {self.name!r}")

    def role(self, key: int | str) -> FakeRole:
        return _lookup(self.roles, key, f"role {key!r} in guild {self.name!r}")

    def find_channel(self, channel_id: int) -> FakeChannel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def permissions_for(
        self, user_id: int, role_ids: Sequence[int], channel: FakeChannel | None
    ) -> int:
        """Discord's permission algorithm: base from roles, then channel overwrites."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        roles = {r.id: r for r in self.roles}
        base = roles[self.id].permissions if self.id in roles else 0
        for role_id in role_ids:
            base |= roles[role_id].permissions if role_id in roles else 0
        if base & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None:
            return base
        by_target = {(o.type, o.id): o for o in channel.overwrites}
        if everyone := by_target.get((0, self.id)):
            base = (base & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in role_ids:
            if role_overwrite := by_target.get((0, role_id)):
                allow, deny = allow | role_overwrite.allow, deny | role_overwrite.deny
        base = (base & ~deny) | allow
        if member := by_target.get((1, user_id)):
            base = (base & ~member.deny) | member.allow
        return base

    def member_payload(self, user: FakeUser, role_ids: Sequence[int]) -> Json:
        return {
            "user": user.payload(),
            "roles": [str(r) for r in role_ids],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "nick": None,
            "avatar": None,
            "flags": 0,
            "communication_disabled_until": None,
        }

    def create_payload(self, bot_user: FakeUser) -> Json:
        """The GUILD_CREATE body: the guild, its channels and roles, and the bot as member."""
        return {
            "id": str(self.id),
            "name": self.name,
            "owner_id": str(self.owner_id),
            "icon": None,
            "splash": None,
            "banner": None,
            "description": None,
            "features": [],
            "roles": [r.payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "channels": [c.payload() for c in self.channels],
            "threads": [],
            "members": [self.member_payload(bot_user, self.bot_role_ids)],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "member_count": self.member_count,
            "large": False,
            "unavailable": False,
            "joined_at": "2026-01-01T00:00:00+00:00",
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
        }


def _lookup(items: Sequence[Any], key: int | str, what: str) -> Any:
    for item in items:
        if item.id == key or item.name == key:
            return item
    raise KeyError(f"no {what}")


def sample_guild(guild_id: int = GUILD_ID, name: str = "Sitrep HQ") -> FakeGuild:
    """A small analyst server: #general and #digest (bot may post), #read-only (bot may read,
    not send), #mods-only (bot cannot see); roles @everyone, Admins (Manage Server), Sitrep."""
    everyone = FakeRole(guild_id, "@everyone", EVERYONE_PERMISSIONS)
    admins = FakeRole(guild_id + 1, "Admins", MANAGE_GUILD | MANAGE_CHANNELS | MANAGE_MESSAGES, 2)
    bot_role = FakeRole(guild_id + 2, "Sitrep", BOT_PERMISSIONS, 1, managed=True)
    category = FakeChannel(guild_id + 10, "intel", CATEGORY_CHANNEL)
    channels = [
        category,
        FakeChannel(guild_id + 11, "general", position=0),
        FakeChannel(guild_id + 12, "digest", position=1, parent_id=category.id),
        FakeChannel(
            guild_id + 13,
            "read-only",
            position=2,
            overwrites=[Overwrite(bot_role.id, deny=SEND_MESSAGES)],
        ),
        FakeChannel(
            guild_id + 14,
            "mods-only",
            position=3,
            overwrites=[
                Overwrite(guild_id, deny=VIEW_CHANNEL),
                Overwrite(admins.id, allow=VIEW_CHANNEL),
            ],
        ),
        FakeChannel(guild_id + 15, "Briefing", VOICE_CHANNEL, position=4),
    ]
    return FakeGuild(
        id=guild_id,
        name=name,
        owner_id=OWNER_ID,
        roles=[everyone, admins, bot_role],
        channels=channels,
        bot_role_ids=[bot_role.id],
    )


# --- validation: the limits Discord enforces ----------------------------------------------------


class FormErrors:
    """Collects errors in Discord's nested "Invalid Form Body" shape."""

    def __init__(self) -> None:
        self.tree: Json = {}

    def add(self, path: Sequence[str | int], code: str, message: str) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: Sequence[str | int], value: Any, limit: int) -> int:
        text = "" if value is None else str(value)
        if len(text) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
        return len(text)

    def length_between(self, path: Sequence[str | int], value: Any, low: int, high: int) -> None:
        if not isinstance(value, str) or not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def __bool__(self) -> bool:
        return bool(self.tree)


def check_message(payload: Mapping[str, Any], errors: FormErrors) -> None:
    errors.max_length(["content"], payload.get("content"), 2000)
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        errors.add(["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = sum(_check_embed(embed, ["embeds", i], errors) for i, embed in enumerate(embeds))
    if total > 6000:
        errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _check_embed(embed: Mapping[str, Any], path: list[str | int], errors: FormErrors) -> int:
    size = errors.max_length([*path, "title"], embed.get("title"), 256)
    size += errors.max_length([*path, "description"], embed.get("description"), 4096)
    size += errors.max_length(
        [*path, "footer", "text"], (embed.get("footer") or {}).get("text"), 2048
    )
    size += errors.max_length(
        [*path, "author", "name"], (embed.get("author") or {}).get("name"), 256
    )
    url = embed.get("url")
    if url is not None and not str(url).startswith(("http://", "https://")):
        errors.add([*path, "url"], "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errors.add([*path, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, embed_field in enumerate(fields):
        for key, limit in (("name", 256), ("value", 1024)):
            value = embed_field.get(key)
            if value is None or not str(value).strip():
                errors.add(
                    [*path, "fields", i, key], "BASE_TYPE_REQUIRED", "This field is required"
                )
            size += errors.max_length([*path, "fields", i, key], value, limit)
    return size


def is_empty_message(payload: Mapping[str, Any], files: Sequence[RecordedFile]) -> bool:
    parts = ("embeds", "components", "sticker_ids", "poll", "attachments")
    return not (payload.get("content") or files or any(payload.get(k) for k in parts))


COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def check_commands(commands: Any, errors: FormErrors) -> None:
    if not isinstance(commands, list):
        errors.add([], "BASE_TYPE_LIST", "Must be a list.")
        return
    seen: set[tuple[Any, Any]] = set()
    for i, command in enumerate(commands):
        if not isinstance(command, dict):
            errors.add([i], "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
            continue
        kind, name = command.get("type", 1), command.get("name")
        if (kind, name) in seen:
            errors.add([i, "name"], "APPLICATION_COMMANDS_DUPLICATE_NAME", "Names must be unique")
        seen.add((kind, name))
        if kind == 1:
            _check_named(command, [i], errors)
        else:
            errors.length_between([i, "name"], name, 1, 32)
        _check_options(command.get("options") or [], [i, "options"], errors)


def _check_named(item: Mapping[str, Any], path: list[str | int], errors: FormErrors) -> None:
    name = item.get("name")
    if not isinstance(name, str) or not COMMAND_NAME.match(name) or name != name.lower():
        errors.add([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {name!r}")
    errors.length_between([*path, "description"], item.get("description"), 1, 100)


def _check_options(options: list[Json], path: list[str | int], errors: FormErrors) -> None:
    if len(options) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    for i, option in enumerate(options):
        _check_named(option, [*path, i], errors)
        if option.get("type") in (1, 2):
            _check_options(option.get("options") or [], [*path, i, "options"], errors)
            continue
        if option.get("required") and seen_optional:
            errors.add(
                [*path, i, "required"],
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            )
        seen_optional = seen_optional or not option.get("required")
        check_choices(option.get("choices") or [], [*path, i, "choices"], errors)


def check_choices(choices: Sequence[Json], path: list[str | int], errors: FormErrors) -> None:
    if len(choices) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        errors.length_between([*path, i, "name"], choice.get("name"), 1, 100)
        if isinstance(choice.get("value"), str):
            errors.max_length([*path, i, "value"], choice["value"], 100)


MENTION = re.compile(r"<@(?P<kind>[!&]?)(?P<id>\d+)>|@(?P<mass>everyone|here)")


def pings(payload: Mapping[str, Any]) -> list[str]:
    """Who a message would notify once Discord applies allowed_mentions (absent: everything).

    Returns entries like "@everyone", "@here", "user:<id>", "role:<id>"; [] means silent."""
    allowed = payload.get("allowed_mentions")
    parse = {"everyone", "users", "roles"} if allowed is None else set(allowed.get("parse", []))
    users = {str(u) for u in (allowed or {}).get("users", [])}
    roles = {str(r) for r in (allowed or {}).get("roles", [])}
    found: list[str] = []
    for match in MENTION.finditer(str(payload.get("content") or "")):
        if match["mass"]:
            if "everyone" in parse:
                found.append("@" + match["mass"])
        elif match["kind"] == "&":
            if "roles" in parse or match["id"] in roles:
                found.append(f"role:{match['id']}")
        elif "users" in parse or match["id"] in users:
            found.append(f"user:{match['id']}")
    return found


# --- recording ----------------------------------------------------------------------------------


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


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def error_reply(error: ApiError, errors: FormErrors | None = None) -> Reply:
    return Reply(error.status, error.body(errors.tree if errors else None))


# --- gateway ------------------------------------------------------------------------------------


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


# --- the server ---------------------------------------------------------------------------------


class FakeDiscord:
    """Discord's REST API and gateway on 127.0.0.1, recording everything the bot does."""

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
    ) -> None:
        self.guilds: list[FakeGuild] = list(guilds) if guilds is not None else [sample_guild()]
        self.token = token  # None accepts any token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.enforce_permissions = enforce_permissions
        self.ack_deadline = ack_deadline  # seconds; Discord's is 3.0
        self.disallowed_intents = disallowed_intents  # privileged intents not enabled (-> 4014)
        self.echo_message_events = echo_message_events
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
        self.commands: dict[int | None, list[Json]] = {}  # guild id (None: global) -> commands
        self.messages: dict[int, Json] = {}
        self.deleted_messages: dict[int, Json] = {}
        self.attachments: dict[int, bytes] = {}
        self.dm_channels: dict[int, FakeChannel] = {}
        self.interactions: dict[str, InteractionState] = {}
        self.port = 0
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._routes = self._route_table()

    # lifecycle and addresses

    async def start(self) -> None:
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_get("/resume/", self._gateway)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._cdn)
        app.router.add_route("*", "/api/v{version:\\d+}/{tail:.*}", self._api)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.2
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for connection in self.connections:
            if not connection.ws.closed:
                await connection.ws.close(code=1001, message=b"server stopping")
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

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

    def clear_faults(self) -> None:
        self.faults.clear()

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

    @property
    def identifies(self) -> list[Json]:
        return [op.data for op in self.gateway_ops if op.op == 2]

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

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

    # driving the bot like a user

    async def dispatch_slash_command(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        **where: Any,
    ) -> SentInteraction:
        """A user runs /command (spaces for subcommands: "feeds add", "admin feeds add").

        Option types come from the synced command (else from the Python value); users, roles
        and channels (FakeUser/FakeRole/FakeChannel or ids) are put in data.resolved.
        `where`: user, guild, channel, roles, permissions, dm, locale (see dispatch_interaction)."""
        data = self._command_data(command, options or {}, focused=None, **where)
        return await self.dispatch_interaction(APPLICATION_COMMAND, data, **where)

    async def dispatch_autocomplete(
        self,
        command: str,
        options: Mapping[str, Any],
        focused: str,
        **where: Any,
    ) -> SentInteraction:
        """A user is typing option `focused` of /command; its value is the partial text."""
        data = self._command_data(command, options, focused=focused, **where)
        return await self.dispatch_interaction(AUTOCOMPLETE, data, **where)

    async def dispatch_component(
        self,
        message_id: int | str,
        custom_id: str,
        *,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        **where: Any,
    ) -> SentInteraction:
        """A user clicks a button (or picks select values) on a message the bot sent."""
        message = self.messages.get(int(message_id))
        if message is None:
            raise KeyError(f"no message {message_id} on the server")
        data: Json = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        where.setdefault("channel", int(message["channel_id"]))
        return await self.dispatch_interaction(MESSAGE_COMPONENT, data, message=message, **where)

    async def dispatch_modal_submit(
        self, custom_id: str, fields: Mapping[str, str], **where: Any
    ) -> SentInteraction:
        """A user submits a modal; fields maps text input custom_ids to values."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in fields.items()
        ]
        return await self.dispatch_interaction(
            MODAL_SUBMIT, {"custom_id": custom_id, "components": rows}, **where
        )

    async def dispatch_interaction(
        self,
        interaction_type: int,
        data: Json,
        *,
        user: FakeUser | None = None,
        guild: FakeGuild | int | None = None,
        channel: FakeChannel | int | str | None = None,
        roles: Sequence[int] | None = None,
        permissions: int | None = None,
        dm: bool = False,
        locale: str = "en-US",
        message: Json | None = None,
    ) -> SentInteraction:
        """Send INTERACTION_CREATE from `user` (default "analyst") in `guild` (default the first)
        and `channel` (default the first text channel) or in a DM. member.permissions is
        computed from roles and overwrites unless `permissions` is given (e.g. MANAGE_GUILD)."""
        user = user or self.user("analyst")
        interaction_id = self.snowflakes.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: Json = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        if dm:
            fake_channel = await self._dm_channel(user)
            payload.update(
                channel_id=str(fake_channel.id),
                channel=fake_channel.payload(),
                user=user.payload(),
                context=1,
                authorizing_integration_owners={"0": str(self.owner.id)},
                app_permissions=str(BOT_PERMISSIONS),
            )
            guild_id = None
        else:
            fake_guild, fake_channel = self._where(guild, channel)
            member_roles = list(
                roles if roles is not None else fake_guild.member_roles.get(user.id, [])
            )
            if permissions is None:
                permissions = fake_guild.permissions_for(user.id, member_roles, fake_channel)
            app_permissions = fake_guild.permissions_for(
                self.bot_user.id, fake_guild.bot_role_ids, fake_channel
            )
            member = {
                **fake_guild.member_payload(user, member_roles),
                "permissions": str(permissions),
            }
            payload.update(
                guild_id=str(fake_guild.id),
                guild={"id": str(fake_guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                channel_id=str(fake_channel.id),
                channel={**fake_channel.payload(fake_guild.id), "permissions": str(permissions)},
                member=member,
                context=0,
                authorizing_integration_owners={"0": str(fake_guild.id)},
                app_permissions=str(app_permissions),
            )
            guild_id = fake_guild.id
        state = InteractionState(
            interaction_id,
            token,
            interaction_type,
            payload,
            asyncio.get_running_loop().time(),
            fake_channel.id,
            guild_id,
            clicked_message_id=None if message is None else int(message["id"]),
        )
        self.interactions[token] = state
        await self.send_dispatch("INTERACTION_CREATE", payload)
        return SentInteraction(self, state)

    async def dispatch_message(
        self,
        content: str,
        *,
        user: FakeUser | None = None,
        channel: FakeChannel | int | str | None = None,
    ) -> Json:
        """A user posts a message in a guild channel (MESSAGE_CREATE); returns the message."""
        user = user or self.user("analyst")
        fake_guild, fake_channel = self._where(None, channel)
        message = self._new_message(fake_channel.id, {"content": content}, [], author=user)
        event = {
            **message,
            "guild_id": str(fake_guild.id),
            "member": fake_guild.member_payload(user, fake_guild.member_roles.get(user.id, [])),
        }
        await self.send_dispatch("MESSAGE_CREATE", event)
        return message

    def _where(
        self, guild: FakeGuild | int | None, channel: FakeChannel | int | str | None
    ) -> tuple[FakeGuild, FakeChannel]:
        if isinstance(channel, int) and guild is None:
            found, owner = self.find_channel(channel)
            if found is not None and owner is not None:
                return owner, found
        fake_guild = guild if isinstance(guild, FakeGuild) else self.guild
        if isinstance(guild, int):
            fake_guild = _lookup(self.guilds, guild, f"guild {guild}")
        if channel is None:
            return fake_guild, next(c for c in fake_guild.channels if c.type == TEXT_CHANNEL)
        if isinstance(channel, FakeChannel):
            return fake_guild, channel
        return fake_guild, fake_guild.channel(channel)

    def _command_data(
        self,
        command: str,
        options: Mapping[str, Any],
        *,
        focused: str | None,
        guild: FakeGuild | int | None = None,
        dm: bool = False,
        **_: Any,
    ) -> Json:
        top, *path = command.split()
        guild_id = (
            None if dm else (guild.id if isinstance(guild, FakeGuild) else guild or self.guild.id)
        )
        registered, registered_in = self._registered_command(top, guild_id)
        schema = registered.get("options") or []
        for name in path:  # descend into subcommand groups / subcommands
            schema = next((o.get("options") or [] for o in schema if o["name"] == name), [])
        target = self.find_guild(guild_id) if guild_id is not None else None
        resolved: Json = {}
        leaf = [
            self._option(name, value, schema, resolved, name == focused, target)
            for name, value in options.items()
        ]
        self._check_required(command, schema, options, autocomplete=focused is not None)
        for depth, name in reversed(list(enumerate(path))):
            kind = 1 if depth == len(path) - 1 else 2
            leaf = [{"type": kind, "name": name, "options": leaf}]
        data: Json = {"id": registered["id"], "name": top, "type": 1, "options": leaf}
        if registered_in is not None:
            data["guild_id"] = str(registered_in)
        if resolved and focused is None:
            data["resolved"] = resolved
        return data

    def _registered_command(self, name: str, guild_id: int | None) -> tuple[Json, int | None]:
        for scope in (guild_id, None) if guild_id is not None else (None,):
            for command in self.commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return command, scope
        raise LookupError(
            f"/{name} was never synced (PUT .../commands) for guild {guild_id} or globally; "
            "Discord only sends interactions for registered commands. Sync the tree first."
        )

    def _check_required(
        self, command: str, schema: list[Json], options: Mapping[str, Any], *, autocomplete: bool
    ) -> None:
        known = {o["name"] for o in schema}
        unknown = set(options) - known
        if unknown:
            raise ValueError(
                f"/{command} has no option(s) {sorted(unknown)}; it has {sorted(known)}"
            )
        missing = [o["name"] for o in schema if o.get("required") and o["name"] not in options]
        if missing and not autocomplete:
            raise ValueError(f"/{command} needs required option(s) {missing}")

    def _option(
        self,
        name: str,
        value: Any,
        schema: list[Json],
        resolved: Json,
        focused: bool,
        guild: FakeGuild | None,
    ) -> Json:
        declared = next((o for o in schema if o["name"] == name), {})
        kind = declared.get("type") or _infer_option_type(value)
        option: Json = {"name": name, "type": kind}
        if focused:
            option.update(value=str(value), focused=True)
        elif kind in (6, 7, 8, 9):
            option["value"] = self._resolve(kind, value, resolved, guild or self.guild)
        else:
            option["value"] = value
        return option

    def _resolve(self, kind: int, value: Any, resolved: Json, guild: FakeGuild) -> str:
        """Put a user/channel/role option value (object, id or name) in `resolved`."""
        if isinstance(value, FakeChannel) or (kind == 7 and not isinstance(value, FakeUser)):
            channel = value if isinstance(value, FakeChannel) else guild.channel(value)
            perms = guild.permissions_for(self.bot_user.id, guild.bot_role_ids, channel)
            data = {**channel.payload(), "permissions": str(perms)}
            resolved.setdefault("channels", {})[str(channel.id)] = data
            return str(channel.id)
        is_role = isinstance(value, FakeRole) or any(value in (r.id, r.name) for r in guild.roles)
        if is_role and kind in (8, 9):
            role = value if isinstance(value, FakeRole) else guild.role(value)
            resolved.setdefault("roles", {})[str(role.id)] = role.payload()
            return str(role.id)
        user = value if isinstance(value, FakeUser) else self._known_user(value)
        member = guild.member_payload(user, guild.member_roles.get(user.id, []))
        member.pop("user")
        resolved.setdefault("users", {})[str(user.id)] = user.payload()
        resolved.setdefault("members", {})[str(user.id)] = {**member, "permissions": "0"}
        return str(user.id)

    def _known_user(self, key: int | str) -> FakeUser:
        found = self.users.get(key) if isinstance(key, int) else None
        found = found or next((u for u in self.users.values() if u.username == key), None)
        if found is None:
            raise KeyError(f"no user {key!r}; create it with server.user(name)")
        return found

    async def _dm_channel(self, user: FakeUser) -> FakeChannel:
        if user.id not in self.dm_channels:
            self.dm_channels[user.id] = FakeChannel(
                self.snowflakes.next(), "", DM_CHANNEL, recipient=user
            )
        return self.dm_channels[user.id]

    # REST: plumbing

    def _route_table(self) -> list[tuple[str, str, Callable[..., Any], bool]]:
        """(method, template, handler, needs bot auth); literal routes before {param} ones."""
        hook = "/webhooks/{application_id}/{token}"
        return [
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway, True),
            ("GET", "/users/@me", self._get_me, True),
            ("POST", "/users/@me/channels", self._create_dm, True),
            ("GET", "/users/{user_id}", self._get_user, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/applications/@me", self._get_application, True),
            ("GET", "/applications/{application_id}/commands", self._get_commands, True),
            ("PUT", "/applications/{application_id}/commands", self._put_commands, True),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._get_commands,
                True,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._put_commands,
                True,
            ),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback, False),
            ("GET", hook + "/messages/@original", self._get_hook_message, False),
            ("PATCH", hook + "/messages/@original", self._edit_hook_message, False),
            ("DELETE", hook + "/messages/@original", self._delete_hook_message, False),
            ("POST", hook, self._followup, False),
            ("GET", hook + "/messages/{message_id}", self._get_hook_message, False),
            ("PATCH", hook + "/messages/{message_id}", self._edit_hook_message, False),
            ("DELETE", hook + "/messages/{message_id}", self._delete_hook_message, False),
            ("GET", "/channels/{channel_id}", self._get_channel, True),
            ("GET", "/channels/{channel_id}/messages", self._history, True),
            ("POST", "/channels/{channel_id}/messages", self._create_message, True),
            ("POST", "/channels/{channel_id}/typing", self._typing, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message, True),
        ]

    async def _api(self, request: web.Request) -> web.StreamResponse:
        record = await self._record(request)
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
        if reply.status == 204 or reply.body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        # Exactly "application/json": discord.py parses nothing else (no "; charset=").
        headers = {"Content-Type": "application/json", **reply.headers}
        return web.Response(
            body=json.dumps(reply.body).encode(), status=reply.status, headers=headers
        )

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

    # REST: interactions

    async def _callback(self, record: RecordedRequest, interaction_id: str, token: str) -> Reply:
        state = self.interactions.get(token)
        if state is None or str(state.id) != interaction_id:
            return error_reply(UNKNOWN_INTERACTION)
        late = self.ack_deadline is not None and (
            asyncio.get_running_loop().time() - state.created > self.ack_deadline
        )
        if late:
            return error_reply(UNKNOWN_INTERACTION)
        if state.acked_type is not None:
            return error_reply(ALREADY_ACKNOWLEDGED)
        body = record.json or {}
        kind: Any = body.get("type")
        data: Json = body.get("data") or {}
        invalid = self._check_callback(kind, data, record.files)
        if invalid is not None:
            return invalid
        state.acked_type = kind = int(kind)
        message = self._callback_message(state, kind, data, record.files)
        if record.query.get("with_response", "").lower() not in ("1", "true"):
            return Reply(204)
        flags = int(message["flags"]) if message else 0
        callback: Json = {
            "id": str(state.id),
            "type": state.type,
            "response_message_loading": bool(flags & LOADING),
            "response_message_ephemeral": bool(flags & EPHEMERAL),
        }
        resource: Json = {"type": kind}
        if message is not None:
            callback["response_message_id"] = message["id"]
            resource["message"] = message
        return Reply(body={"interaction": callback, "resource": resource})

    def _check_callback(self, kind: Any, data: Json, files: Sequence[RecordedFile]) -> Reply | None:
        errors = FormErrors()
        if kind not in (1, 4, 5, 6, 7, 8, 9, 10, 12):
            errors.add(
                ["type"], "BASE_TYPE_CHOICES", f"Value must be one of valid types, not {kind!r}."
            )
        if kind in (4, 7):
            check_message(data, errors)
        if kind == 4 and not errors and is_empty_message(data, files):
            return error_reply(EMPTY_MESSAGE)
        if kind == 8:
            check_choices(data.get("choices") or [], ["data", "choices"], errors)
        if kind == 9:
            errors.length_between(["data", "title"], data.get("title"), 1, 45)
            errors.length_between(["data", "custom_id"], data.get("custom_id"), 1, 100)
        if kind in (4, 7) and self._too_large(files):
            return error_reply(ENTITY_TOO_LARGE)
        return error_reply(INVALID_FORM_BODY, errors) if errors else None

    def _callback_message(
        self, state: InteractionState, kind: int, data: Json, files: Sequence[RecordedFile]
    ) -> Json | None:
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) & EPHEMERAL
            payload = data if kind == 4 else {}
            message = self._interaction_message(
                state, payload, files, flags | (LOADING if kind == 5 else 0)
            )
            state.original_message_id = int(message["id"])
            return message
        if kind in (6, 7) and state.clicked_message_id in self.messages:
            state.original_message_id = state.clicked_message_id
            if kind == 7:
                return self._update_message(self.messages[state.clicked_message_id], data, files)
            return self.messages[state.clicked_message_id]
        return None

    def _interaction_message(
        self, state: InteractionState, payload: Json, files: Sequence[RecordedFile], flags: int
    ) -> Json:
        user_payload = (state.payload.get("member") or {}).get("user") or state.payload.get("user")
        message = self._new_message(
            state.channel_id,
            payload,
            files,
            author=self.bot_user,
            flags=flags,
            kind=20 if state.type in (APPLICATION_COMMAND, AUTOCOMPLETE) else 0,
        )
        message.update(
            webhook_id=str(self.application_id),
            application_id=str(self.application_id),
            interaction_metadata={
                "id": str(state.id),
                "type": state.type,
                "user": user_payload,
                "authorizing_integration_owners": state.payload.get(
                    "authorizing_integration_owners", {}
                ),
            },
        )
        state.message_ids.append(int(message["id"]))
        return message

    def _hook_state(self, application_id: str, token: str) -> InteractionState | None:
        return self.interactions.get(token) if application_id == str(self.application_id) else None

    async def _followup(self, record: RecordedRequest, application_id: str, token: str) -> Reply:
        state = self._hook_state(application_id, token)
        if state is None or state.acked_type is None:
            return error_reply(UNKNOWN_WEBHOOK)  # follow-ups only exist after acknowledging
        body = record.json or {}
        errors = FormErrors()
        check_message(body, errors)
        if errors:
            return error_reply(INVALID_FORM_BODY, errors)
        if is_empty_message(body, record.files):
            return error_reply(EMPTY_MESSAGE)
        if self._too_large(record.files):
            return error_reply(ENTITY_TOO_LARGE)
        original = self.messages.get(state.original_message_id or 0)
        if state.acked_type == 5 and original is not None and int(original["flags"]) & LOADING:
            # Discord: the first follow-up after a deferral replaces the "thinking" message.
            message = self._update_message(original, body, record.files, edited=False)
        else:
            flags = int(body.get("flags") or 0) & EPHEMERAL
            message = self._interaction_message(state, body, record.files, flags)
        if record.query.get("wait", "").lower() not in ("1", "true"):
            return Reply(204)
        return Reply(body=message)

    def _hook_message(
        self, state: InteractionState | None, message_id: str | None
    ) -> Json | ApiError:
        if state is None:
            return UNKNOWN_WEBHOOK
        wanted = state.original_message_id if message_id is None else int(message_id)
        in_scope = wanted is not None and (
            wanted in state.message_ids or wanted == state.original_message_id
        )
        message = self.messages.get(wanted or 0)
        return message if in_scope and message is not None else UNKNOWN_MESSAGE

    async def _get_hook_message(
        self,
        record: RecordedRequest,
        application_id: str,
        token: str,
        message_id: str | None = None,
    ) -> Reply:
        found = self._hook_message(self._hook_state(application_id, token), message_id)
        return error_reply(found) if isinstance(found, ApiError) else Reply(body=found)

    async def _edit_hook_message(
        self,
        record: RecordedRequest,
        application_id: str,
        token: str,
        message_id: str | None = None,
    ) -> Reply:
        found = self._hook_message(self._hook_state(application_id, token), message_id)
        if isinstance(found, ApiError):
            return error_reply(found)
        errors = FormErrors()
        check_message(record.json or {}, errors)
        if errors:
            return error_reply(INVALID_FORM_BODY, errors)
        was_loading = bool(int(found["flags"]) & LOADING)
        return Reply(
            body=self._update_message(
                found, record.json or {}, record.files, edited=not was_loading
            )
        )

    async def _delete_hook_message(
        self,
        record: RecordedRequest,
        application_id: str,
        token: str,
        message_id: str | None = None,
    ) -> Reply:
        found = self._hook_message(self._hook_state(application_id, token), message_id)
        if isinstance(found, ApiError):
            return error_reply(found)
        self._remove_message(found)
        return Reply(204)

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
        before, after = int(record.query.get("before", 1 << 63)), int(record.query.get("after", 0))
        found = [
            m
            for m in self.channel_messages(access.id)
            if after < int(m["id"]) < before and not int(m["flags"]) & EPHEMERAL
        ]
        return Reply(body=list(reversed(found))[:limit])

    async def _create_message(self, record: RecordedRequest, channel_id: str) -> Reply:
        access = self._channel_access(channel_id, send=True, files=bool(record.files))
        if isinstance(access, Reply):
            return access
        body = record.json or {}
        errors = FormErrors()
        check_message(body, errors)
        if errors:
            return error_reply(INVALID_FORM_BODY, errors)
        if is_empty_message(body, record.files):
            return error_reply(EMPTY_MESSAGE)
        if self._too_large(record.files):
            return error_reply(ENTITY_TOO_LARGE)
        message = self._new_message(access.id, body, record.files, author=self.bot_user)
        await self._echo("MESSAGE_CREATE", message)
        return Reply(body=message)

    def _channel_message(self, channel_id: str, message_id: str) -> Json | None:
        message = self.messages.get(int(message_id)) if message_id.isdigit() else None
        return message if message is not None and message["channel_id"] == channel_id else None

    async def _get_message(
        self, record: RecordedRequest, channel_id: str, message_id: str
    ) -> Reply:
        access = self._channel_access(channel_id)
        if isinstance(access, Reply):
            return access
        message = self._channel_message(channel_id, message_id)
        return Reply(body=message) if message else error_reply(UNKNOWN_MESSAGE)

    async def _edit_message(
        self, record: RecordedRequest, channel_id: str, message_id: str
    ) -> Reply:
        access = self._channel_access(channel_id)
        if isinstance(access, Reply):
            return access
        message = self._channel_message(channel_id, message_id)
        if message is None:
            return error_reply(UNKNOWN_MESSAGE)
        if message["author"]["id"] != str(self.bot_user.id):
            return error_reply(CANNOT_EDIT_OTHERS)
        errors = FormErrors()
        check_message(record.json or {}, errors)
        if errors:
            return error_reply(INVALID_FORM_BODY, errors)
        updated = self._update_message(message, record.json or {}, record.files)
        await self._echo("MESSAGE_UPDATE", updated)
        return Reply(body=updated)

    async def _delete_message(
        self, record: RecordedRequest, channel_id: str, message_id: str
    ) -> Reply:
        access = self._channel_access(channel_id)
        if isinstance(access, Reply):
            return access
        message = self._channel_message(channel_id, message_id)
        if message is None:
            return error_reply(UNKNOWN_MESSAGE)
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

    # messages: storage

    def _too_large(self, files: Sequence[RecordedFile]) -> bool:
        return len(files) > 10 or sum(len(f.data) for f in files) > ATTACHMENT_SIZE_LIMIT

    def _new_message(
        self,
        channel_id: int,
        payload: Json,
        files: Sequence[RecordedFile],
        *,
        author: FakeUser,
        flags: int = 0,
        kind: int = 0,
    ) -> Json:
        message_id = self.snowflakes.next()
        message: Json = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": kind,
            "author": author.payload(),
            "content": payload.get("content") or "",
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts", False)),
            "mention_everyone": "@everyone" in pings(payload) or "@here" in pings(payload),
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(channel_id, payload.get("attachments"), files, []),
            "embeds": [_normalise_embed(e) for e in payload.get("embeds") or []],
            "components": payload.get("components") or [],
            "pinned": False,
            "flags": flags | (int(payload.get("flags") or 0) & ~(EPHEMERAL | LOADING)),
        }
        self.messages[message_id] = message
        return message

    def _update_message(
        self, message: Json, payload: Json, files: Sequence[RecordedFile], *, edited: bool = True
    ) -> Json:
        for key in ("content", "components"):
            if key in payload:
                message[key] = (
                    payload[key] if payload[key] is not None else ("" if key == "content" else [])
                )
        if "embeds" in payload:
            message["embeds"] = [_normalise_embed(e) for e in payload["embeds"] or []]
        if "attachments" in payload or files:
            channel_id = int(message["channel_id"])
            message["attachments"] = self._attachments(
                channel_id, payload.get("attachments"), files, message["attachments"]
            )
        message["flags"] = int(message["flags"]) & ~LOADING
        if edited:
            message["edited_timestamp"] = iso_now()
        return message

    def _attachments(
        self,
        channel_id: int,
        entries: list[Json] | None,
        files: Sequence[RecordedFile],
        existing: list[Json],
    ) -> list[Json]:
        """payload attachments reference kept attachments by id and new files by index."""
        by_field = {f.field: f for f in files}
        kept = {a["id"]: a for a in existing}
        if entries is None:
            entries = [{"id": i} for i in range(len(files))]
            result = list(existing)
        else:
            result = []
        for entry in entries:
            if str(entry.get("id")) in kept:
                result.append(kept[str(entry["id"])])
                continue
            upload = by_field.get(f"files[{entry.get('id')}]")
            if upload is None:
                continue
            attachment_id = self.snowflakes.next()
            self.attachments[attachment_id] = upload.data
            filename = entry.get("filename") or upload.filename
            url = f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{quote(filename)}"
            result.append(
                {
                    "id": str(attachment_id),
                    "filename": filename,
                    "size": len(upload.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": upload.content_type,
                    "description": entry.get("description"),
                }
            )
        return result

    def _remove_message(self, message: Json) -> None:
        self.deleted_messages[int(message["id"])] = self.messages.pop(int(message["id"]))

    async def _echo(self, event: str, message: Json) -> None:
        """MESSAGE_* events as Discord sends them for the bot's own messages, if subscribed."""
        session = self.session
        if (
            not self.echo_message_events
            or session is None
            or int(message.get("flags", 0)) & EPHEMERAL
        ):
            return
        _, guild = self.find_channel(int(message["channel_id"]))
        intent = INTENT_GUILD_MESSAGES if guild else INTENT_DIRECT_MESSAGES
        if not session.identify.get("intents", 0) & intent:
            return
        data = dict(message)
        if guild is not None:
            data["guild_id"] = str(guild.id)
        await session.dispatch(event, data)


class _InvalidJson:
    """Marker for a body that was not JSON."""


_INVALID_JSON = _InvalidJson()


def _infer_option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    if isinstance(value, FakeUser):
        return 6
    if isinstance(value, FakeChannel):
        return 7
    if isinstance(value, FakeRole):
        return 8
    return 3


def _normalise_embed(embed: Json) -> Json:
    return {"type": "rich", **embed}


@dataclass
class SentInteraction:
    """Handle on a dispatched interaction: await what the bot did with it."""

    server: FakeDiscord
    state: InteractionState

    @property
    def id(self) -> int:
        return self.state.id

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def payload(self) -> Json:
        return self.state.payload

    def requests(self) -> list[RecordedRequest]:
        """Every request the bot made about this interaction (callback, @original, follow-ups)."""
        return [r for r in self.server.requests if self.token in r.path]

    async def callback(self, *, timeout: float = 5.0) -> RecordedRequest:
        """The interaction response (POST .../callback); .json["type"] is 4, 5, 6, 7, 8 or 9."""
        path = f"/interactions/{self.id}/{self.token}/callback"
        return await self.server.wait_for_request(method="POST", path=path, timeout=timeout)

    async def followup(self, index: int = 0, *, timeout: float = 5.0) -> RecordedRequest:
        """The index-th follow-up (POST /webhooks/{app}/{token})."""
        path = f"/webhooks/{self.server.application_id}/{self.token}"

        def nth() -> RecordedRequest | None:
            posts = self.server.requests_to("POST", path)
            return posts[index] if len(posts) > index else None

        return await self.server.wait_until(nth, timeout=timeout, what=f"follow-up #{index}")

    async def reply(self, *, timeout: float = 5.0) -> Json:
        """A snapshot of the response message as the user sees it, once it is no longer
        "thinking" (for a deferred response: after the first follow-up or @original edit)."""

        def ready() -> Json | None:
            message = self.server.messages.get(self.state.original_message_id or 0)
            return message if message is not None and not int(message["flags"]) & LOADING else None

        found = await self.server.wait_until(ready, timeout=timeout, what="the interaction's reply")
        return copy.deepcopy(found)

    @property
    def messages(self) -> list[Json]:
        """Messages created for this interaction still on the server, in order."""
        return [
            self.server.messages[i] for i in self.state.message_ids if i in self.server.messages
        ]
