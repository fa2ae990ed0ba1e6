"""The loopback Discord server against the real discord.py client: login, gateway, commands,
interactions, messages with files, enforce_nonce and history, faults, holds and reconnects; and
the real bot in a child process (tests/sitrep_process.py), stopped and killed."""

from __future__ import annotations

import asyncio
import io
import json
import zlib
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from tests import discord_harness
from tests.discord_fake import (
    EPHEMERAL,
    MANAGE_GUILD,
    MISSING_PERMISSIONS,
    READ_MESSAGE_HISTORY,
    UNKNOWN_CHANNEL,
    FakeDiscord,
    Overwrite,
    pings,
)
from tests.discord_harness import (
    LoopbackOnlyResolver,
    fake_discord_server,
    running_client,
    start_client,
)

fake_discord = discord_harness.fake_discord  # the harness's fixture, made visible here

ACTORS = ["Kataib Hezbollah", "Kataib Sayyid al-Shuhada", "Hamas", "Hezbollah", "Houthis"]


class TinyBot(discord.Client):
    """A minimal bot with a command tree, like the real one: commands synced to the guild."""

    def __init__(self, guild_id: int, *, intents: discord.Intents | None = None) -> None:
        super().__init__(intents=intents or discord.Intents.default())
        self.tree = app_commands.CommandTree(self)
        self.guild_object = discord.Object(guild_id)
        self.tree.add_command(lookup, guild=self.guild_object)
        self.tree.add_command(report, guild=self.guild_object)
        self.tree.add_command(confirm, guild=self.guild_object)
        self.tree.add_command(feeds, guild=self.guild_object)

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=self.guild_object)


@app_commands.command(description="Recent reporting on an actor")
@app_commands.describe(actor="Armed group or agency", days="How far back")
async def lookup(interaction: discord.Interaction, actor: str, days: int = 7) -> None:
    await interaction.response.send_message(f"{actor}: nothing in {days} days", ephemeral=True)


