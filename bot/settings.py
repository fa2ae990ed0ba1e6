"""Typed, frozen settings: shipped defaults, a user file, then SITREP_<SECTION>_<KEY> variables.

A bad value stops start-up with one line naming where it came from, the key, the value and what
is allowed (`SettingsError`); `main.py` prints it without a traceback.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_FILE = PROJECT_ROOT / "config" / "settings.toml"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
T = TypeVar("T")


class SettingsError(Exception):
    """A configuration problem, worded for the person who has to fix it."""


@dataclass(frozen=True)
class Kind:
    """How one setting is read from TOML or from an environment string, and what it allows."""

    convert: Callable[[Any], Any]
    allowed: str


def _whole(raw: Any) -> int:
    """An int from TOML or text; booleans and fractions are refused, not bent (900.7 is not 900)."""
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise ValueError
    return int(raw)


def _number(cast: type, low: float | None, allowed: str) -> Kind:
    def convert(raw: Any) -> Any:
        if isinstance(raw, bool):
            raise ValueError
        value = _whole(raw) if cast is int else cast(raw)
        if not math.isfinite(value) or (low is not None and value < low):
            raise ValueError  # nan or inf seconds would disable a timeout, not set one
        return value

    return Kind(convert, allowed)


def _fraction(raw: Any) -> float:
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError
    return value


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    words = {"1": True, "true": True, "yes": True, "on": True}
    words |= {"0": False, "false": False, "no": False, "off": False}
    return words[str(raw).strip().lower()]


def _text(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError
    return raw.strip()


def _items(raw: Any) -> list[Any]:
    """A TOML array, or a comma-separated environment string."""
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list):
        raise ValueError
    return raw


def _id_list(raw: Any) -> tuple[int, ...]:
    ids = tuple(_whole(item) for item in _items(raw))
    if any(item <= 0 for item in ids):
        raise ValueError
    return ids


def _network_list(raw: Any) -> tuple[IPNetwork, ...]:
    items = _items(raw)
    if not all(isinstance(item, str) for item in items):
        raise ValueError  # a bare number such as 10 would mean the address 0.0.0.10
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def _choice(*options: str) -> Kind:
    def convert(raw: Any) -> str:
        value = str(raw).strip()
        match = {option.lower(): option for option in options}.get(value.lower())
        if match is None:
            raise ValueError
        return match

    return Kind(convert, "one of " + ", ".join(options))


def _timezone(raw: Any) -> str:
    name = _text(raw)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError from None
    return name


@dataclass(frozen=True)
class SeedSubscription:
    """A digest subscription written in a settings file, created once if missing."""

    channel_id: int
    schedule: str
    guild_id: int | None = None  # default: the one guild in discord.guild_ids
    timezone: str | None = None
    regions: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    min_sources: int = 1
    quiet: bool = False


def _seed_subscriptions(raw: Any) -> tuple[SeedSubscription, ...]:
    """[[digest.subscriptions]] tables; never from the environment (a string is refused)."""
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ValueError
    seeds = []
    for item in raw:
        unknown = set(item) - {f.name for f in fields(SeedSubscription)}
        if unknown or "channel_id" not in item or "schedule" not in item:
            raise ValueError
        zone = item.get("timezone")
        seeds.append(
            SeedSubscription(
                channel_id=_id_list([item["channel_id"]])[0],
                guild_id=None if "guild_id" not in item else _id_list([item["guild_id"]])[0],
                schedule=_text(item["schedule"]),
                timezone=None if zone is None else _timezone(zone),
                regions=tuple(_text(code) for code in _items(item.get("regions", []))),
                actors=tuple(_text(name) for name in _items(item.get("actors", []))),
                min_sources=POSITIVE_INT.convert(item.get("min_sources", 1)),
                quiet=_boolean(item.get("quiet", False)),
            )
        )
    return tuple(seeds)


POSITIVE_SECONDS = _number(float, 0.001, "a number of seconds greater than 0")
POSITIVE_INT = _number(int, 1, "a whole number of at least 1")
WHOLE_SECONDS = _number(int, 1, "a whole number of seconds of at least 1")
FRACTION = Kind(_fraction, "a number from 0 to 1")
BOOLEAN = Kind(_boolean, "true or false (in the environment: 1, 0, true, false, yes, no)")
TEXT = Kind(_text, "a non-empty string")
PATH = Kind(lambda raw: PROJECT_ROOT / Path(_text(raw)), "a file path")  # relative to the project
ID_LIST = Kind(_id_list, "a list of positive whole numbers (environment: comma-separated)")
NETWORKS = Kind(
    _network_list, 'a list of networks such as "10.0.0.0/8" (environment: comma-separated)'
)
TIMEZONE = Kind(_timezone, 'an IANA time zone name such as "UTC" or "Europe/Paris"')
DAYS = _number(int, 0, "a whole number of days of at least 0 (0 keeps everything)")
WEIGHT = _number(float, 0, "a number of at least 0 (0 switches that part of the score off)")
SEEDS = Kind(
    _seed_subscriptions,
    "a list of tables with channel_id and schedule, optionally guild_id, timezone, regions, "
    "actors, min_sources and quiet (set in a settings file, not the environment)",
)


def setting(kind: Kind) -> Any:
    return field(metadata={"kind": kind})


@dataclass(frozen=True)
class StorageSettings:
    path: Path = setting(PATH)
    seed_feeds: Path = setting(PATH)
    retention_days: int = setting(DAYS)


@dataclass(frozen=True)
class TaxonomySettings:
    path: Path = setting(PATH)


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = setting(TEXT)
    timeout_connect: float = setting(POSITIVE_SECONDS)
    timeout_total: float = setting(POSITIVE_SECONDS)
    max_body_bytes: int = setting(POSITIVE_INT)
    max_redirects: int = setting(_number(int, 0, "a whole number of at least 0"))
    concurrency: int = setting(POSITIVE_INT)
    per_host_concurrency: int = setting(POSITIVE_INT)
    allow_private_addresses: bool = setting(BOOLEAN)
    allowed_networks: tuple[IPNetwork, ...] = setting(NETWORKS)
    max_retry_after: int = setting(WHOLE_SECONDS)


@dataclass(frozen=True)
class PollSettings:
    interval: int = setting(WHOLE_SECONDS)
    max_backoff: int = setting(WHOLE_SECONDS)
    jitter: float = setting(FRACTION)
    max_consecutive_failures: int = setting(POSITIVE_INT)
    workers: int = setting(_number(int, 0, "a whole number of at least 0"))


@dataclass(frozen=True)
class LogSettings:
    level: str = setting(_choice("DEBUG", "INFO", "WARNING", "ERROR"))
    format: str = setting(_choice("text", "json"))


@dataclass(frozen=True)
class DiscordSettings:
    guild_ids: tuple[int, ...] = setting(ID_LIST)
    token: str | None = field(default=None, repr=False)  # environment only, never logged


@dataclass(frozen=True)
class DigestSettings:
    timezone: str = setting(TIMEZONE)
    first_window_hours: int = setting(POSITIVE_INT)
    subscriptions: tuple[SeedSubscription, ...] = setting(SEEDS)
    # The ranking formula's multipliers (bot/digest/rank.py documents each part).
    weight_sources: float = setting(WEIGHT)
    weight_actors: float = setting(WEIGHT)
    weight_severity: float = setting(WEIGHT)
    weight_casualties: float = setting(WEIGHT)
    weight_recency: float = setting(WEIGHT)
    weight_location: float = setting(WEIGHT)
    recency_half_life_hours: float = setting(POSITIVE_SECONDS)


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings
    taxonomy: TaxonomySettings
    fetch: FetchSettings
    poll: PollSettings
    log: LogSettings
    discord: DiscordSettings
    digest: DigestSettings
    sources: tuple[str, ...]  # where the values came from, for `doctor` and error messages


SECTIONS: dict[str, type] = {
    "storage": StorageSettings,
    "taxonomy": TaxonomySettings,
    "fetch": FetchSettings,
    "poll": PollSettings,
    "log": LogSettings,
    "discord": DiscordSettings,
    "digest": DigestSettings,
}
# (section, key) -> (raw value, where it came from)
RawSettings = dict[tuple[str, str], tuple[Any, str]]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"config error: {path}: file not found") from None
    except OSError as error:
        raise SettingsError(f"config error: {path}: cannot read ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config error: {path}: invalid TOML: {error}") from None


def _settable_keys(section: str) -> list[str]:
    return [f.name for f in fields(SECTIONS[section]) if "kind" in f.metadata]


def _collect_file(path: Path, raw: RawSettings) -> None:
    for section, values in _read_toml(path).items():
        if section not in SECTIONS or not isinstance(values, dict):
            allowed = ", ".join(f"[{name}]" for name in SECTIONS)
            raise SettingsError(f"config error: {path}: unknown section [{section}]; use {allowed}")
        for key, value in values.items():
            if key == "token" and section == "discord":
                raise SettingsError(
                    f"config error: {path}: discord.token is not read from files; "
                    "set DISCORD_TOKEN in the environment instead"
                )
            if key not in _settable_keys(section):
                allowed = ", ".join(_settable_keys(section))
                raise SettingsError(
                    f"config error: {path}: unknown key {section}.{key}; "
                    f"[{section}] takes {allowed}"
                )
            raw[(section, key)] = (value, str(path))


def _collect_environment(environ: Mapping[str, str], raw: RawSettings) -> None:
    known = {"SITREP_CONFIG"}
    for section in SECTIONS:
        for key in _settable_keys(section):
            name = f"SITREP_{section}_{key}".upper()
            known.add(name)
            if name in environ:
                raw[(section, key)] = (environ[name], f"environment {name}")
    for name in environ:
        if name.startswith("SITREP_") and name not in known:
            # A typo would otherwise be ignored silently and the default would quietly win.
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            if name == "SITREP_DISCORD_TOKEN":
                hint = "; the token is read from DISCORD_TOKEN only"
            raise SettingsError(f"config error: unknown environment variable {name}{hint}")


def _build_section(section: str, raw: RawSettings) -> Any:
    values: dict[str, Any] = {}
    for spec in fields(SECTIONS[section]):
        kind = spec.metadata.get("kind")
        if kind is None:
            continue
        if (section, spec.name) not in raw:
            raise SettingsError(f"config error: {section}.{spec.name} is missing from every file")
        value, source = raw[(section, spec.name)]
        try:
            values[spec.name] = kind.convert(value)
        except (ValueError, TypeError, KeyError):
            raise SettingsError(
                f"config error: {source}: {section}.{spec.name} = {value!r} is not allowed; "
                f"expected {kind.allowed}"
            ) from None
    return SECTIONS[section](**values)


def load_settings(
    user_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    defaults_file: Path = DEFAULTS_FILE,
) -> Settings:
    """Defaults, then `user_file` (or SITREP_CONFIG), then environment overrides."""
    environ = os.environ if environ is None else environ
    if user_file is None and environ.get("SITREP_CONFIG"):
        user_file = Path(environ["SITREP_CONFIG"])
    raw: RawSettings = {}
    sources = [str(defaults_file)]
    _collect_file(defaults_file, raw)
    if user_file is not None:
        _collect_file(user_file, raw)
        sources.append(str(user_file))
    _collect_environment(environ, raw)
    built = {name: _build_section(name, raw) for name in SECTIONS}
    token = environ.get("DISCORD_TOKEN", "").strip() or None
    built["discord"] = DiscordSettings(guild_ids=built["discord"].guild_ids, token=token)
    return Settings(**built, sources=tuple(sources))
