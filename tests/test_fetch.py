"""The fetcher against a real loopback server: limits, conditional GET, redirects, SSRF guard."""

from __future__ import annotations

import ipaddress

import pytest

from bot.ingest.fetch import Fetcher, FetchError, FetchLimits
from bot.ingest.guard import AddressPolicy
from tests.conftest import TEST_LIMITS
from tests.feedserver import FeedServer, rss


async def test_content_then_not_modified(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.feeds["a"] = rss([("1", "One")])
    first = await fetcher.fetch(feed_server.url("feed/a"))
    assert first.kind == "content" and b"<title>One</title>" in first.body
    assert first.etag and first.last_modified
    second = await fetcher.fetch(feed_server.url("feed/a"), first.etag, first.last_modified)
    assert second.kind == "not_modified" and second.body == b""
    assert feed_server.conditional_hits["a"] == 1


async def test_sends_user_agent_and_gzip(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.feeds["a"] = rss([("1", "One")])
    result = await fetcher.fetch(feed_server.url("gzip-feed/a"))
    assert result.body == feed_server.feeds["a"]  # decompressed by us
    await fetcher.fetch(feed_server.url("feed/a"))
    headers = feed_server.last_headers["a"]
    assert headers["User-Agent"].startswith("Sitrep/") and headers["Accept-Encoding"] == "gzip"


@pytest.mark.parametrize(
    ("path", "reason_part", "retry_after"),
    [
        ("status/500", "HTTP 500", None),
        ("status/404", "HTTP 404", None),
        ("status/429?retry_after=120", "HTTP 429", 120.0),
        ("status/503?retry_after=Wed, 21 Oct 2015 07:28:00 GMT", "HTTP 503", 0.0),
        ("invalid", None, None),
    ],
    ids=["500", "404", "429-seconds", "503-date-in-past", "invalid-xml-is-fetched-fine"],
)
async def test_http_errors(feed_server, fetcher, path, reason_part, retry_after) -> None:
    if reason_part is None:
        result = await fetcher.fetch(feed_server.url(path))
        assert result.kind == "content"
        return
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(feed_server.url(path))
    assert reason_part in caught.value.reason
    assert caught.value.retry_after == retry_after


@pytest.mark.parametrize("path", ["hang", "slow"], ids=["hanging", "one-byte-per-second"])
async def test_total_timeout(feed_server: FeedServer, path: str) -> None:
    limits = FetchLimits(timeout_connect=1.0, timeout_total=1.0)
    async with Fetcher(limits, AddressPolicy(allow_private=True)) as fetcher:
        with pytest.raises(FetchError, match="timed out after 1 s"):
            await fetcher.fetch(feed_server.url(path))


@pytest.mark.parametrize("path", ["huge", "huge-declared", "gzip-bomb"])
async def test_body_cap(feed_server: FeedServer, fetcher: Fetcher, path: str) -> None:
    with pytest.raises(FetchError, match="limit"):
        await fetcher.fetch(feed_server.url(path))


async def test_gzip_bomb_stops_at_the_cap(feed_server: FeedServer) -> None:
    limits = FetchLimits(max_body_bytes=1024 * 1024)
    async with Fetcher(limits, AddressPolicy(allow_private=True)) as fetcher:
        with pytest.raises(FetchError, match="1,048,576-byte limit"):
            await fetcher.fetch(feed_server.url("gzip-bomb"))


async def test_redirect_chain_within_limit(feed_server: FeedServer, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(feed_server.url("redirect/5"))
    assert result.url.endswith("/redirect/0") and b"End of the chain" in result.body


async def test_redirect_chain_too_long(feed_server: FeedServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="more than 5 redirects"):
        await fetcher.fetch(feed_server.url("redirect/6"))


async def test_connection_refused_is_a_reason(fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="cannot connect"):
        await fetcher.fetch("http://127.0.0.1:9/feed")


# --- the SSRF guard, on ------------------------------------------------------------------------


@pytest.fixture
async def outside_server():
    """A server on 127.0.0.2, the one address the guarded fetcher below may reach: it stands
    for a public host, so redirects from it to forbidden addresses can be tested."""
    server = FeedServer(host="127.0.0.2")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def guarded_fetcher():
    policy = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.2/32"),))
    async with Fetcher(TEST_LIMITS, policy) as opened:
        yield opened


async def test_guard_refuses_loopback_when_off(feed_server: FeedServer) -> None:
    feed_server.feeds["a"] = rss([("1", "One")])
    async with Fetcher(TEST_LIMITS, AddressPolicy()) as fetcher:
        with pytest.raises(FetchError, match="loopback"):
            await fetcher.fetch(feed_server.url("feed/a"))
        with pytest.raises(FetchError, match=r"resolves to 127\.0\.0\.1, a loopback address"):
            await fetcher.fetch(f"http://localhost:{feed_server.port}/feed/a")
    assert feed_server.hits["a"] == 0


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("http://127.0.0.1:{port}/feed/a", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:127.0.0.1]:{port}/feed/a", "IPv4-mapped"),
        ("http://10.0.0.1/feed", "private"),
        ("file:///etc/passwd", "only http and https"),
    ],
    ids=["loopback", "cloud-metadata", "ipv4-mapped", "private", "file-scheme"],
)
async def test_guard_checks_every_redirect_hop(
    outside_server: FeedServer, guarded_fetcher: Fetcher, feed_server: FeedServer, target, problem
) -> None:
    feed_server.feeds["a"] = rss([("1", "One")])
    target = target.format(port=feed_server.port)
    with pytest.raises(FetchError, match=problem):
        await guarded_fetcher.fetch(outside_server.url("redirect-to?url=" + target))
    assert feed_server.hits["a"] == 0  # the forbidden host never saw a request


async def test_guard_allows_listed_network(outside_server: FeedServer, guarded_fetcher) -> None:
    outside_server.feeds["a"] = rss([("1", "One")])
    result = await guarded_fetcher.fetch(outside_server.url("feed/a"))
    assert result.kind == "content"
