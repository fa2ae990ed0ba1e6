"""The world the bot sees: users, roles, channel overwrites, channels and guilds, with Discord's
permission algorithm and the payloads the gateway and REST API send for them."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.discord_fake.constants import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    BOT_PERMISSIONS,
    CATEGORY_CHANNEL,
    DISCORD_EPOCH_MS,
    DM_CHANNEL,
    EVERYONE_PERMISSIONS,
    GUILD_ID,
    MANAGE_CHANNELS,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    NEWS_CHANNEL,
    OWNER_ID,
    SEND_MESSAGES,
    TEXT_CHANNEL,
    VIEW_CHANNEL,
    VOICE_CHANNEL,
    Json,
)


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
        return by_id_or_name(self.channels, key, f"channel {key!r} in guild {self.name!r}")

    def role(self, key: int | str) -> FakeRole:
        return by_id_or_name(self.roles, key, f"role {key!r} in guild {self.name!r}")

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


def by_id_or_name(items: Sequence[Any], key: int | str, what: str) -> Any:
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
