"""Every shared corpus file goes through fetch, parse, normalise and store without an exception
escaping: it is stored, or the feed is recorded as failed with a reason."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from tests.feedserver import CORPUS, FeedServer

CORPUS_FILES = sorted(
    path.relative_to(CORPUS).as_posix()
    for path in CORPUS.rglob("*")
    if path.is_file() and path.suffix != ".md"
)
pytestmark = pytest.mark.skipif(not CORPUS_FILES, reason="../shared/corpus is not beside the repo")


@pytest.mark.slow
async def test_every_corpus_file_is_stored_or_rejected_with_reason(
    feed_server: FeedServer, storage, poller
) -> None:
    assert len(CORPUS_FILES) > 2000
    urls = [(feed_server.url(f"corpus/{name}"), None) for name in CORPUS_FILES]
    await storage.feeds.add_many(urls, datetime.now(UTC))
    results = await poller.poll(await poller.due_feeds(everything=True))
    outcomes = Counter(result.outcome for result in results)
    assert outcomes["new"] + outcomes["unchanged"] > 1000  # fixtures share URLs: stored once
    for result in results:
        if result.outcome == "failed":
            assert result.reason, result.url
            assert not result.reason.startswith("internal error"), (result.url, result.reason)
    failed = {result.feed_id for result in results if result.outcome == "failed"}
    for feed in await storage.feeds.all():
        assert (feed.last_error is not None) == (feed.id in failed)
    integrity = await storage.database.fetch_value("PRAGMA integrity_check")
    assert integrity == "ok"
    # The real feeds hold a few deliberate non-feeds and invalid fixtures; the rest must read.
    real_failures = {r.url: r.reason for r in results if "/real-feeds/" in r.url and r.reason}
    assert len(real_failures) <= 12, real_failures
