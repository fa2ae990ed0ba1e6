"""Messages as the server keeps them: creating, editing, attachments, nonces, deleting, echo
events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from tests.discord_fake.base import ServerBase
from tests.discord_fake.constants import (
    ATTACHMENT_SIZE_LIMIT,
    DM_CHANNEL,
    EMPTY_MESSAGE,
    ENTITY_TOO_LARGE,
    EPHEMERAL,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    INVALID_FORM_BODY,
    LOADING,
    Json,
)
from tests.discord_fake.limits import (
    FormErrors,
    check_message,
    check_nonce,
    error_reply,
    is_empty_message,
    pings,
)
from tests.discord_fake.model import FakeChannel, FakeUser, iso_now
from tests.discord_fake.state import RecordedFile, Reply, SentNonce


class MessageStore(ServerBase):
    """Messages and DM channels as the server keeps them; REST routes and user actions share it."""

    async def _dm_channel(self, user: FakeUser) -> FakeChannel:
        if user.id not in self.dm_channels:
            self.dm_channels[user.id] = FakeChannel(
                self.snowflakes.next(), "", DM_CHANNEL, recipient=user
            )
        return self.dm_channels[user.id]

    def _too_large(self, files: Sequence[RecordedFile]) -> bool:
        return len(files) > 10 or sum(len(f.data) for f in files) > ATTACHMENT_SIZE_LIMIT

    def _refused_message(
        self, body: Json, files: Sequence[RecordedFile], *, new: bool, nonce: bool = False
    ) -> Reply | None:
        """Discord's checks on a message body, in its order: form errors (400, 50035), then for
        a new message an empty one (50006) and too large attachments (413). None: accepted."""
        errors = FormErrors()
        check_message(body, errors)
        if nonce:
            check_nonce(body, errors)
        if errors:
            return error_reply(INVALID_FORM_BODY, errors)
        if new and is_empty_message(body, files):
            return error_reply(EMPTY_MESSAGE)
        if new and self._too_large(files):
            return error_reply(ENTITY_TOO_LARGE)
        return None

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

    def _remember_nonce(self, message: Json, nonce: str | int | None) -> Json:
        """Keep the nonce a message was created with; returns the message as the create call
        and MESSAGE_CREATE show it (with the nonce, which history never shows)."""
        if nonce is None:
            return message
        message_id = int(message["id"])
        self.nonces[message_id] = SentNonce(
            message_id,
            int(message["channel_id"]),
            int(message["author"]["id"]),
            nonce,
            self.clock(),
        )
        return {**message, "nonce": nonce}

    def _message_for_nonce(self, channel_id: int, author_id: int, nonce: str | int) -> Json | None:
        """What enforce_nonce answers with: the first message this author created in this
        channel with this nonce within nonce_window seconds, if it is still there."""
        oldest = self.clock() - self.nonce_window
        for sent in self.nonces.values():
            if (
                sent.created >= oldest
                and sent.same(channel_id, author_id, nonce)
                and sent.message_id in self.messages
            ):
                return {**self.messages[sent.message_id], "nonce": nonce}
        return None

    def _history_page(self, channel_id: int, query: Mapping[str, str], limit: int) -> list[Json]:
        """GET /channels/{id}/messages: newest first either way; with only `after`, the page
        is the `limit` messages right after it (discord.py pages forwards from the page's
        first, newest, message), else the newest before `before`."""
        before, after = int(query.get("before", 1 << 63)), int(query.get("after", 0))
        found = [
            m
            for m in self.channel_messages(channel_id)
            if after < int(m["id"]) < before and not int(m["flags"]) & EPHEMERAL
        ]
        forwards = "after" in query and "before" not in query
        return list(reversed(found[:limit] if forwards else found[-limit:]))

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


def _normalise_embed(embed: Json) -> Json:
    return {"type": "rich", **embed}
