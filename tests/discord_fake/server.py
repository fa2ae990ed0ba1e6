"""FakeDiscord: the gateway, REST routes and user actions composed into one loopback server."""

from __future__ import annotations

import asyncio

from aiohttp import web

from tests.discord_fake.base import Route
from tests.discord_fake.constants import HOST
from tests.discord_fake.interactions import InteractionRoutes
from tests.discord_fake.rest import RestRoutes
from tests.discord_fake.users import UserActions


class FakeDiscord(UserActions, InteractionRoutes, RestRoutes):
    """Discord's REST API and gateway on 127.0.0.1, recording everything the bot does."""

    # lifecycle

    async def start(self) -> None:
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_get("/resume/", self._gateway)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._cdn)
        app.router.add_route("*", "/api/v{version:\\d+}/{tail:.*}", self._api)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.2
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for connection in self.connections:
            if not connection.ws.closed:
                await connection.ws.close(code=1001, message=b"server stopping")
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # REST: the route table

    def _route_table(self) -> list[Route]:
        """(method, template, handler, needs bot auth); literal routes before {param} ones."""
        hook = "/webhooks/{application_id}/{token}"
        return [
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway, True),
            ("GET", "/users/@me", self._get_me, True),
            ("POST", "/users/@me/channels", self._create_dm, True),
            ("GET", "/users/{user_id}", self._get_user, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/applications/@me", self._get_application, True),
            ("GET", "/applications/{application_id}/commands", self._get_commands, True),
            ("PUT", "/applications/{application_id}/commands", self._put_commands, True),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._get_commands,
                True,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._put_commands,
                True,
            ),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback, False),
            ("GET", hook + "/messages/@original", self._get_hook_message, False),
            ("PATCH", hook + "/messages/@original", self._edit_hook_message, False),
            ("DELETE", hook + "/messages/@original", self._delete_hook_message, False),
            ("POST", hook, self._followup, False),
            ("GET", hook + "/messages/{message_id}", self._get_hook_message, False),
            ("PATCH", hook + "/messages/{message_id}", self._edit_hook_message, False),
            ("DELETE", hook + "/messages/{message_id}", self._delete_hook_message, False),
            ("GET", "/channels/{channel_id}", self._get_channel, True),
            ("GET", "/channels/{channel_id}/messages", self._history, True),
            ("POST", "/channels/{channel_id}/messages", self._create_message, True),
            ("POST", "/channels/{channel_id}/typing", self._typing, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message, True),
        ]
