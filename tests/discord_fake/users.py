"""Driving the bot like a user: slash commands, autocomplete, clicks, modals and messages sent as
INTERACTION_CREATE / MESSAGE_CREATE, and a handle to await what the bot did with each."""

from __future__ import annotations

import asyncio
import copy
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tests.discord_fake.base import ServerBase
from tests.discord_fake.constants import (
    APPLICATION_COMMAND,
    ATTACHMENT_SIZE_LIMIT,
    AUTOCOMPLETE,
    BOT_PERMISSIONS,
    LOADING,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    TEXT_CHANNEL,
    Json,
)
from tests.discord_fake.gateway import GatewayMixin
from tests.discord_fake.model import FakeChannel, FakeGuild, FakeRole, FakeUser, by_id_or_name
from tests.discord_fake.state import InteractionState, RecordedRequest
from tests.discord_fake.store import MessageStore


class UserActions(GatewayMixin, MessageStore):
    """What a user does in Discord, sent to the bot as gateway events."""

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
        nonce: str | int | None = None,
    ) -> Json:
        """A user posts a message in a guild channel (MESSAGE_CREATE); returns the message.
        Discord clients send a nonce too: it counts for enforce_nonce only for this user."""
        user = user or self.user("analyst")
        fake_guild, fake_channel = self._where(None, channel)
        message = self._new_message(fake_channel.id, {"content": content}, [], author=user)
        message = self._remember_nonce(message, nonce)
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
            fake_guild = by_id_or_name(self.guilds, guild, f"guild {guild}")
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


@dataclass
class SentInteraction:
    """Handle on a dispatched interaction: await what the bot did with it."""

    server: ServerBase
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
