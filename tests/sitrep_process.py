"""The real Sitrep bot (`main.py run`) in a child process, talking to a FakeDiscord in the test
process: for tests that kill the bot (SIGKILL) or stop it (SIGTERM) and start it again.

The child is `python -m tests.sitrep_process --api-url http://127.0.0.1:PORT -- run [ARGS]`.
Before calling main.main(ARGS) it applies what discord_harness does for an in-process client:
discord.py's REST base and default gateway point at the fake, its HTTP connector resolves no
host name, guild_ready_timeout is 0.1 s and re-identifying skips the 5 s wait. On top of that no
host name but localhost resolves anywhere in the child, so nothing in it can leave 127.0.0.1.
It prints READY_MARKER on stdout each time the bot is ready (on_ready).

The parent side writes the files the bot needs under a work folder (an empty seed feed list and
a settings file holding the test's extra TOML), starts the child with DISCORD_TOKEN and
SITREP_* variables pointing at them and at the fake's guilds, and waits for READY_MARKER:

    async with sitrep_process(fake, tmp_path, settings_toml=SUBSCRIPTIONS) as bot:
        held = fake.hold("POST", "/channels/{channel_id}/messages", after_create=True)
        await held.arrived()
        assert await bot.kill() == -signal.SIGKILL
    async with sitrep_process(fake, tmp_path, settings_toml=SUBSCRIPTIONS) as bot:
        ...  # same folder: same database; the bot reconciles what it sent
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http

from tests.discord_fake import DEFAULT_TOKEN, FakeDiscord
from tests.discord_harness import LoopbackOnlyResolver, discord_addresses

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY_MARKER = "sitrep_process: bot ready"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
STDERR_TAIL_LINES = 40
LINE_LIMIT = 1 << 20  # bytes; asyncio's 64 KiB default is short for a JSON log line with a body


# --- the child: patch discord.py's addresses, then run main.py --------------------------------


def point_process_at(api_url: str) -> None:
    """In this (child) process: discord.py talks to the fake at api_url and nothing resolves
    a host name but localhost. Not undone: the process exists for this."""
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = discord_addresses(
        api_url
    )
    _refuse_name_resolution()
    _patch_client()


def _refuse_name_resolution() -> None:
    """asyncio and aiohttp's default resolver both end in socket.getaddrinfo."""
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in LOOPBACK_NAMES:
            raise socket.gaierror(socket.EAI_NONAME, f"tests stay on 127.0.0.1: not {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = loopback_only


def _patch_client() -> None:
    static_login = discord.http.HTTPClient.static_login
    get_state = discord.Client._get_state
    dispatch = discord.Client.dispatch

    async def loopback_login(self: discord.http.HTTPClient, token: str) -> Any:
        if self.connector is discord.utils.MISSING:
            self.connector = aiohttp.TCPConnector(limit=0, resolver=LoopbackOnlyResolver())
        return await static_login(self, token)

    def quick_ready_state(self: discord.Client, **options: Any) -> Any:
        options.setdefault("guild_ready_timeout", 0.1)
        return get_state(self, **options)

    def announce_ready(self: discord.Client, event: str, /, *args: Any, **kwargs: Any) -> None:
        if event == "ready":
            print(READY_MARKER, flush=True)
        dispatch(self, event, *args, **kwargs)

    async def no_identify_wait(self: discord.Client, shard_id: int | None, **_: Any) -> None:
        """discord.py's default hook sleeps 5 s before every IDENTIFY after the first."""

    discord.http.HTTPClient.static_login = loopback_login  # type: ignore[method-assign]
    discord.Client._get_state = quick_ready_state  # type: ignore[method-assign]
    discord.Client.dispatch = announce_ready  # type: ignore[method-assign]
    discord.Client.before_identify_hook = no_identify_wait  # type: ignore[method-assign]


def child_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.sitrep_process",
        description="Run main.py with discord.py pointed at a loopback FakeDiscord.",
    )
    parser.add_argument("--api-url", required=True, help="the fake's base URL: http://127.0.0.1:N")
    parser.add_argument("main_args", nargs="*", help="main.py's arguments, after --")
    options = parser.parse_args(argv)
    point_process_at(options.api_url)
    import main  # after the patches, and only in the child: it loads the whole bot

    return main.main(options.main_args)


# --- the parent: files, environment, the process ------------------------------------------------


@dataclass(frozen=True)
class SitrepFiles:
    """What the child bot reads and writes, all under one work folder."""

    settings: Path
    feeds: Path
    database: Path


def sitrep_files(workdir: Path, settings_toml: str = "") -> SitrepFiles:
    """(Re)write the settings file with `settings_toml` and an empty seed feed list; the
    database is kept, so a second bot in the same folder restarts on the first one's data."""
    workdir.mkdir(parents=True, exist_ok=True)
    feeds = workdir / "feeds.toml"
    feeds.write_text("# no [[feed]] tables: these tests never leave 127.0.0.1\n")
    settings = workdir / "settings.toml"
    settings.write_text(settings_toml)
    return SitrepFiles(settings, feeds, workdir / "sitrep.db")


