"""Discord's numbers: permission bits, intents, message flags, interaction and channel types,
the fixed ids of the fake world and the JSON errors Discord answers with."""

from __future__ import annotations

from typing import Any, NamedTuple

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
