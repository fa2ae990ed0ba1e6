"""A synthetic but realistic Sitrep database for the lookup benchmarks (bench/bot.py).

N articles over about two years (volume growing with time), created by the real migrations and
bulk-inserted with plain sqlite3 in one transaction (the full-text index is rebuilt once at
the end, twice as fast as the insert trigger; the trigger is put back):

* countries: a few conflict countries get most articles (Ukraine, Israel/Palestine, Syria, Iraq,
  Yemen, Sudan...), a long tail gets the rest; 1-3 location countries and 0-2 mentions each;
* actors: 0-3 per article from the real taxonomy, mostly actors of the article's countries
  (so the PMF family shows up in Iraq stories), some from anywhere;
* time: ids follow first-seen time, except that 5% are backlog (a new feed's first poll: dates
  up to 90 days older than their ids), so ids and sort_time disagree as they do in real use;
* text: titles name the place and actors the tags claim; summaries are Zipf-distributed words
  (function words, a security-news vocabulary, then a long tail of rare words), so full-text
  postings look like real news: "attack" is in a large share of articles, tail words in few.

A sidecar `<db>.json` records the parameters, the dataset's "now" (lookups use it as their
clock, so "7d" means the same rows on every run) and the words chosen for the FTS lookups.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from bot.tagging.taxonomy import Taxonomy
from storage import open_storage
from storage.db import to_db_time

SPAN_DAYS = 730
FEEDS = 40
SEED = 20261103
BACKLOG_SHARE = 0.05  # stored by a feed's first poll, published up to 90 days earlier

# Share of location tags per country (percent); everything else spreads over the other countries.
HOT_COUNTRIES = {
    "UA": 13, "PS": 9, "IL": 8, "SY": 6, "IQ": 5, "YE": 4, "SD": 4, "LB": 3.5, "RU": 3, "IR": 3,
    "AF": 2.5, "ML": 2, "SO": 2, "CD": 2, "MM": 2, "NG": 1.8, "BF": 1.5, "LY": 1.5, "ET": 1.5,
    "PK": 1.5, "HT": 1, "MX": 1, "CO": 1, "NE": 1, "TR": 1,
}  # fmt: skip
# Actors the news names most, listed first among their countries' actors (the rest are shuffled).
PROMINENT = {
    "hamas",
    "hezbollah",
    "houthis",
    "islamic-state",
    "rapid-support-forces",
    "wagner-group",
    "kataib-hezbollah",
    "popular-mobilization-forces",
    "israel-defense-forces",
    "russian-armed-forces",
    "armed-forces-of-ukraine",
    "al-shabaab",
    "jnim",
    "taliban",
    "sudanese-armed-forces",
    "irgc",
    "m23",
    "hayat-tahrir-al-sham",
    "tatmadaw",
    "boko-haram",
}
MENTIONED = ["US", "IR", "RU", "CN", "TR", "SA", "AE", "QA", "EG", "FR", "GB", "DE"]


def _words(text: str) -> list[str]:
    return text.split()


FUNCTION_WORDS = _words(
    "the of and in to a on for said with by at from that was as is after have were has an its "
    "their been who over are near more than two three which"
)
NEWS_WORDS = _words(
    "attack forces killed strike drone military security government officials militants troops "
    "ceasefire border rocket civilians army police protest election talks sanctions militia "
    "fighters raid wounded convoy airstrike clashes explosion bomb hostages refugees aid "
    "humanitarian minister president rebels offensive shelling missile navy base camp city "
    "province village region capital spokesman statement group claimed responsibility operation "
    "soldiers checkpoint ambush kidnapped released prisoners negotiations peace deal agreement "
    "crisis famine displaced casualties injured dead bodies hospital school market mosque church "
    "vehicle truck ship port airport oil gas pipeline power grid cyber hackers ransomware "
    "espionage intelligence agency arrested suspects court trial sentenced executed coup junta "
    "parliament opposition leader commander chief general colonel spokesperson ministry defence "
    "interior foreign embassy diplomats envoy un council resolution vote report monitors observers "
    "warned threatened vowed denied accused condemned urged called demanded announced confirmed "
    "week month year day night morning evening sunday monday tuesday wednesday thursday friday"
)
VERBS = _words("attack strike shell raid hit target seize ambush bomb storm")
NOUNS = _words("base convoy checkpoint village camp airport port market patrol positions")
FTS_TRIGGER = "articles_fts_after_insert"
SYLLABLES = [c + v for c in "bdfghjklmnprstvz" for v in "aeiou"] + ["ar", "el", "is", "on", "ur"]


@dataclass(frozen=True)
class Dataset:
    """What bench/bot.py needs to know about a generated database."""

    articles: int
    seed: int
    now: str  # ISO; the clock lookups run at
    common_word: str
    common_word_docs: int
    rare_word: str
    rare_word_docs: int
    seconds: float

    @property
    def clock(self) -> datetime:
        return datetime.fromisoformat(self.now)


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def load_dataset(path: Path) -> Dataset | None:
    """The dataset already at `path`, if it was completely generated."""
    meta = sidecar(path)
    if not (path.exists() and meta.exists()):
        return None
    return Dataset(**json.loads(meta.read_text(encoding="utf-8")))


def ensure_dataset(path: Path, articles: int, taxonomy: Taxonomy, log: bool = True) -> Dataset:
    """Reuse the database at `path` if it holds `articles` synthetic articles, else build it."""
    found = load_dataset(path)
    if found is not None and found.articles == articles and found.seed == SEED:
        return found
    for stale in (path, sidecar(path), Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    if log:
        print(f"generating {articles:,} synthetic articles in {path} (once; cached)...", flush=True)
    dataset = generate(path, articles, taxonomy)
    sidecar(path).write_text(json.dumps(asdict(dataset)), encoding="utf-8")
    if log:
        print(f"  done in {dataset.seconds:.0f} s", flush=True)
    return dataset


# --- text and tags --------------------------------------------------------------------------


class Vocabulary:
    """Words with Zipf weights: function words first, news words next, then a long tail."""

    def __init__(self, rng: random.Random, tail: int = 40_000) -> None:
        seen = set(FUNCTION_WORDS) | set(NEWS_WORDS)
        pseudo: list[str] = []
        while len(pseudo) < tail:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
            if word not in seen:
                seen.add(word)
                pseudo.append(word)
        self.words = FUNCTION_WORDS + NEWS_WORDS + pseudo
        weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(self.words))]
        self.cumulative = list(itertools.accumulate(weights))

    def sample(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def rare_word(self, expected_docs: float, articles: int, words_per_article: int) -> str:
        """A tail word expected in about `expected_docs` articles."""
        total = self.cumulative[-1]
        for rank in range(len(FUNCTION_WORDS) + len(NEWS_WORDS), len(self.words)):
            weight = 1.0 / (rank + 1) ** 1.05
            if weight / total * words_per_article * articles <= expected_docs:
                return self.words[rank]
        return self.words[-1]


class Tagging:
    """Picks countries and actors with realistic skew, and names them in the text."""

    def __init__(self, taxonomy: Taxonomy, rng: random.Random) -> None:
        self.taxonomy = taxonomy
        codes = sorted(taxonomy.countries)
        cold = [code for code in codes if code not in HOT_COUNTRIES]
        rng.shuffle(cold)  # a skewed tail, but not in alphabetical order
        tail = [1 / (rank + 1) ** 0.7 for rank in range(len(cold))]
        share = (100 - sum(HOT_COUNTRIES.values())) / sum(tail)
        weights = dict(HOT_COUNTRIES) | {
            code: w * share for code, w in zip(cold, tail, strict=True)
        }
        self.codes = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        # Per country, the actors in the order the news names them: the big ones first.
        self.actors_of: dict[str, list[str]] = {code: [] for code in codes}
        for actor in sorted(taxonomy.actors.values(), key=lambda a: (a.id not in PROMINENT, a.id)):
            for code in actor.countries:
                if code in self.actors_of:
                    self.actors_of[code].append(actor.id)
        for listed in self.actors_of.values():
            prominent = [a for a in listed if a in PROMINENT]
            others = [a for a in listed if a not in PROMINENT]
            rng.shuffle(others)
            listed[:] = prominent + others
        self.all_actors = sorted(taxonomy.actors)
        rng.shuffle(self.all_actors)

    def countries(self, rng: random.Random) -> list[str]:
        wanted = rng.choices((1, 2, 3), (60, 30, 10))[0]
        picked: list[str] = []
        while len(picked) < wanted:
            code = rng.choices(self.codes, cum_weights=self.cumulative)[0]
            if code not in picked:
                picked.append(code)
        return picked

    def actors(self, rng: random.Random, located: Sequence[str]) -> list[str]:
        wanted = rng.choices((0, 1, 2, 3), (30, 35, 25, 10))[0]
        picked: list[str] = []
        local = [a for code in located for a in self.actors_of.get(code, ())]
        for _ in range(wanted * 3):
            if len(picked) == wanted:
                break
            pool = local if local and rng.random() < 0.85 else self.all_actors
            # Earlier-listed actors of a country are the big ones: skew towards them.
            actor = pool[min(int(rng.expovariate(1 / max(len(pool) / 6, 1))), len(pool) - 1)]
            if actor not in picked:
                picked.append(actor)
        return picked


def evidence(text: str, name: str, field: str) -> str:
    start = max(text.find(name), 0)
    return json.dumps([{"text": name, "field": field, "start": start}])


# --- rows -----------------------------------------------------------------------------------


def article_times(rng: random.Random, count: int, now: datetime) -> list[datetime]:
    """Sorted first-seen times over SPAN_DAYS, the volume growing towards now."""
    span = SPAN_DAYS * 86400.0
    offsets = []
    for _ in range(count):
        fraction = rng.random() if rng.random() < 0.5 else rng.random() ** 0.5
        offsets.append(span * fraction)
    offsets.sort()
    start = now - timedelta(days=SPAN_DAYS)
    return [start + timedelta(seconds=offset) for offset in offsets]


def rows(
    count: int, now: datetime, taxonomy: Taxonomy, seed: int
) -> Iterator[tuple[tuple[object, ...], list[tuple[object, ...]], list[tuple[object, ...]]]]:
    """(article row, country rows, actor rows) per article, in first-seen (= id) order."""
    rng = random.Random(seed)
    vocabulary = Vocabulary(rng)
    tagging = Tagging(taxonomy, rng)
    countries, actors = taxonomy.countries, taxonomy.actors
    for index, seen in enumerate(article_times(rng, count, now), start=1):
        located = tagging.countries(rng)
        named = tagging.actors(rng, located)
        mentions = [c for c in rng.sample(MENTIONED, rng.choice((0, 0, 1, 2))) if c not in located]
        place = countries[located[0]].name
        who = actors[named[0]].name if named else rng.choice(("Gunmen", "Militants", "Forces"))
        title = f"{who} {rng.choice(VERBS)} {rng.choice(NOUNS)} in {place}: " + " ".join(
            vocabulary.sample(rng, rng.randint(3, 7))
        )
        body_words = vocabulary.sample(rng, rng.randint(18, 45))
        body_words.insert(rng.randrange(len(body_words)), countries[located[-1]].name)
        for actor_id in named[1:]:
            body_words.insert(rng.randrange(len(body_words)), actors[actor_id].name)
        summary = " ".join(body_words)
        # A new feed's first poll brings its back catalogue: old dates on new ids.
        backlog = rng.random() < BACKLOG_SHARE
        delay = (
            timedelta(days=rng.uniform(1, 90))
            if backlog
            else timedelta(minutes=rng.randint(1, 240))
        )
        published = seen - delay
        has_date = rng.random() < 0.95
        sort_time = published if has_date else seen
        feed = 1 + index % FEEDS
        article = (
            index, feed, f"syn-{index}", f"syn-{index}", f"https://news{feed}.example/a/{index}",
            title, summary, to_db_time(published) if has_date else None, to_db_time(seen),
            to_db_time(sort_time), f"{index:016x}", int(backlog), "synthetic",
        )  # fmt: skip
        text = f"{title} {summary}"
        country_rows: list[tuple[object, ...]] = [
            (
                index,
                code,
                "location",
                round(1.0 - 0.2 * n, 2),
                evidence(text, countries[code].name, "body"),
            )
            for n, code in enumerate(located)
        ]
        country_rows += [
            (index, code, "mention", 0.3, evidence(text, countries[code].name, "body"))
            for code in mentions
        ]
        actor_rows: list[tuple[object, ...]] = [
            (
                index,
                actor_id,
                round(0.9 - 0.2 * n, 2),
                evidence(text, actors[actor_id].name, "body"),
            )
            for n, actor_id in enumerate(named)
        ]
        yield article, country_rows, actor_rows


# --- writing --------------------------------------------------------------------------------


async def _create_schema(path: Path) -> None:
    async with open_storage(path):
        pass  # the real migrations, exactly as the bot runs them


def generate(path: Path, count: int, taxonomy: Taxonomy) -> Dataset:
    started = time.perf_counter()
    asyncio.run(_create_schema(path))
    now = datetime.now(UTC).replace(microsecond=0)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # Generation only: no journal, no fsync, a big cache. A crash means regenerating.
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1000000"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("BEGIN")
        _insert_feeds(connection, now)
        # The insert trigger indexes row by row; one rebuild at the end is twice as fast.
        (trigger,) = connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (FTS_TRIGGER,)
        ).fetchone()
        connection.execute(f"DROP TRIGGER {FTS_TRIGGER}")
        _insert_articles(connection, rows(count, now, taxonomy, SEED))
        connection.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
        connection.execute(trigger)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode = WAL")  # as the bot leaves it
        dataset = _describe(connection, count, now, time.perf_counter() - started)
    finally:
        connection.close()
    return dataset


def _insert_feeds(connection: sqlite3.Connection, now: datetime) -> None:
    never = to_db_time(now + timedelta(days=365 * 50))  # never due: the poller leaves them alone
    added = to_db_time(now - timedelta(days=SPAN_DAYS + 1))
    connection.executemany(
        "INSERT INTO feeds (id, url, name, added_at, last_checked, last_updated, next_check)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                n,
                f"http://127.0.0.1:9/synthetic/{n}.xml",
                f"Synthetic wire {n}",
                added,
                added,
                added,
                never,
            )
            for n in range(1, FEEDS + 1)
        ],
    )


def _insert_articles(
    connection: sqlite3.Connection,
    generated: Iterator[
        tuple[tuple[object, ...], list[tuple[object, ...]], list[tuple[object, ...]]]
    ],
) -> None:
    insert_article = (
        "INSERT INTO articles (id, feed_id, entry_key, guid, url, title, summary, published,"
        " first_seen, sort_time, content_hash, backlog, tagged_with)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    insert_country = (
        "INSERT INTO article_countries (article_id, code, role, weight, evidence)"
        " VALUES (?, ?, ?, ?, ?)"
    )
    insert_actor = (
        "INSERT INTO article_actors (article_id, actor_id, weight, evidence) VALUES (?, ?, ?, ?)"
    )
    while True:
        chunk = list(itertools.islice(generated, 20_000))
        if not chunk:
            return
        connection.executemany(insert_article, [article for article, _, _ in chunk])
        connection.executemany(insert_country, [row for _, rows_, _ in chunk for row in rows_])
        connection.executemany(insert_actor, [row for _, _, rows_ in chunk for row in rows_])


def _describe(connection: sqlite3.Connection, count: int, now: datetime, seconds: float) -> Dataset:
    vocabulary = Vocabulary(random.Random(SEED))
    common = "attack"
    rare = vocabulary.rare_word(100, count, 36)

    def docs(word: str) -> int:
        sql = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
        return int(connection.execute(sql, (f'"{word}"',)).fetchone()[0])

    return Dataset(count, SEED, now.isoformat(), common, docs(common), rare, docs(rare), seconds)


def rss_feed(taxonomy: Taxonomy, name: str, now: datetime, entries: int, seed: int = 1) -> bytes:
    """An RSS feed of `entries` synthetic items (places and actors for the tagger), newest first,
    with a little HTML in each description for the sanitiser; guids and links carry `name`."""
    items = []
    for index, (article, _, _) in enumerate(rows(entries, now, taxonomy, seed)):
        title, summary = str(article[5]), str(article[6])
        link = f"https://ingest.example/{name}/{index}"
        published = format_datetime(now - timedelta(minutes=index))
        body = escape(f"<p>{escape(summary)} <a href='{link}'>more</a></p>")
        items.append(
            f"<item><guid>{name}-{index}</guid><title>{escape(title)}</title><link>{link}</link>"
            f"<description>{body}</description><pubDate>{published}</pubDate></item>"
        )
    channel = f"<channel><title>Ingest {name}</title><link>https://ingest.example/</link>"
    document = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0">{channel}'
    return f"{document}{''.join(items)}</channel></rss>".encode()