def sitrep_environment(
    fake: FakeDiscord, files: SitrepFiles, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """This process's environment without any SITREP_* or DISCORD_TOKEN of its own, plus the
    fake's token, the files and the fake's guilds (commands are synced to them); then `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SITREP_") and name != "DISCORD_TOKEN"
    }
    env.update(
        DISCORD_TOKEN=fake.token or DEFAULT_TOKEN,
        SITREP_CONFIG=str(files.settings),
        SITREP_STORAGE_PATH=str(files.database),
        SITREP_STORAGE_SEED_FEEDS=str(files.feeds),
        SITREP_DISCORD_GUILD_IDS=",".join(str(guild.id) for guild in fake.guilds),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


class SitrepProcess:
    """A running child bot: its output as it comes, readiness, SIGKILL and SIGTERM."""

    def __init__(
        self, fake: FakeDiscord, files: SitrepFiles, process: asyncio.subprocess.Process
    ) -> None:
        self.fake = fake
        self.files = files
        self.process = process
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self.ready_count = 0  # READY_MARKER lines seen (one per IDENTIFY, none per RESUME)
        self._ready = asyncio.Event()
        assert process.stdout is not None and process.stderr is not None
        self._readers = [
            asyncio.create_task(self._read(process.stdout, self._on_stdout)),
            asyncio.create_task(self._read(process.stderr, self.stderr_lines.append)),
        ]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        """None while running; -9 after kill(), 0 after a clean SIGTERM shutdown."""
        return self.process.returncode

    @property
    def stderr(self) -> str:
        """Everything the bot logged so far."""
        return "\n".join(self.stderr_lines)

    def report(self) -> str:
        """For failure messages: exit status and the last lines the bot logged."""
        tail = "\n  ".join(self.stderr_lines[-STDERR_TAIL_LINES:]) or "(nothing)"
        return f"sitrep process {self.pid} (exit {self.returncode}); stderr tail:\n  {tail}"

    async def wait_ready(self, *, timeout: float = 60.0) -> None:
        """Until the bot is ready (logged in, commands synced, on_ready), or raise with its
        stderr if it exits first or takes longer than `timeout`."""
        ready = asyncio.create_task(self._ready.wait())
        exited = asyncio.create_task(self.process.wait())
        await asyncio.wait({ready, exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for task in (ready, exited):
            task.cancel()
        if self._ready.is_set():
            return
        if self.returncode is not None:
            await self._drain()
            raise RuntimeError(f"the bot exited before it was ready: {self.report()}")
        raise TimeoutError(f"the bot was not ready within {timeout}s: {self.report()}")

    async def wait(self, timeout: float = 10.0) -> int:
        """Until the process exits; its exit code (-N: killed by signal N)."""
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await self._drain()
        return code

    async def kill(self, timeout: float = 10.0) -> int:
        """SIGKILL, as a crash or an OOM kill would: no cleanup runs. The child leads its own
        process group, so helper processes it started die with it. Returns the exit code."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        return await self.wait(timeout)

    async def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM, as `docker stop` sends it, and wait for the exit code; a bot still running
        after `timeout` seconds is killed and TimeoutError raised with its stderr."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
        try:
            return await self.wait(timeout)
        except TimeoutError:
            await self.kill()
            raise TimeoutError(f"no exit within {timeout}s of SIGTERM: {self.report()}") from None

    def _on_stdout(self, line: str) -> None:
        self.stdout_lines.append(line)
        if line == READY_MARKER:
            self.ready_count += 1
            self._ready.set()

    async def _read(self, stream: asyncio.StreamReader, sink: Callable[[str], None]) -> None:
        """Keep reading to the end, whatever comes: a pipe left unread would block the bot."""
        while True:
            try:
                line = await stream.readline()
            except ValueError:  # longer than LINE_LIMIT: asyncio dropped it
                sink(f"[a line over {LINE_LIMIT} bytes was dropped]")
                continue
            if not line:
                return
            sink(line.decode(errors="replace").rstrip("\n"))

    async def _drain(self) -> None:
        """Read the pipes to their end (both close when the process and its group are gone)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*self._readers), 5.0)


async def start_sitrep_process(
    fake: FakeDiscord,
    files: SitrepFiles,
    *,
    args: Sequence[str] = ("run",),
    env: Mapping[str, str] | None = None,
) -> SitrepProcess:
    """Start `main.py ARGS` in a child process against `fake` (see point_process_at)."""
    command = ["-m", "tests.sitrep_process", "--api-url", fake.base_url, "--", *args]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        cwd=PROJECT_ROOT,
        env=sitrep_environment(fake, files, env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=LINE_LIMIT,
        start_new_session=True,  # its own process group: kill() takes any helpers with it
    )
    return SitrepProcess(fake, files, process)


@contextlib.asynccontextmanager
async def sitrep_process(
    fake: FakeDiscord,
    workdir: Path,
    *,
    settings_toml: str = "",
    args: Sequence[str] = ("run",),
    env: Mapping[str, str] | None = None,
    ready_timeout: float | None = 60.0,
) -> AsyncIterator[SitrepProcess]:
    """The bot running in a child process, ready on entry (ready_timeout None: do not wait);
    stopped on exit if the test has not stopped it (SIGTERM, then SIGKILL after 10 s)."""
    bot = await start_sitrep_process(fake, sitrep_files(workdir, settings_toml), args=args, env=env)
    try:
        if ready_timeout is not None:
            await bot.wait_ready(timeout=ready_timeout)
        yield bot
    finally:
        if bot.returncode is None:
            with contextlib.suppress(TimeoutError):
                await bot.terminate()
        await bot._drain()


if __name__ == "__main__":
    sys.exit(child_main())
