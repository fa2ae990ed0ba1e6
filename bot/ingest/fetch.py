"""HTTP fetching of feeds: one shared aiohttp session with hard limits.

Limits: global and per-host concurrency, connect and total timeouts (the total one starts when
the request gets its slot, so queueing never eats a feed's time), a cap on the decoded body
enforced while streaming (we decompress ourselves, so a gzip bomb stops at the cap), at most
`max_redirects` hops, each re-checked by the SSRF guard. Fetching returns bytes and headers;
parsing is someone else's job.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urljoin, urlsplit

import aiohttp

from bot.ingest.guard import AddressPolicy, BlockedAddressError, GuardedResolver, check_url
from bot.ingest.schedule import parse_retry_after

log = logging.getLogger(__name__)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_LATER_STATUSES = frozenset({429, 503})
# Headers feedparser may use (encoding, base URL, language); nothing else leaves the fetcher.
PARSER_HEADERS = ("content-type", "content-location", "content-language")


@dataclass(frozen=True)
class FetchLimits:
    user_agent: str = "Sitrep/0.1 (security news digest bot)"
    timeout_connect: float = 10.0
    timeout_total: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    concurrency: int = 32
    per_host_concurrency: int = 2


@dataclass(frozen=True)
class FetchResult:
    kind: Literal["content", "not_modified"]
    url: str  # after redirects
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)  # PARSER_HEADERS only, lower-case
    etag: str | None = None
    last_modified: str | None = None


class FetchError(Exception):
    """A failed fetch: `reason` is what `feeds list` shows; `retry_after` is seconds or None."""

    def __init__(
        self, reason: str, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status


class _BodyDecoder:
    """Decodes Content-Encoding incrementally and refuses to grow past the cap."""

    def __init__(self, encoding: str, cap: int) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._zlib = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            self._zlib = zlib.decompressobj(32 + zlib.MAX_WBITS)  # accepts gzip and zlib headers
        else:
            raise FetchError(f"unsupported Content-Encoding {encoding!r}")
        self._cap = cap
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        if self._zlib is None:
            self._append(chunk)
            return
        while chunk:
            try:
                # Ask for one byte more than the room left: getting it proves the body too big.
                self._append(self._zlib.decompress(chunk, self._cap - self._size + 1))
            except zlib.error as error:
                raise FetchError(f"corrupt compressed body: {error}") from None
            chunk = self._zlib.unconsumed_tail

    def finish(self) -> bytes:
        if self._zlib is not None:
            self._append(self._zlib.flush())
        return b"".join(self._parts)

    def _append(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._cap:
            raise FetchError(f"body larger than the {self._cap:,}-byte limit; not read further")
        self._parts.append(data)


class Fetcher:
    """Owns the shared session. Use `async with Fetcher(...) as fetcher`."""

    def __init__(self, limits: FetchLimits, policy: AddressPolicy) -> None:
        self.limits = limits
        self.policy = policy
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(limits.concurrency)
        self._host_slots: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Self:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self.policy),
            limit=self.limits.concurrency,
            limit_per_host=self.limits.per_host_concurrency,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            trust_env=False,  # an environment proxy would bypass the address checks
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.limits.timeout_connect),
            headers={"User-Agent": self.limits.user_agent, "Accept-Encoding": "gzip"},
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """Fetch one feed. Raises FetchError with a reason a person can act on."""
        host = urlsplit(url).hostname or ""
        host_slot = self._host_slots.setdefault(
            host, asyncio.Semaphore(self.limits.per_host_concurrency)
        )
        async with self._slots, host_slot:
            try:
                async with asyncio.timeout(self.limits.timeout_total):
                    return await self._follow(url, _conditional_headers(etag, last_modified))
            except TimeoutError:
                raise FetchError(f"timed out after {self.limits.timeout_total:g} s") from None
            except aiohttp.ClientError as error:
                raise FetchError(_describe_client_error(error)) from None
            except BlockedAddressError as error:
                raise FetchError(str(error)) from None

    async def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        assert self._session is not None, "use Fetcher inside `async with`"
        for _hop in range(self.limits.max_redirects + 1):
            check_url(url, self.policy)
            async with self._session.get(url, headers=headers, allow_redirects=False) as response:
                if response.status not in REDIRECT_STATUSES:
                    return await self._result(url, response)
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(f"HTTP {response.status} redirect without a Location")
                url = urljoin(url, location)
        raise FetchError(f"more than {self.limits.max_redirects} redirects")

    async def _result(self, url: str, response: aiohttp.ClientResponse) -> FetchResult:
        if response.status == 304:
            return FetchResult("not_modified", url)
        if response.status in RETRY_LATER_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
            raise FetchError(
                _status_text(response), retry_after=retry_after, status=response.status
            )
        if not 200 <= response.status < 300:
            raise FetchError(_status_text(response), status=response.status)
        body = await self._read_body(response)
        headers = {
            name: response.headers[name] for name in PARSER_HEADERS if name in response.headers
        }
        return FetchResult(
            "content",
            url,
            body,
            headers,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )

    async def _read_body(self, response: aiohttp.ClientResponse) -> bytes:
        cap = self.limits.max_body_bytes
        encoding = response.headers.get("Content-Encoding", "")
        if not encoding and (response.content_length or 0) > cap:
            raise FetchError(
                f"body of {response.content_length:,} bytes exceeds the {cap:,}-byte limit"
            )
        decoder = _BodyDecoder(encoding, cap)
        async for chunk in response.content.iter_chunked(64 * 1024):
            decoder.feed(chunk)
        return decoder.finish()


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _status_text(response: aiohttp.ClientResponse) -> str:
    return f"HTTP {response.status} {response.reason or ''}".strip()


def _describe_client_error(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ClientConnectorDNSError | aiohttp.ClientConnectorError):
        cause = error.os_error
        if isinstance(cause, BlockedAddressError):
            return str(cause)
        if isinstance(error, aiohttp.ClientConnectorCertificateError):
            return f"TLS certificate problem for {error.host}: {error.certificate_error}"
        if isinstance(error, aiohttp.ClientConnectorDNSError):
            return f"cannot resolve {error.host}"
        return f"cannot connect to {error.host}:{error.port} ({cause.strerror or cause})"
    if isinstance(error, aiohttp.ClientPayloadError):
        return f"broken response body ({error})"
    if isinstance(error, aiohttp.InvalidURL):
        return f"invalid URL {error.url}"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    if isinstance(error, aiohttp.ClientSSLError | ssl.SSLError):
        return f"TLS error ({error})"
    return f"HTTP client error ({type(error).__name__}: {error})"
