"""REST for interactions: callbacks (with Discord's acknowledgement rules), @original and
follow-up webhook messages."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from tests.discord_fake.constants import (
    ALREADY_ACKNOWLEDGED,
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    EMPTY_MESSAGE,
    ENTITY_TOO_LARGE,
    EPHEMERAL,
    INVALID_FORM_BODY,
    LOADING,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    ApiError,
    Json,
)
from tests.discord_fake.limits import (
    FormErrors,
    check_choices,
    check_message,
    error_reply,
    is_empty_message,
)
from tests.discord_fake.state import InteractionState, RecordedFile, RecordedRequest, Reply
from tests.discord_fake.store import MessageStore


class InteractionRoutes(MessageStore):
    """POST .../callback and the interaction webhook (@original, follow-ups)."""

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
        if refused := self._refused_message(body, record.files, new=True):
            return refused
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
        if refused := self._refused_message(record.json or {}, record.files, new=False):
            return refused
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
