"""Tag storage: written with the article, read back with evidence, replaced by retag."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import Storage
from storage.types import ActorTag, ArticleTags, CountryTag, Evidence, FeedState, NewArticle

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
IRAQ = CountryTag(
    "IQ", "location", 0.9, (Evidence("Baghdad", "title", 10), Evidence("Iraqi", "body", 0))
)
IRAN = CountryTag("IR", "mention", 0.4, (Evidence("Iranian-backed", "body", 20),))
KH = ActorTag("kataib-hezbollah", 0.8, (Evidence("Kata'ib Hizballah", "body", 35),))


def _article(key: str, tags: ArticleTags | None) -> NewArticle:
    return NewArticle(key, key, f"https://x.test/{key}", f"Title {key}", "Summary", None, key, tags)


async def _store(storage: Storage, articles: list[NewArticle], version: str | None) -> list[int]:
    feed = await storage.feeds.add(f"https://x.test/feed-{len(articles)}", NOW)
    state = FeedState(NOW, NOW)
    return await storage.articles.store_fetch(feed.id, articles, state, NOW, False, version)


async def test_tags_stored_with_article_and_read_back(storage: Storage) -> None:
    tags = ArticleTags((IRAQ, IRAN), (KH,))
    [article_id] = await _store(storage, [_article("a", tags)], "v1")
    assert (await storage.tags.for_articles([article_id]))[article_id] == tags
    assert await storage.tags.count_needing_tags("v1") == 0
    assert await storage.tags.count_needing_tags("v2") == 1


async def test_untagged_articles_are_listed_for_retag_in_batches(storage: Storage) -> None:
    ids = await _store(storage, [_article(str(n), None) for n in range(5)], None)
    first = await storage.tags.needing_tags("v1", after_id=0, limit=3)
    assert [item.id for item in first] == ids[:3]
    await storage.tags.replace([(item.id, ArticleTags((IRAQ,), ())) for item in first], "v1")
    rest = await storage.tags.needing_tags("v1", after_id=0, limit=10)
    assert [item.id for item in rest] == ids[3:]
    tagged = await storage.tags.for_articles(ids)
    assert [bool(tagged[i].countries) for i in ids] == [True, True, True, False, False]


async def test_replace_overwrites_and_removing_feed_drops_tags(storage: Storage) -> None:
    [article_id] = await _store(storage, [_article("a", ArticleTags((IRAQ,), (KH,)))], "v1")
    await storage.tags.replace([(article_id, ArticleTags((IRAN,), ()))], "v2")
    assert (await storage.tags.for_articles([article_id]))[article_id] == ArticleTags((IRAN,), ())
    feed = (await storage.feeds.all())[0]
    await storage.feeds.remove(feed.url)
    count = await storage.database.fetch_value("SELECT count(*) FROM article_countries")
    assert count == 0


async def test_lookups_filter_by_location_and_actor_and_count(storage: Storage) -> None:
    iraq_kh = _article("a", ArticleTags((IRAQ,), (KH,)))
    iran_mention_only = _article("b", ArticleTags((IRAN,), ()))
    untagged = _article("c", None)
    ids = await _store(storage, [iraq_kh, iran_mention_only, untagged], "v1")
    find = storage.articles.find
    assert [a.id for a in await find(located_in={"IQ"})] == [ids[0]]
    assert await find(located_in={"IR"}) == []  # a mention is not a location
    assert [a.id for a in await find(actors={"kataib-hezbollah"}, located_in={"IQ", "SY"})] == [
        ids[0]
    ]
    assert await find(actors={"hamas"}) == []
    assert await storage.articles.count_matching(located_in={"IQ"}) == 1
    assert len(await find(limit=2, offset=2)) == 1
    since = datetime(2000, 1, 1, tzinfo=UTC)
    assert await storage.tags.location_counts(since) == {"IQ": 1}
    assert await storage.tags.actor_counts(since) == {"kataib-hezbollah": 1}