@lookup.autocomplete("actor")
async def lookup_actor(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    found = [a for a in ACTORS if current.lower() in a.lower()]
    return [app_commands.Choice(name=a, value=a) for a in found]


@app_commands.command(description="Slow report: defers, then follows up with an embed")
async def report(interaction: discord.Interaction, region: str) -> None:
    await interaction.response.defer(thinking=True)
    embed = discord.Embed(title=f"Digest: {region}", description="3 items")
    embed.add_field(name="Iraq", value="2 items")
    await interaction.followup.send(embed=embed)


class ConfirmView(discord.ui.View):
    def __init__(self, author_id: int) -> None:
        super().__init__(timeout=30)
        self.author_id = author_id

    @discord.ui.button(label="Confirm", custom_id="confirm", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        if interaction.user.id != self.author_id:
            await interaction.response.send_message(
                "Only the requester can confirm.", ephemeral=True
            )
            return
        await interaction.response.edit_message(content="Confirmed.", view=None)


@app_commands.command(description="Ask for confirmation")
@app_commands.default_permissions(manage_guild=True)
@app_commands.checks.has_permissions(manage_guild=True)
async def confirm(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("Remove feed?", view=ConfirmView(interaction.user.id))


@confirm.error
async def confirm_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    await interaction.response.send_message("You need Manage Server.", ephemeral=True)


feeds = app_commands.Group(name="feeds", description="Manage feeds")


@feeds.command(name="add", description="Add a feed")
async def feeds_add(
    interaction: discord.Interaction, url: str, channel: discord.TextChannel
) -> None:
    await interaction.response.send_message(f"Added {url} to {channel.mention}", ephemeral=True)


@pytest.fixture
def bot(fake_discord: FakeDiscord) -> TinyBot:
    return TinyBot(fake_discord.guild.id)


async def test_login_ready_and_guild_create(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    async with running_client(bot):
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None and guild.name == "Sitrep HQ"
        assert {c.name for c in guild.text_channels} == {
            "general",
            "digest",
            "read-only",
            "mods-only",
        }
        assert guild.default_role.permissions.send_messages
        assert (
            guild.me is not None
            and bot.user is not None
            and bot.user.id == fake_discord.bot_user.id
        )
        digest = guild.get_channel(fake_discord.guild.channel("digest").id)
        assert isinstance(digest, discord.TextChannel)
        assert digest.permissions_for(guild.me).send_messages
        read_only = guild.get_channel(fake_discord.guild.channel("read-only").id)
        assert isinstance(read_only, discord.TextChannel)
        assert not read_only.permissions_for(guild.me).send_messages
        assert bot.application_id == fake_discord.application_id
    (identify,) = fake_discord.identifies
    assert identify["intents"] == discord.Intents.default().value
    assert identify["token"] == "test-token"
    login = fake_discord.requests_to("GET", "/users/@me")[0]
    assert login.headers["Authorization"] == "Bot test-token"
    assert fake_discord.connections[0].compress == "zlib-stream"  # discord.py's default
    assert fake_discord.unhandled == []


async def test_wrong_token_is_a_login_failure(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    with pytest.raises(discord.LoginFailure):
        await start_client(bot, token="stolen")
    assert fake_discord.identifies == []


async def test_disallowed_privileged_intent_fails_start() -> None:
    async with fake_discord_server(
        disallowed_intents=discord.Intents(members=True).value
    ) as server:
        client = TinyBot(server.guild.id, intents=discord.Intents(guilds=True, members=True))
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await start_client(client)


async def test_sync_puts_guild_commands(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    async with running_client(bot):
        put = fake_discord.requests_to("PUT", "/applications/{app}/guilds/{guild_id}/commands")[0]
        assert put.params["guild_id"] == str(fake_discord.guild.id)
        by_name = {c["name"]: c for c in put.json}
        assert set(by_name) == {"lookup", "report", "confirm", "feeds"}
        actor, days = by_name["lookup"]["options"]
        assert (actor["name"], actor["type"], actor["required"], actor["autocomplete"]) == (
            "actor",
            3,
            True,
            True,
        )
        assert (days["name"], days["type"], days["required"]) == ("days", 4, False)
        assert by_name["confirm"]["default_member_permissions"] == MANAGE_GUILD
        assert by_name["feeds"]["options"][0]["type"] == 1  # subcommand
        synced = await bot.tree.fetch_commands(guild=bot.guild_object)
        assert {c.name for c in synced} == set(by_name)
        assert all(c.id for c in synced)


async def test_invalid_command_names_are_refused(fake_discord: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.none())
    async with running_client(client):
        with pytest.raises(discord.HTTPException) as caught:
            await client.http.bulk_upsert_guild_commands(
                fake_discord.application_id,
                fake_discord.guild.id,
                [{"name": "Bad Name", "description": "x", "type": 1}],
            )
        assert caught.value.code == 50035


async def test_slash_command_ephemeral_reply(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    async with running_client(bot):
        sent = await fake_discord.dispatch_slash_command("lookup", {"actor": "Hamas", "days": 3})
        callback = await sent.callback()
        assert callback.status == 200
        assert callback.json["type"] == 4
        assert callback.json["data"]["flags"] & EPHEMERAL
        assert callback.json["data"]["content"] == "Hamas: nothing in 3 days"
        assert callback.query["with_response"] == "1"
        reply = await sent.reply()
        assert reply["flags"] & EPHEMERAL and reply["interaction_metadata"]["id"] == str(sent.id)


async def test_deferred_reply_then_followup_embed(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    async with running_client(bot):
        sent = await fake_discord.dispatch_slash_command("report", {"region": "Levant"})
        assert (await sent.callback()).json["type"] == 5
        followup = await sent.followup()
        assert followup.query["wait"] == "1"
        (embed,) = followup.json["embeds"]
        assert embed["title"] == "Digest: Levant"
        assert embed["fields"] == [{"name": "Iraq", "value": "2 items", "inline": True}]
        reply = await sent.reply()  # the follow-up replaced the "thinking" message
        assert reply["embeds"][0]["title"] == "Digest: Levant"
        assert len(sent.messages) == 1


async def test_autocomplete_returns_choices(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    async with running_client(bot):
        sent = await fake_discord.dispatch_autocomplete(
            "lookup", {"actor": "kata"}, focused="actor"
        )
        callback = await sent.callback()
        assert callback.json["type"] == 8
        choices = callback.json["data"]["choices"]
        assert [c["value"] for c in choices] == ["Kataib Hezbollah", "Kataib Sayyid al-Shuhada"]


async def test_subcommand_with_resolved_channel(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    digest = fake_discord.guild.channel("digest")
    async with running_client(bot):
        sent = await fake_discord.dispatch_slash_command(
            "feeds add", {"url": "https://news.example.org/rss", "channel": digest}
        )
        callback = await sent.callback()
        assert (
            callback.json["data"]["content"]
            == f"Added https://news.example.org/rss to <#{digest.id}>"
        )


async def test_permission_check_and_button_from_another_user(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    admin, other = fake_discord.user("admin"), fake_discord.user("bystander")
    async with running_client(bot):
        denied = await fake_discord.dispatch_slash_command("confirm", user=other)
        assert (await denied.callback()).json["data"]["content"] == "You need Manage Server."

        asked = await fake_discord.dispatch_slash_command(
            "confirm", user=admin, permissions=MANAGE_GUILD
        )
        prompt = await asked.reply()
        assert prompt["components"][0]["components"][0]["custom_id"] == "confirm"

        stranger = await fake_discord.dispatch_component(prompt["id"], "confirm", user=other)
        refused = await stranger.callback()
        assert refused.json["type"] == 4 and refused.json["data"]["flags"] & EPHEMERAL

        owner_click = await fake_discord.dispatch_component(prompt["id"], "confirm", user=admin)
        assert (await owner_click.callback()).json["type"] == 7
        assert fake_discord.messages[int(prompt["id"])]["content"] == "Confirmed."
        assert fake_discord.messages[int(prompt["id"])]["components"] == []


async def test_channel_send_with_file_and_no_mentions(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    digest_id = fake_discord.guild.channel("digest").id
    async with running_client(bot):
        channel = bot.get_channel(digest_id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send(
            "@everyone digest for <@123>",
            embed=discord.Embed(title="Levant", url="https://news.example.org/a"),
            file=discord.File(io.BytesIO(b"id,title\n1,Strike\n"), filename="digest.csv"),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        request = fake_discord.requests_to("POST", f"/channels/{digest_id}/messages")[0]
        assert request.headers["Content-Type"].startswith("multipart/form-data")
        assert request.json["allowed_mentions"]["parse"] == []
        assert pings(request.json) == []
        assert request.json["embeds"][0]["title"] == "Levant"
        (upload,) = request.files
        assert (upload.field, upload.filename, upload.data) == (
            "files[0]",
            "digest.csv",
            b"id,title\n1,Strike\n",
        )
        assert sent.attachments[0].filename == "digest.csv"
        assert await sent.attachments[0].read() == b"id,title\n1,Strike\n"  # served on 127.0.0.1
        assert sent.author.id == fake_discord.bot_user.id


async def test_pings_follow_allowed_mentions() -> None:
    assert pings({"content": "@everyone <@1> <@&2>"}) == ["@everyone", "user:1", "role:2"]
    assert pings({"content": "<@1> <@2>", "allowed_mentions": {"parse": [], "users": [2]}}) == [
        "user:2"
    ]


async def test_injected_403_surfaces_as_forbidden(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    general_id = fake_discord.guild.channel("general").id
    fault = fake_discord.fail(
        "POST", "/channels/{channel_id}/messages", MISSING_PERMISSIONS, times=1
    )
    async with running_client(bot):
        channel = bot.get_channel(general_id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.Forbidden) as caught:
            await channel.send("hello")
        assert caught.value.code == 50013
        await channel.send("hello again")  # times=1: the next one goes through
    assert fault.hits == 1
    assert [
        r.status for r in fake_discord.requests_to("POST", f"/channels/{general_id}/messages")
    ] == [
        403,
        200,
    ]


async def test_permissions_and_unknown_channels_are_real_errors(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    async with running_client(bot):
        read_only = bot.get_partial_messageable(fake_discord.guild.channel("read-only").id)
        with pytest.raises(discord.Forbidden) as no_send:
            await read_only.send("x")
        hidden = bot.get_partial_messageable(fake_discord.guild.channel("mods-only").id)
        with pytest.raises(discord.Forbidden) as no_access:
            await hidden.send("x")
        with pytest.raises(discord.NotFound) as unknown:
            await bot.get_partial_messageable(42).send("x")
        fake_discord.fail("GET", "/channels/{channel_id}", UNKNOWN_CHANNEL)
        with pytest.raises(discord.NotFound):
            await bot.fetch_channel(fake_discord.guild.channel("general").id)
        with pytest.raises(discord.HTTPException) as too_long:
            await bot.get_partial_messageable(fake_discord.guild.channel("general").id).send(
                "x" * 2001
            )
    assert (no_send.value.code, no_access.value.code, unknown.value.code) == (50013, 50001, 10003)
    assert too_long.value.code == 50035 and "content" in str(too_long.value)


async def test_rate_limit_is_retried(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    fake_discord.rate_limit("POST", "/channels/{channel_id}/messages", retry_after=0.05, times=1)
    async with running_client(bot):
        message = await bot.get_partial_messageable(fake_discord.guild.channel("general").id).send(
            "x"
        )
    statuses = [
        r.status for r in fake_discord.requests_to("POST", "/channels/{channel_id}/messages")
    ]
    assert statuses == [429, 200] and message.content == "x"


async def test_double_acknowledgement_is_refused(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    second_ack: asyncio.Future[discord.HTTPException] = asyncio.get_running_loop().create_future()

    @bot.tree.command(guild=bot.guild_object, description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.followup.send("ok")
        route = discord.http.Route(  # past discord.py's own InteractionResponded guard
            "POST", "/interactions/{i}/{t}/callback", i=interaction.id, t=interaction.token
        )
        try:
            await bot.http.request(route, json={"type": 4, "data": {"content": "x"}})
        except discord.HTTPException as exc:
            second_ack.set_result(exc)

    async with running_client(bot):
        await fake_discord.dispatch_slash_command("twice")
        error = await asyncio.wait_for(second_ack, 5)
    assert (error.status, error.code) == (400, 40060)


async def test_followup_before_acknowledging_is_unknown_webhook(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    failure: asyncio.Future[discord.HTTPException] = asyncio.get_running_loop().create_future()

    @bot.tree.command(guild=bot.guild_object, description="Forgets to respond")
    async def forgetful(interaction: discord.Interaction) -> None:
        try:
            await interaction.followup.send("too early")
        except discord.NotFound as exc:
            failure.set_result(exc)

    async with running_client(bot):
        await fake_discord.dispatch_slash_command("forgetful")
        assert (await asyncio.wait_for(failure, 5)).code == 10015


async def test_original_and_followup_edits_and_channel_messages(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    @bot.tree.command(guild=bot.guild_object, description="Edits and cleans up")
    async def lifecycle(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("draft")
        original = await interaction.original_response()
        await interaction.edit_original_response(content=f"final {original.id}")
        extra = await interaction.followup.send("extra", wait=True)
        await extra.edit(content="extra edited")
        await extra.delete()
        assert isinstance(interaction.channel, discord.TextChannel)
        posted = await interaction.channel.send("posted")
        fetched = await interaction.channel.fetch_message(posted.id)
        await fetched.edit(content="posted edited")
        await fetched.delete()
        done.set_result(original.id)

    async with running_client(bot):
        await fake_discord.dispatch_slash_command("lifecycle")
        original_id = await asyncio.wait_for(done, 5)
    original = fake_discord.messages[original_id]
    assert original["content"] == f"final {original_id}" and original["edited_timestamp"]
    deleted = sorted(m["content"] for m in fake_discord.deleted_messages.values())
    assert deleted == ["extra edited", "posted edited"]
    channel_id = int(original["channel_id"])
    assert fake_discord.channel_messages(channel_id) == [original]
    assert fake_discord.bot_posts(channel_id) == []  # interaction replies are not posts
    assert fake_discord.unhandled == [] and all(r.ok for r in fake_discord.requests)


class NoteModal(discord.ui.Modal, title="Add a note"):
    note: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Note", custom_id="note")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Noted: {self.note.value}", ephemeral=True)


async def test_modal_then_submit(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    @bot.tree.command(guild=bot.guild_object, description="Opens a modal")
    async def note(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(NoteModal(custom_id="note-modal"))

    async with running_client(bot):
        opened = await fake_discord.dispatch_slash_command("note")
        modal = (await opened.callback()).json
        assert (modal["type"], modal["data"]["custom_id"]) == (9, "note-modal")
        submitted = await fake_discord.dispatch_modal_submit("note-modal", {"note": "convoy seen"})
        assert (await submitted.reply())["content"] == "Noted: convoy seen"


async def test_roles_give_permissions(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    admin = fake_discord.user("admin")
    fake_discord.guild.member_roles[admin.id] = [fake_discord.guild.role("Admins").id]
    async with running_client(bot):
        sent = await fake_discord.dispatch_slash_command("confirm", user=admin)
        assert int(sent.payload["member"]["permissions"]) & MANAGE_GUILD
        assert (await sent.reply())["content"] == "Remove feed?"


async def test_late_acknowledgement_is_unknown_interaction() -> None:
    async with fake_discord_server(ack_deadline=0.0) as server:
        server.slow("POST", "/interactions/{id}/{token}/callback", 0.01)
        async with running_client(TinyBot(server.guild.id)):
            sent = await server.dispatch_slash_command("lookup", {"actor": "Hamas"})
            callback = await sent.callback()
    assert (callback.status, callback.response["code"]) == (404, 10062)


async def test_user_message_reaches_on_message(fake_discord: FakeDiscord) -> None:
    intents = discord.Intents(guilds=True, guild_messages=True, message_content=True)
    client = discord.Client(intents=intents)
    async with running_client(client):
        waiting = asyncio.create_task(client.wait_for("message", timeout=5))
        await fake_discord.dispatch_message("hello bot", user=fake_discord.user("alice"))
        message = await waiting
    assert isinstance(message.channel, discord.TextChannel) and message.channel.name == "general"
    assert (message.content, message.author.name) == ("hello bot", "alice")


async def test_heartbeats_and_resume_after_dropped_connection() -> None:
    async with fake_discord_server(heartbeat_interval_ms=50) as server:
        client = TinyBot(server.guild.id)
        async with running_client(client):
            await server.wait_until(
                lambda: sum(op.op == 1 for op in server.gateway_ops) >= 3, what="three heartbeats"
            )
            assert client.latency < 1.0  # acks arrived
            resumed = asyncio.create_task(client.wait_for("resumed", timeout=5))
            await server.drop_connection(code=4000)
            await resumed
            (resume,) = [op.data for op in server.gateway_ops if op.op == 6]
            assert server.session is not None and resume["session_id"] == server.session.session_id
            resumed = asyncio.create_task(client.wait_for("resumed", timeout=5))
            await server.request_reconnect()  # op 7
            await resumed
            assert len(server.identifies) == 1  # resumed twice, never re-identified
            assert [c.number for c in server.connections] == [1, 2, 3]
            sent = await server.dispatch_slash_command("lookup", {"actor": "Hamas"})
            assert (await sent.callback()).ok


async def test_invalid_session_reidentifies(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    async with running_client(bot):
        await fake_discord.invalidate_session(resumable=False)
        await fake_discord.wait_until(
            lambda: len(fake_discord.identifies) == 2, what="a new IDENTIFY"
        )
        await fake_discord.wait_for_gateway()
        sent = await fake_discord.dispatch_slash_command("lookup", {"actor": "Hamas"})
        assert (await sent.callback()).ok


async def test_unsynced_command_is_a_test_error(fake_discord: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.none())
    async with running_client(client):
        with pytest.raises(LookupError, match="never synced"):
            await fake_discord.dispatch_slash_command("lookup", {"actor": "x"})


async def test_server_bug_answers_503_and_fails_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self: FakeDiscord, record: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(FakeDiscord, "_get_me", broken)
    with pytest.raises(AssertionError, match="boom"):
        async with fake_discord_server() as server:
            with pytest.raises(discord.DiscordServerError) as caught:
                await start_client(discord.Client(intents=discord.Intents.none()))
            assert caught.value.status == 503  # not retried: no 1-9 s sleeps
            assert [r.status for r in server.requests] == [503]


async def test_loopback_resolver_refuses_real_hosts() -> None:
    resolver = LoopbackOnlyResolver()
    with pytest.raises(OSError, match=r"discord\.com"):
        await resolver.resolve("discord.com", 443)
    assert (await resolver.resolve("localhost", 80))[0]["host"] == "127.0.0.1"


@pytest.mark.parametrize("compress", [None, "zlib-stream"])
async def test_raw_gateway_protocol(fake_discord: FakeDiscord, compress: str | None) -> None:
    """The wire format without discord.py: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats."""
    query = {"v": "10", "encoding": "json", **({"compress": compress} if compress else {})}
    inflate = zlib.decompressobj()

    async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        message = await ws.receive(timeout=5)
        if compress:
            assert message.type is aiohttp.WSMsgType.BINARY and message.data.endswith(
                b"\x00\x00\xff\xff"
            )
            return json.loads(inflate.decompress(message.data))
        assert message.type is aiohttp.WSMsgType.TEXT
        return json.loads(message.data)

    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(fake_discord.gateway_url, params=query) as ws,
    ):
        hello = await receive(ws)
        assert hello == {"op": 10, "d": {"heartbeat_interval": 41250}}
        await ws.send_json({"op": 1, "d": None})
        assert await receive(ws) == {"op": 11}
        await ws.send_json({"op": 2, "d": {"token": "test-token", "intents": 1, "properties": {}}})
        ready, guild_create = await receive(ws), await receive(ws)
    assert (ready["t"], ready["s"], guild_create["t"], guild_create["s"]) == (
        "READY",
        1,
        "GUILD_CREATE",
        2,
    )
    assert ready["d"]["resume_gateway_url"] == fake_discord.resume_gateway_url
    assert guild_create["d"]["id"] == str(fake_discord.guild.id)


async def test_dm_interaction_with_global_commands(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    user = fake_discord.user("dm-user")
    async with running_client(bot):
        bot.tree.add_command(lookup)  # global copy for DMs
        await bot.tree.sync()
        sent = await fake_discord.dispatch_slash_command(
            "lookup", {"actor": "Hamas"}, user=user, dm=True
        )
        callback = await sent.callback()
    assert callback.ok and "guild_id" not in sent.payload and sent.payload["context"] == 1
    put = fake_discord.requests_to("PUT", "/applications/{app}/commands")[0]
    assert [c["name"] for c in put.json] == ["lookup"]


# --- enforce_nonce: Discord's own guard against a retried send posting twice --------------------


class Clock:
    """The fake's clock in seconds, moved by hand: the nonce window without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def created_events(server: FakeDiscord) -> list[dict[str, Any]]:
    sent = server.session.sent if server.session else []
    return [event["d"] for event in sent if event["t"] == "MESSAGE_CREATE"]


async def post_message(bot: discord.Client, channel_id: int, body: dict[str, Any]) -> Any:
    """A raw create call: discord.py's send() always adds enforce_nonce with a nonce."""
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
    return await bot.http.request(route, json=body)


async def test_enforced_nonce_returns_the_first_message(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    digest = fake_discord.guild.channel("digest")
    async with running_client(bot):
        channel = bot.get_channel(digest.id)
        assert isinstance(channel, discord.TextChannel)
        first = await channel.send("Levant digest", nonce="sub1-2026-05-01-1")
        again = await channel.send("Levant digest (retried)", nonce="sub1-2026-05-01-1")
        history = [m async for m in channel.history(after=discord.Object(0))]
        fetched = await channel.fetch_message(first.id)
    create, retry = fake_discord.requests_to("POST", f"/channels/{digest.id}/messages")
    assert (create.json["enforce_nonce"], create.status, retry.status) == (True, 200, 200)
    assert (again.id, again.content, again.nonce) == (first.id, "Levant digest", first.nonce)
    assert fake_discord.deduplicated == [retry]
    assert [e["nonce"] for e in created_events(fake_discord)] == ["sub1-2026-05-01-1"]
    # The create answer carries the nonce; history and GET never show it again.
    assert create.response["nonce"] == "sub1-2026-05-01-1"
    assert [m.id for m in history] == [first.id] and fetched.nonce is None
    (listing,) = fake_discord.requests_to("GET", f"/channels/{digest.id}/messages")
    assert "nonce" not in listing.response[0]
    assert fake_discord.message_nonce(first.id) == "sub1-2026-05-01-1"
    assert [m["id"] for m in fake_discord.messages_with_nonce("sub1-2026-05-01-1")] == [
        str(first.id)
    ]


async def test_enforced_nonce_with_a_file(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    digest_id = fake_discord.guild.channel("digest").id
    async with running_client(bot):
        channel = bot.get_partial_messageable(digest_id)
        sent = [
            await channel.send(
                "chart",
                nonce="sub1-chart",
                file=discord.File(io.BytesIO(b"\x89PNG"), filename="chart.png"),
                suppress_embeds=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            for _ in range(2)
        ]
    first, retry = fake_discord.requests_to("POST", f"/channels/{digest_id}/messages")
    assert first.files and first.json["enforce_nonce"] and retry.files
    assert sent[0].id == sent[1].id and len(fake_discord.channel_messages(digest_id)) == 1
    assert len(fake_discord.attachments) == 1


async def test_nonce_is_per_channel_author_and_window(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    clock = Clock()
    fake_discord.clock = clock
    digest, general = (fake_discord.guild.channel(n).id for n in ("digest", "general"))
    async with running_client(bot):
        user_post = await fake_discord.dispatch_message("hi", channel=digest, nonce="n-1")
        in_digest = await bot.get_partial_messageable(digest).send("a", nonce="n-1")
        in_general = await bot.get_partial_messageable(general).send("b", nonce="n-1")
        clock.now += 300  # the window's edge: still the same message
        at_edge = await bot.get_partial_messageable(digest).send("c", nonce="n-1")
        clock.now += 1
        after_window = await bot.get_partial_messageable(digest).send("d", nonce="n-1")
    assert user_post["nonce"] == "n-1"
    assert len({int(user_post["id"]), in_digest.id, in_general.id, after_window.id}) == 4
    assert at_edge.id == in_digest.id
    assert [m["content"] for m in fake_discord.messages_with_nonce("n-1", digest)] == [
        "hi",
        "a",
        "d",
    ]
    assert len(fake_discord.messages_with_nonce("n-1")) == 4
    assert [m["content"] for m in fake_discord.bot_posts(digest)] == ["a", "d"]


async def test_nonce_without_enforce_nonce_duplicates(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    digest = fake_discord.guild.channel("digest").id
    async with running_client(bot):
        bodies = [await post_message(bot, digest, {"content": "x", "nonce": 7}) for _ in range(2)]
        enforced = await post_message(
            bot, digest, {"content": "x", "nonce": 7, "enforce_nonce": True}
        )
    assert bodies[0]["id"] != bodies[1]["id"] and bodies[0]["nonce"] == 7
    assert enforced["id"] == bodies[0]["id"]  # the int 7 and the text "7" are one nonce
    assert len(fake_discord.channel_messages(digest)) == 2
    assert len(fake_discord.deduplicated) == 1


@pytest.mark.parametrize(
    ("nonce", "accepted"),
    [("x" * 25, True), ("x" * 26, False), (10**24, True), (10**25, False), (True, False)],
)
async def test_nonce_must_be_short_text_or_integer(
    fake_discord: FakeDiscord, bot: TinyBot, nonce: Any, accepted: bool
) -> None:
    general = fake_discord.guild.channel("general").id
    async with running_client(bot):
        try:
            await post_message(bot, general, {"content": "x", "nonce": nonce})
        except discord.HTTPException as refused:
            assert (refused.status, refused.code) == (400, 50035) and "nonce" in str(refused)
            assert not accepted
        else:
            assert accepted
    assert len(fake_discord.channel_messages(general)) == int(accepted)


async def test_history_pages_forwards_after_a_message(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    """What a bot reads to reconcile after a crash: everything it posted after a known message."""
    digest = fake_discord.guild.channel("digest").id
    async with running_client(bot):
        channel = bot.get_partial_messageable(digest)
        sent = [await channel.send(f"part {n}") for n in range(5)]
        page = await bot.http.logs_from(digest, 2, after=sent[0].id)
        newest = await bot.http.logs_from(digest, 2)
        forwards = [m.content async for m in channel.history(after=sent[0], limit=None)]
        with pytest.raises(discord.HTTPException) as too_many:
            await bot.http.logs_from(digest, 101)
    assert [m["content"] for m in page] == ["part 2", "part 1"]  # newest first
    assert [m["content"] for m in newest] == ["part 4", "part 3"]
    assert forwards == ["part 1", "part 2", "part 3", "part 4"]
    assert too_many.value.code == 50035


async def test_history_is_empty_without_read_message_history(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    digest = fake_discord.guild.channel("digest")
    bot_role = fake_discord.guild.bot_role_ids[0]
    async with running_client(bot):
        channel = bot.get_partial_messageable(digest.id)
        await channel.send("posted")
        digest.overwrites.append(Overwrite(bot_role, deny=READ_MESSAGE_HISTORY))
        seen = [m async for m in channel.history(limit=10)]
    assert seen == [] and len(fake_discord.channel_messages(digest.id)) == 1


# --- holding a request: a bot that dies between or during sends --------------------------------


async def test_hold_before_create_then_release(fake_discord: FakeDiscord, bot: TinyBot) -> None:
    digest = fake_discord.guild.channel("digest").id
    held = fake_discord.hold("POST", "/channels/{channel_id}/messages")
    async with running_client(bot):
        sending = asyncio.create_task(bot.get_partial_messageable(digest).send("x", nonce="n"))
        request = await held.arrived()
        assert request.json["nonce"] == "n" and not fake_discord.channel_messages(digest)
        assert not sending.done()
        held.release()
        message = await sending
    assert [m["id"] for m in fake_discord.channel_messages(digest)] == [str(message.id)]
    assert held.released and not held.dropped


async def test_hold_after_create_then_hang_up_and_retry(
    fake_discord: FakeDiscord, bot: TinyBot
) -> None:
    """The crash exactly-once delivery must survive: Discord stored the message, the bot never
    heard back. Its retry with the same nonce gets that message instead of a second one."""
    digest = fake_discord.guild.channel("digest").id
    held = fake_discord.hold("POST", "/channels/{channel_id}/messages", after_create=True, nth=2)
    async with running_client(bot):
        channel = bot.get_partial_messageable(digest)
        first = await channel.send("part 1", nonce="d-1")  # nth=2: the first goes through
        sending = asyncio.create_task(channel.send("part 2", nonce="d-2"))
        request = await held.arrived()
        stored = fake_discord.channel_messages(digest)
        assert [m["content"] for m in stored] == ["part 1", "part 2"] and request.ok
        sending.cancel()  # as if the process died: the connection closes unanswered
        await held.client_gone()
        retried = await channel.send("part 2", nonce="d-2")
        late = await channel.send("part 3", nonce="d-3")  # holds catch one request only
    assert held.dropped and not held.released
    assert retried.id == int(stored[1]["id"]) and first.id == int(stored[0]["id"])
    assert [m["content"] for m in fake_discord.channel_messages(digest)] == [
        "part 1",
        "part 2",
        "part 3",
    ]
    assert late.content == "part 3"


# The real bot in a child process (tests/sitrep_process.py) is exercised by
# tests/test_digest_restart.py: started, SIGKILLed mid-digest twice, restarted, SIGTERMed.
