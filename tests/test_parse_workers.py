"""Parsing and tagging in worker processes (ParseWorkers, what `run` uses): the same articles
and tags as in a thread, and a worker that dies costs one feed, not every later one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from bot.app import Tagging
from bot.ingest.fetch import Fetcher
from bot.ingest.poller import ParseWorkers, Poller, WorkerTagger
from bot.settings import load_settings
from main import build_tagging
from storage import Storage, open_storage
from storage.types import ArticleTags
from tests.conftest import POLICY
from tests.feedserver import FeedServer, rss

ITEMS = [
    ("1", "Kataib Hezbollah claims drone strike near Erbil"),
    ("2", "RSF shells El Fasher as famine spreads in Darfur"),
    ("3", "Talks in Doha"),
]


@pytest.fixture
def workers() -> Iterator[ParseWorkers]:
    pool = ParseWorkers(1, partial(build_tagging, load_settings(environ={})))
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


async def stored_tags(storage: Storage) -> dict[str, ArticleTags]:
    articles = await storage.articles.find()
    tags = await storage.tags.for_articles([article.id for article in articles])
    return {article.title: tags[article.id] for article in articles}


@pytest.mark.slow
async def test_workers_store_what_a_thread_stores(
    tmp_path: Path,
    feed_server: FeedServer,
    fetcher: Fetcher,
    tagging: Tagging,
    workers: ParseWorkers,
) -> None:
    feed_server.feeds["wire"] = rss(ITEMS, title="Wire")
    url = feed_server.url("feed/wire")
    in_thread = partial(Poller, policy=POLICY, tagger=tagging)
    in_worker = partial(
        Poller, policy=POLICY, executor=workers, tagger=WorkerTagger(tagging.version)
    )
    results = []
    for name, poller_of in (("thread", in_thread), ("worker", in_worker)):
        async with open_storage(tmp_path / f"{name}.db") as storage:
            feed = await storage.feeds.add(url, datetime.now(UTC))
            result = await poller_of(storage, fetcher).poll_feed(feed)
            assert (result.outcome, result.new) == ("new", len(ITEMS)), result
            results.append(await stored_tags(storage))
    thread, worker = results
    assert worker == thread
    assert worker[ITEMS[0][1]].actors  # tagged, not just stored


@pytest.mark.slow
async def test_a_dead_worker_costs_one_call_then_new_workers_parse(
    storage: Storage, feed_server: FeedServer, fetcher: Fetcher
) -> None:
    pool = ParseWorkers(1, None)  # no tagger: parsing only
    try:
        with pytest.raises(BrokenProcessPool):
            pool.submit(os._exit, 1).result()  # the worker dies (as if killed, out of memory)
        feed_server.feeds["wire"] = rss(ITEMS, title="Wire")
        feed = await storage.feeds.add(feed_server.url("feed/wire"), datetime.now(UTC))
        result = await Poller(storage, fetcher, POLICY, executor=pool).poll_feed(feed)
        assert (result.outcome, result.new) == ("new", len(ITEMS)), result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def test_a_worker_tagger_outside_a_worker_is_a_bug() -> None:
    with pytest.raises(AssertionError, match="outside a ParseWorkers process"):
        WorkerTagger("v1").tag_batch([("Strike near Erbil", "")])
