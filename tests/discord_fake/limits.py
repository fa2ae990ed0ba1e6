"""The limits Discord enforces on what a bot sends (message and embed sizes, empty messages,
nonces, command names, choices) in Discord's "Invalid Form Body" shape, and who a message would
ping."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tests.discord_fake.constants import ApiError, Json
from tests.discord_fake.state import RecordedFile, Reply


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


def check_nonce(payload: Mapping[str, Any], errors: FormErrors) -> None:
    """Discord: a nonce is a string of up to 25 characters or an integer (same length as text).
    The error code for a wrong type is this fake's own wording."""
    nonce = payload.get("nonce")
    if nonce is None:
        return
    if isinstance(nonce, bool) or not isinstance(nonce, str | int):
        errors.add(["nonce"], "NONCE_TYPE_INVALID", "Nonce must be a string or an integer.")
        return
    errors.max_length(["nonce"], nonce, 25)


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


def error_reply(error: ApiError, errors: FormErrors | None = None) -> Reply:
    return Reply(error.status, error.body(errors.tree if errors else None))
