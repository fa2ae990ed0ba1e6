"""Point the real discord.py client at FakeDiscord, in this test process only.

discord.py has two hard-wired addresses, both class attributes:
  * discord.http.Route.BASE ("https://discord.com/api/v10"): every REST call, including
    interaction callbacks and webhook follow-ups, is built from it;
  * discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY ("wss://gateway.discord.gg/"): 2.7 connects
    there directly (it no longer asks GET /gateway), and goes back there after INVALID_SESSION.
    Reconnects use READY's resume_gateway_url, which FakeDiscord points at itself.
point_discord_at() patches both and restores them (tests/sitrep_process.py applies the same
patches in a child process running the real bot). start_client() also, on the client:
  * gives it an aiohttp connector whose resolver refuses every host name, so anything still
    aimed at discord.com fails at once instead of leaving 127.0.0.1;
  * shortens the wait after the last GUILD_CREATE before on_ready (guild_ready_timeout,
    2 s by default);
  * skips the 5 s sleep discord.py's default before_identify_hook takes before re-identifying
    (only if the bot does not override that hook).

In a test module (importing the fixture by name would trip ruff's F811):
    from tests import discord_harness
    fake_discord = discord_harness.fake_discord
then take `fake_discord` as a fixture and use `async with running_client(bot):` in the test.
(Or list "tests.discord_harness" in pytest_plugins of the root conftest.)
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult

from tests.discord_fake import API_VERSION, DEFAULT_TOKEN, FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


class LoopbackOnlyResolver(AbstractResolver):
    """Resolves nothing but "localhost": a client that still aims at discord.com fails fast.
    (aiohttp does not consult the resolver for IP literals such as 127.0.0.1.)"""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host != "localhost":
            raise OSError(f"tests stay on 127.0.0.1: refusing to resolve {host!r}")
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


def discord_addresses(base_url: str) -> tuple[str, yarl.URL]:
    """(Route.BASE, DEFAULT_GATEWAY) for a FakeDiscord at base_url (http://127.0.0.1:PORT)."""
    url = yarl.URL(base_url)
    if url.scheme != "http" or url.host not in ("127.0.0.1", "localhost"):
        raise ValueError(f"FakeDiscord lives on http://127.0.0.1:PORT, not {base_url!r}")
    return str(url.with_path(f"/api/v{API_VERSION}")), url.with_scheme("ws").with_path("/")


@contextlib.contextmanager
def point_discord_at(server: FakeDiscord | str) -> Iterator[None]:
    """Patch discord.py's REST base and default gateway to `server` (or its base URL),
    restoring them after."""
    api_base, gateway = discord_addresses(server if isinstance(server, str) else server.base_url)
    patch = pytest.MonkeyPatch()
    try:
        patch.setattr(discord.http.Route, "BASE", api_base)
        patch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", gateway)
        yield
    finally:
        patch.undo()


@contextlib.asynccontextmanager
async def fake_discord_server(**options: Any) -> AsyncIterator[FakeDiscord]:
    """Start FakeDiscord(**options) with discord.py pointed at it."""
    server = FakeDiscord(**options)
    await server.start()
    try:
        with point_discord_at(server):
            yield server
    finally:
        await server.stop()
    if server.errors:
        raise AssertionError(f"FakeDiscord failed handling requests: {server.errors!r}")


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A running FakeDiscord with the sample guild; discord.py points at it for the test."""
    async with fake_discord_server() as server:
        yield server


async def start_client(
    client: discord.Client,
    token: str = DEFAULT_TOKEN,
    *,
    timeout: float = 10.0,
    guild_ready_timeout: float = 0.1,
    loopback_only: bool = True,
    fast_reidentify: bool = True,
) -> asyncio.Task[None]:
    """Run client.start(token) as a task; return it once the client is ready (on_ready fired,
    setup_hook done, guilds cached). A start-up failure (LoginFailure, PrivilegedIntentsRequired,
    ...) is raised here."""
    await client.__aenter__()  # documented `async with client` entry: binds loop, ready event
    client._connection.guild_ready_timeout = guild_ready_timeout
    if fast_reidentify and type(client).before_identify_hook is discord.Client.before_identify_hook:
        client.before_identify_hook = _no_identify_wait  # type: ignore[method-assign]
    if loopback_only and client.http.connector is discord.utils.MISSING:
        client.http.connector = aiohttp.TCPConnector(limit=0, resolver=LoopbackOnlyResolver())
    task = asyncio.create_task(client.start(token), name="discord-client")
    ready = asyncio.create_task(client.wait_until_ready(), name="discord-client-ready")
    done, _ = await asyncio.wait(
        {task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    if ready in done:
        return task
    ready.cancel()
    if task in done:
        await client.close()
        task.result()  # raises what start() raised
        raise RuntimeError("client.start() returned before the client became ready")
    await stop_client(client, task)
    raise TimeoutError(f"discord client not ready within {timeout}s")


async def _no_identify_wait(shard_id: int | None, *, initial: bool = False) -> None:
    """discord.py's default hook sleeps 5 s before every IDENTIFY after the first."""


async def stop_client(
    client: discord.Client, task: asyncio.Task[None], timeout: float = 10.0
) -> None:
    """Close the client and wait for its start() task to finish."""
    await client.close()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout)


@contextlib.asynccontextmanager
async def running_client(
    client: ClientT, token: str = DEFAULT_TOKEN, **options: Any
) -> AsyncIterator[ClientT]:
    """`async with running_client(bot) as bot:` ready on entry, closed on exit."""
    task = await start_client(client, token, **options)
    try:
        yield client
    finally:
        await stop_client(client, task)
