"""A loopback HTTP server for feed tests: real aiohttp, real sockets, only 127.0.0.x.

It serves registered feed bodies with ETag/Last-Modified (and answers 304), plus every
misbehaviour the fetcher must survive: errors, 429 with Retry-After, hanging and trickling
responses, oversized bodies, a gzip bomb, redirect chains and redirects to forbidden hosts.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import hashlib
from collections import Counter
from pathlib import Path

from aiohttp import web

LAST_MODIFIED = "Mon, 02 Nov 2026 10:00:00 GMT"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def rss(items: list[tuple[str, str]], title: str = "Test feed", guid_prefix: str = "") -> bytes:
    """A small RSS 2.0 document; items are (guid, title); links derive from the guid."""
    entries = "".join(
        f"<item><guid>{guid_prefix}{guid}</guid><title>{text}</title>"
        f"<link>https://news.example.org/{guid_prefix}{guid}?utm_source=rss</link>"
        f"<description>&lt;p&gt;About {text}&lt;/p&gt;</description>"
        f"<pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate></item>"
        for guid, text in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://news.example.org/</link>{entries}</channel></rss>"
    ).encode()


@functools.cache
def _gzip_bomb(decoded_size: int) -> bytes:
    return gzip.compress(b"\0" * decoded_size, compresslevel=9)


class FeedServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.feeds: dict[str, bytes] = {}
        self.hits: Counter[str] = Counter()
        self.conditional_hits: Counter[str] = Counter()
        self.last_headers: dict[str, dict[str, str]] = {}  # feed name -> request headers
        self._runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/feed/{name}", self.feed)
        app.router.add_get("/delayed/{name}", self.delayed)
        app.router.add_get("/status/{code}", self.status)
        app.router.add_get("/hang", self.hang)
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/huge", self.huge)
        app.router.add_get("/huge-declared", self.huge_declared)
        app.router.add_get("/gzip-bomb", self.gzip_bomb)
        app.router.add_get("/gzip-feed/{name}", self.gzip_feed)
        app.router.add_get("/redirect/{hops}", self.redirect)
        app.router.add_get("/redirect-to", self.redirect_to)
        app.router.add_get("/invalid", self.invalid)
        app.router.add_get("/corpus/{path:.+}", self.corpus)
        return app

    async def start(self) -> None:
        # Cancel handlers of clients that went away, and do not wait a minute for hanging ones.
        self._runner = web.AppRunner(
            self.app(), access_log=None, handler_cancellation=True, shutdown_timeout=0.2
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def feed(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits[name] += 1
        self.last_headers[name] = dict(request.headers)
        body = self.feeds.get(name)
        if body is None:
            return web.Response(status=404, text="no such feed")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            self.conditional_hits[name] += 1
            return web.Response(status=304, headers={"ETag": etag})
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        return web.Response(body=body, content_type="application/rss+xml", headers=headers)

    async def delayed(self, request: web.Request) -> web.StreamResponse:
        """A feed that answers after `?delay=` seconds: passes that take a while."""
        await asyncio.sleep(float(request.query.get("delay", "0.5")))
        return await self.feed(request)

    async def status(self, request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        self.hits[f"status/{code}"] += 1
        headers = {}
        if "retry_after" in request.query:
            headers["Retry-After"] = request.query["retry_after"]
        return web.Response(status=code, text="nope", headers=headers)

    async def hang(self, request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        return web.Response(text="too late")

    async def slow(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        for byte in rss([("slow", "Slow")]):
            await response.write(bytes([byte]))
            await asyncio.sleep(1.0)
        return response

    async def huge(self, request: web.Request) -> web.StreamResponse:
        """11 MiB streamed without a Content-Length: only counting stops it."""
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        chunk = b"<!-- padding -->" * 4096
        for _ in range(11 * 1024 * 1024 // len(chunk) + 1):
            await response.write(chunk)
        return response

    async def huge_declared(self, request: web.Request) -> web.Response:
        return web.Response(body=b"x" * (11 * 1024 * 1024), content_type="application/rss+xml")

    async def gzip_bomb(self, request: web.Request) -> web.Response:
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}
        return web.Response(body=_gzip_bomb(64 * 1024 * 1024), headers=headers)

    async def gzip_feed(self, request: web.Request) -> web.Response:
        body = gzip.compress(self.feeds[request.match_info["name"]])
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}
        return web.Response(body=body, headers=headers)

    async def redirect(self, request: web.Request) -> web.Response:
        hops = int(request.match_info["hops"])
        if hops == 0:
            return web.Response(
                body=rss([("end", "End of the chain")]), content_type="application/rss+xml"
            )
        raise web.HTTPFound(f"/redirect/{hops - 1}")

    async def redirect_to(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["url"])

    async def invalid(self, request: web.Request) -> web.Response:
        return web.Response(body=b"<rss><channel><item><title>broken", content_type="text/xml")

    async def corpus(self, request: web.Request) -> web.Response:
        path = (CORPUS / request.match_info["path"]).resolve()
        if CORPUS not in path.parents or not path.is_file():
            return web.Response(status=404)
        return web.Response(body=path.read_bytes())
