"""Parsing a console line such as `/lookup region:Iraq since:7d` into a command and options.

Pure: the same names and options as the Discord slash commands.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OptionSpec:
    name: str
    kind: type = str  # str, int or bool
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class CommandSpec:
    name: str  # "lookup" or "feed list"
    help: str
    options: tuple[OptionSpec, ...] = ()


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    options: dict[str, str | int | bool] = field(default_factory=dict)


class ConsoleParseError(ValueError):
    """A line we cannot run; the message says what was wrong and shows the usage."""


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "lookup",
        "articles by region, actor, text and time, newest first",
        (
            OptionSpec("region", help="country, code or region, e.g. Iraq, IQ, Levant"),
            OptionSpec("actor", help="actor name, alias or acronym, e.g. KH, Hamas"),
            OptionSpec("query", help="full-text search, words searched literally"),
            OptionSpec("since", help="24h, 7d, 2w or a date such as 2026-11-01 (default 7d)"),
            OptionSpec("limit", int, help="1 to 25 results per page (default 10)"),
        ),
    ),
    CommandSpec("more", "the next page of the last lookup"),
    CommandSpec(
        "article", "one article with its tags and evidence", (OptionSpec("id", int, True),)
    ),
    CommandSpec("regions", "regions with article counts for the last 7 days"),
    CommandSpec("actors", "actors with article counts", (OptionSpec("search"),)),
    CommandSpec("feed list", "every feed"),
    CommandSpec("feed status", "feed health: last check, last error, next check"),
    CommandSpec(
        "feed add",
        "add a feed and fetch it once",
        (OptionSpec("url", required=True), OptionSpec("name")),
    ),
    CommandSpec("feed remove", "remove a feed", (OptionSpec("feed", required=True),)),
    CommandSpec(
        "digest subscribe",
        "print a digest here on a schedule",
        (
            OptionSpec("schedule", required=True, help="daily 08:00, every 6h, cron..."),
            OptionSpec("timezone", help="IANA time zone, e.g. Europe/Paris"),
            OptionSpec("regions", help="comma-separated regions or countries"),
            OptionSpec("actors", help="comma-separated actors"),
            OptionSpec("min_sources", int, help="only stories from at least N outlets"),
            OptionSpec("quiet", bool, help="true: print nothing when nothing is new"),
        ),
    ),
    CommandSpec("digest list", "the console's digest subscriptions and their next run"),
    CommandSpec("digest unsubscribe", "stop a digest", (OptionSpec("subscription", int, True),)),
    CommandSpec(
        "digest resume", "resume a paused digest", (OptionSpec("subscription", int, True),)
    ),
    CommandSpec(
        "digest now",
        "a digest of recent articles, right now",
        (
            OptionSpec("region", help="only this region or country"),
            OptionSpec("since", help="24h, 7d, 2w or a date (default 24h)"),
            OptionSpec("preview", bool, help="accepted for parity with Discord"),
        ),
    ),
    CommandSpec("status", "uptime, feed health, articles, database size, jobs"),
    CommandSpec("help", "this list"),
    CommandSpec("quit", "leave console mode"),
)
BY_NAME = {spec.name: spec for spec in COMMANDS}
_PLACEHOLDERS = {int: "N", bool: "true|false"}


def usage(spec: CommandSpec) -> str:
    parts = [f"/{spec.name}"]
    for option in spec.options:
        shown = f"{option.name}:{_PLACEHOLDERS.get(option.kind, '…')}"
        parts.append(shown if option.required else f"[{shown}]")
    return " ".join(parts)


def _command_of(words: list[str]) -> tuple[CommandSpec, list[str]]:
    """The longest command name the words start with ("feed list" before "feed")."""
    for length in (2, 1):
        name = " ".join(words[:length]).lstrip("/").lower()
        if name in BY_NAME:
            return BY_NAME[name], words[length:]
    known = ", ".join(f"/{spec.name}" for spec in COMMANDS)
    raise ConsoleParseError(f"unknown command {words[0]!r}; commands: {known}")


_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _option(spec: CommandSpec, token: str) -> tuple[str, str | int | bool]:
    name, sep, value = token.partition(":")
    option = next((o for o in spec.options if o.name == name.lower()), None)
    if not sep or option is None:
        raise ConsoleParseError(f"{token!r} is not an option of /{spec.name}; usage: {usage(spec)}")
    if option.kind is int:
        if not value.strip().lstrip("-").isdigit():
            raise ConsoleParseError(f"{option.name} must be a whole number, not {value!r}")
        return option.name, int(value)
    if option.kind is bool:
        if value.strip().lower() not in _BOOLEANS:
            raise ConsoleParseError(f"{option.name} must be true or false, not {value!r}")
        return option.name, _BOOLEANS[value.strip().lower()]
    return option.name, value


def parse_line(line: str) -> ParsedCommand | None:
    """None for an empty line; ConsoleParseError for anything we cannot run."""
    try:
        words = shlex.split(line.strip())
    except ValueError as error:
        raise ConsoleParseError(f"cannot read that line: {error} (close your quotes)") from None
    if not words:
        return None
    spec, rest = _command_of(words)
    options = dict(_option(spec, token) for token in rest)
    missing = [o.name for o in spec.options if o.required and o.name not in options]
    if missing:
        raise ConsoleParseError(f"/{spec.name} needs {', '.join(missing)}; usage: {usage(spec)}")
    return ParsedCommand(spec.name, options)
