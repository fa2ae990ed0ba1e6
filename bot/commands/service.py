"""The command logic shared by Discord and the console. Every method returns a view record or
raises CommandError with a message the user can act on."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.cli.fmt import feed_health, health_counts
from bot.commands.views import (
    COUNT_CAP,
    ArticleDetail,
    ArticleItem,
    CommandError,
    CountLine,
    FeedLine,
    FeedReport,
    Listing,
    LookupPage,
    LookupRequest,
    Notice,
    StatusReport,
    TagLine,
)
from bot.ingest.feedlist import FeedListError, validate_feed_url
from bot.tagging.resolve import LookupIndex, UnknownNameError
from bot.tagging.taxonomy import Taxonomy
from bot.timeparse import TimeParseError, parse_since
from storage import FeedExistsError, SearchQueryError, UnknownFeedError
from storage.search import fts_query
from storage.types import Article, ArticleTags, CountryTag, Evidence, Feed

DEFAULT_SINCE = "7d"
DEFAULT_LIMIT = 10
MAX_LIMIT = 25
BROWSE_WINDOW = timedelta(days=7)
NEEDS_MANAGE_SERVER = "You need the Manage Server permission to change feeds."
# Autocomplete asks on every keystroke; feeds change rarely. Adding or removing a feed here
# refreshes the list at once; the TTL catches the CLI's changes and titles learned by polling.
FEED_CHOICES_TTL = timedelta(seconds=30)
JobsSource = Callable[[], Sequence[tuple[str, datetime | None]]]


def _quoted(evidence: Iterable[Evidence]) -> tuple[str, ...]:
    return tuple(f'{item.field}: "{item.text}"' for item in evidence)


class Commands:
    def __init__(self, app: App, jobs: JobsSource = lambda: (), started_at: datetime | None = None):
        assert app.tagging is not None, "commands need the taxonomy"
        self._app = app
        self._taxonomy: Taxonomy = app.tagging.taxonomy
        self._index = LookupIndex(self._taxonomy)
        self._jobs = jobs
        self._started_at = started_at or app.clock()
        self._feed_choices: tuple[datetime, list[Feed]] | None = None  # (read at, feeds)
        self._feed_changes = 0  # a list read while a feed changed is not kept

    # --- /lookup -----------------------------------------------------------------------------

    def plan_lookup(
        self,
        region: str | None = None,
        actor: str | None = None,
        query: str | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> LookupRequest:
        """Check and resolve the options in memory (fast: no I/O), or raise CommandError."""
        limit = DEFAULT_LIMIT if limit is None else limit
        if not 1 <= limit <= MAX_LIMIT:
            raise CommandError(f"limit must be from 1 to {MAX_LIMIT} (got {limit}).")
        start = self._since(since or DEFAULT_SINCE)
        try:
            place = self._index.resolve_place(region) if region else None
            who = self._index.resolve_actor(actor) if actor else None
        except UnknownNameError as error:
            raise CommandError(str(error)) from None
        heading = _heading(who.label if who else None, place.label if place else None, query, since)
        text = query.strip() if query and query.strip() else None
        if text is not None:
            try:
                fts_query(text)
            except SearchQueryError as error:
                raise CommandError(f"Bad search text: {error}.") from None
        return LookupRequest(
            heading,
            start,
            limit,
            place.country_codes if place else None,
            who.actor_ids if who else None,
            text,
        )

    async def lookup_page(self, request: LookupRequest, page: int) -> LookupPage:
        articles = self._app.storage.articles
        filters = {"located_in": request.country_codes, "actors": request.actor_ids}
        try:
            total = await articles.count_matching(request.since, request.text, COUNT_CAP, **filters)
            found = await articles.find(
                request.since, request.text, request.limit, offset=page * request.limit, **filters
            )
        except SearchQueryError as error:
            raise CommandError(f"Bad search text: {error}.") from None
        items = await self._items(found)
        return LookupPage(request, tuple(items), page, total)

    def _since(self, text: str) -> datetime:
        try:
            return parse_since(text, self._app.clock())
        except TimeParseError as error:
            raise CommandError(f"Bad since value: {error}.") from None

    async def _items(self, articles: Sequence[Article]) -> list[ArticleItem]:
        tags = await self._app.storage.tags.for_articles([article.id for article in articles])
        return [self._item(article, tags[article.id]) for article in articles]

    def _item(self, article: Article, tags: ArticleTags) -> ArticleItem:
        located = [tag for tag in tags.countries if tag.role == "location"]
        names = tuple(self._country_name(tag.code) for tag in located)
        regions = tuple(dict.fromkeys(self._region_name(tag.code) for tag in located))
        actors = tuple(self._actor_name(tag.actor_id) for tag in tags.actors)
        return ArticleItem(
            article.id, article.title, article.url, article.feed_title, article.sort_time,
            names, regions, actors,
        )  # fmt: skip

    def _country_name(self, code: str) -> str:
        country = self._taxonomy.countries.get(code)
        return country.name if country else code

    def _region_name(self, code: str) -> str:
        if code not in self._taxonomy.countries:
            return "Unknown"
        return self._taxonomy.region_of(code).name

    def _actor_name(self, actor_id: str) -> str:
        actor = self._taxonomy.actors.get(actor_id)
        return actor.name if actor else actor_id

    # --- /article ----------------------------------------------------------------------------

    async def article(self, article_id: int) -> ArticleDetail:
        article = await self._app.storage.articles.get(article_id)
        if article is None:
            raise CommandError(f"No article #{article_id}. Ids are shown by /lookup.")
        tags = (await self._app.storage.tags.for_articles([article.id]))[article.id]
        countries = tuple(self._country_line(tag) for tag in tags.countries)
        actors = tuple(
            TagLine(
                f"{self._actor_name(tag.actor_id)} ({self._actor_kind(tag.actor_id)})",
                tag.weight,
                _quoted(tag.evidence),
            )
            for tag in tags.actors
        )
        return ArticleDetail(
            self._item(article, tags), article.summary, article.published, article.first_seen,
            countries, actors,
        )  # fmt: skip

    def _country_line(self, tag: CountryTag) -> TagLine:
        label = f"{self._country_name(tag.code)} ({tag.role})"
        return TagLine(label, tag.weight, _quoted(tag.evidence))

    def _actor_kind(self, actor_id: str) -> str:
        actor = self._taxonomy.actors.get(actor_id)
        return actor.kind.replace("_", " ") if actor else "unknown"

    # --- /regions and /actors ----------------------------------------------------------------

    async def regions(self) -> Listing:
        counts = await self._app.storage.tags.location_counts(self._app.clock() - BROWSE_WINDOW)
        lines = []
        for region in sorted(
            self._taxonomy.regions.values(), key=lambda r: (r.parent or "", r.name)
        ):
            codes = self._taxonomy.countries_in_region(region.id)
            busiest = sorted(codes, key=lambda code: (-counts.get(code, 0), code))[:3]
            detail = ", ".join(
                f"{self._country_name(code)} {counts[code]}" for code in busiest if counts.get(code)
            )
            parent = self._taxonomy.regions[region.parent].name if region.parent else ""
            label = f"{parent} > {region.name}" if parent else region.name
            lines.append(CountLine(label, detail, sum(counts.get(code, 0) for code in codes)))
        lines.sort(key=lambda line: (-line.count, line.label))
        return Listing("Regions, articles in the last 7 days", tuple(lines))

    async def actors(self, search: str | None = None) -> Listing:
        counts = await self._app.storage.tags.actor_counts(self._app.clock() - BROWSE_WINDOW)
        if search and search.strip():
            ids = [value for _label, value in self._index.suggest("actor", search, MAX_LIMIT)]
            if not ids:
                raise CommandError(
                    f'No actor matches "{search}". Try a shorter name or an acronym.'
                )
            title = f'Actors matching "{search.strip()}", articles in the last 7 days'
        else:
            ids = sorted(counts, key=lambda actor_id: (-counts[actor_id], actor_id))[:MAX_LIMIT]
            title = "Most reported actors in the last 7 days"
        lines = tuple(self._actor_line(actor_id, counts.get(actor_id, 0)) for actor_id in ids)
        note = "" if lines else "No tagged articles in the last 7 days."
        return Listing(title, lines, note)

    def _actor_line(self, actor_id: str, count: int) -> CountLine:
        actor = self._taxonomy.actors[actor_id]
        aliases = ", ".join((*actor.acronyms, *actor.aliases[:2]))
        where = ", ".join(actor.countries) or "international"
        return CountLine(actor.name, f"{self._actor_kind(actor_id)}; {where}; {aliases}", count)

    # --- /feed -------------------------------------------------------------------------------

    async def feeds(self) -> FeedReport:
        feeds = await self._app.storage.feeds.all()
        lines = tuple(FeedLine(feed, feed_health(feed)) for feed in feeds)
        healthy, failing, disabled = health_counts(feeds)
        return FeedReport(f"{len(feeds)} feeds", lines, healthy, failing, disabled)

    async def add_feed(self, url: str, name: str | None, can_manage: bool) -> Notice:
        if not can_manage:
            raise CommandError(NEEDS_MANAGE_SERVER)
        try:
            feed = await self._app.storage.feeds.add(
                validate_feed_url(url), self._app.clock(), name
            )
        except (FeedListError, FeedExistsError) as error:
            raise CommandError(f"{error}.") from None
        result = await self._app.poller.poll_feed(feed)
        self._forget_feed_choices()  # after the poll: it gives the feed its title
        if result.outcome == "failed":
            text = f"Added, but the first fetch failed: {result.reason}. It will be retried."
            return Notice(f"Feed added: {feed.display_name}", text, ok=False)
        stored = await self._app.storage.feeds.get_by_id(feed.id)
        text = f"First fetch found {result.entries} items; {result.new} stored as backlog."
        return Notice(f"Feed added: {stored.display_name}", text)

    async def remove_feed(self, reference: str, can_manage: bool) -> Notice:
        if not can_manage:
            raise CommandError(NEEDS_MANAGE_SERVER)
        feed = await self.find_feed(reference)
        try:
            removed = await self._app.storage.feeds.remove(feed.url)
        except UnknownFeedError as error:
            raise CommandError(str(error)) from None
        finally:
            self._forget_feed_choices()
        return Notice(f"Feed removed: {feed.display_name}", f"{removed} articles removed with it.")

    async def find_feed(self, reference: str) -> Feed:
        """A feed by URL, #id or name (what autocomplete offers)."""
        wanted = reference.strip()
        for feed in await self._app.storage.feeds.all():
            if wanted in (feed.url, f"#{feed.id}", str(feed.id), feed.display_name):
                return feed
        raise CommandError(f'No feed "{wanted}". Pick one from the list or see /feed list.')

    async def feed_choices(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        wanted = prefix.casefold()
        feeds = await self._feeds_for_choices()
        matches = [f for f in feeds if wanted in f.display_name.casefold() or wanted in f.url]
        return [(f"{f.display_name} ({f.url})"[:100], f.url) for f in matches[:limit]]

    async def _feeds_for_choices(self) -> list[Feed]:
        """Every feed, from memory unless the list is older than FEED_CHOICES_TTL."""
        now = self._app.clock()
        cached = self._feed_choices
        if cached is not None and timedelta(0) <= now - cached[0] < FEED_CHOICES_TTL:
            return cached[1]
        changes = self._feed_changes
        feeds = await self._app.storage.feeds.all()
        if changes == self._feed_changes:
            self._feed_choices = (now, feeds)
        return feeds

    def _forget_feed_choices(self) -> None:
        self._feed_changes += 1
        self._feed_choices = None

    # --- autocomplete and /status --------------------------------------------------------------

    def place_choices(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        return self._index.suggest("region", prefix, limit)

    def actor_choices(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        return self._index.suggest("actor", prefix, limit)

    async def status(self) -> StatusReport:
        report = await self.feeds()
        now = self._app.clock()
        return StatusReport(
            (now - self._started_at).total_seconds(),
            report.healthy,
            report.failing,
            report.disabled,
            await self._app.storage.articles.count(now - timedelta(hours=24)),
            _database_bytes(self._app.storage.path),
            tuple(self._jobs()),
        )


def _database_bytes(path: Path) -> int:
    """The database with its write-ahead log (the WAL can hold most recent data)."""
    sizes = [Path(f"{path}{suffix}") for suffix in ("", "-wal")]
    return sum(item.stat().st_size for item in sizes if item.exists())


def _heading(actor: str | None, place: str | None, query: str | None, since: str | None) -> str:
    subject = actor or "Articles"
    if place:
        subject += f" in {place}"
    if query and query.strip():
        subject += f' matching "{query.strip()}"'
    window = since or DEFAULT_SINCE
    return (
        f"{subject}, since {window}"
        if any(c.isdigit() for c in window[:4]) and "-" in window
        else f"{subject}, last {window}"
    )
