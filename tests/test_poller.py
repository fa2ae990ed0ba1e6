"""The polling pipeline end to end: loopback HTTP -> parse -> store in a real SQLite file."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bot.ingest.fetch import Fetcher
from bot.ingest.poller import FeedResult, Poller
from storage import Storage
from tests.conftest import POLICY
from tests.feedserver import FeedServer, rss


class CountingExecutor(ThreadPoolExecutor):
    """A real thread pool that counts the work handed to it (parsing, tagging)."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


async def _add(storage: Storage, server: FeedServer, name: str, items) -> int:
    server.feeds[name] = rss(items, title=name)
    feed = await storage.feeds.add(server.url(f"feed/{name}"), datetime.now(UTC))
    return feed.id


async def _poll_all(poller: Poller) -> list[FeedResult]:
    return await poller.poll(await poller.due_feeds(everything=True))


async def test_first_poll_is_backlog_then_only_new_items(feed_server, storage, poller) -> None:
    await _add(storage, feed_server, "a", [("1", "One"), ("2", "Two")])
    [first] = await _poll_all(poller)
    assert (first.outcome, first.new, first.entries) == ("new", 2, 2)
    assert all(article.backlog for article in await storage.articles.find())

    feed_server.feeds["a"] = rss([("3", "Three"), ("1", "One"), ("2", "Two")], title="a")
    [second] = await _poll_all(poller)
    assert (second.outcome, second.new) == ("new", 1)
    articles = await storage.articles.find()
    assert sorted((a.title, a.backlog) for a in articles) == [
        ("One", True),
        ("Three", False),
        ("Two", True),
    ]
    assert articles[0].url == "https://news.example.org/3"  # tracking parameters gone
    assert articles[0].summary == "About Three"  # HTML stripped


async def test_not_modified_costs_no_parse_and_no_write(feed_server, storage, fetcher) -> None:
    executor = CountingExecutor()
    poller = Poller(storage, fetcher, POLICY, executor=executor, random_fraction=lambda: 0.0)
    feed_id = await _add(storage, feed_server, "a", [("1", "One")])
    await _poll_all(poller)
    parses = executor.submitted
    before = await storage.feeds.get_by_id(feed_id)
    [result] = await _poll_all(poller)
    after = await storage.feeds.get_by_id(feed_id)
    assert result.outcome == "not_modified"
    assert executor.submitted == parses  # nothing parsed
    assert feed_server.conditional_hits["a"] == 1
    changed = {name for name in before.__slots__ if getattr(before, name) != getattr(after, name)}
    assert changed <= {"last_checked", "next_check"}
    assert await storage.articles.count() == 1
    executor.shutdown()


async def test_unchanged_body_without_validators_adds_nothing(storage, poller, feed_server):
    await _add(storage, feed_server, "a", [("1", "One")])
    feed = (await storage.feeds.all())[0]
    feed_server.feeds["b"] = feed_server.feeds["a"]
    for _ in range(2):
        await poller.poll_feed(await storage.feeds.get_by_id(feed.id))
    # Same items under another feed's URL: their canonical URLs are already stored.
    other = await storage.feeds.add(feed_server.url("feed/b"), datetime.now(UTC))
    result = await poller.poll_feed(other)
    assert (result.outcome, result.new) == ("unchanged", 0)
    assert await storage.articles.count() == 1


async def test_feed_reusing_one_guid_keeps_every_item(feed_server, storage, poller) -> None:
    body = rss([("same", "First story"), ("same", "Second story")]).replace(
        b"news.example.org/same?utm_source=rss</link><description>&lt;p&gt;About Second",
        b"news.example.org/second</link><description>&lt;p&gt;About Second",
    )
    feed_server.feeds["a"] = body
    await storage.feeds.add(feed_server.url("feed/a"), datetime.now(UTC))
    [result] = await _poll_all(poller)
    assert result.new == 2
    [result] = await _poll_all(poller)
    assert result.outcome == "not_modified"


async def test_failures_back_off_then_disable(feed_server, storage, poller) -> None:
    feed = await storage.feeds.add(feed_server.url("status/500"), datetime.now(UTC))
    delays = []
    for _ in range(POLICY.max_failures):
        result = await poller.poll_feed(await storage.feeds.get_by_id(feed.id))
        stored = await storage.feeds.get_by_id(feed.id)
        assert result.outcome == "failed" and "HTTP 500" in (result.reason or "")
        assert stored.last_error == result.reason
        assert stored.last_checked is not None
        delays.append(stored.next_check - stored.last_checked)
    assert delays == [timedelta(seconds=900), timedelta(seconds=1800), timedelta(seconds=3600)]
    assert stored.error_count == POLICY.max_failures
    assert stored.disabled_reason and "3 consecutive failures" in stored.disabled_reason
    assert result.disabled == stored.disabled_reason
    assert await poller.due_feeds(everything=True) == []


async def test_retry_after_is_honoured(feed_server, storage, poller) -> None:
    feed = await storage.feeds.add(
        feed_server.url("status/429?retry_after=7200"), datetime.now(UTC)
    )
    await poller.poll_feed(feed)
    stored = await storage.feeds.get_by_id(feed.id)
    assert stored.last_checked is not None
    assert stored.next_check - stored.last_checked == timedelta(seconds=7200)


async def test_gone_disables_at_once(feed_server, storage, poller) -> None:
    feed = await storage.feeds.add(feed_server.url("status/410"), datetime.now(UTC))
    result = await poller.poll_feed(feed)
    assert result.disabled and "gone" in result.disabled


async def test_bozo_feed_with_entries_is_read_with_a_warning(feed_server, storage, poller) -> None:
    body = rss([("1", "One"), ("2", "Two")]).replace(b"</channel>", b"<broken></channel>")
    feed_server.feeds["bozo"] = body
    feed = await storage.feeds.add(feed_server.url("feed/bozo"), datetime.now(UTC))
    result = await poller.poll_feed(feed)
    assert (result.outcome, result.new) == ("new", 2)
    assert result.warning and "read despite errors" in result.warning
    assert (await storage.feeds.get_by_id(feed.id)).last_error is None


async def test_invalid_xml_is_a_failure_with_reason(feed_server, storage, poller) -> None:
    feed = await storage.feeds.add(feed_server.url("invalid"), datetime.now(UTC))
    result = await poller.poll_feed(feed)
    assert result.outcome == "failed" and "not a readable feed" in (result.reason or "")


async def test_one_bad_feed_never_delays_the_others(feed_server, storage, poller) -> None:
    await storage.feeds.add(feed_server.url("hang"), datetime.now(UTC))
    await _add(storage, feed_server, "a", [("1", "One")])
    await _add(storage, feed_server, "b", [("2", "Two")])
    order: list[str] = []
    results = await poller.poll(
        await poller.due_feeds(everything=True), on_result=lambda r: order.append(r.outcome)
    )
    assert order == ["new", "new", "failed"]  # the good feeds finished while /hang still hung
    assert [r.outcome for r in results] == ["failed", "new", "new"]  # results in feed order
    assert "timed out" in (results[0].reason or "")


async def test_guard_off_records_refusal(feed_server, storage) -> None:
    from bot.ingest.guard import AddressPolicy
    from tests.conftest import TEST_LIMITS

    await _add(storage, feed_server, "a", [("1", "One")])
    async with Fetcher(TEST_LIMITS, AddressPolicy()) as fetcher:
        poller = Poller(storage, fetcher, POLICY)
        [result] = await _poll_all(poller)
    assert result.outcome == "failed" and "loopback" in (result.reason or "")
    assert feed_server.hits["a"] == 0
