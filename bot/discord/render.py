"""Command views as Discord embeds, inside every Discord limit, with feed text made inert."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import discord

from bot.commands.views import (
    ArticleDetail,
    ArticleItem,
    FeedLine,
    FeedReport,
    Listing,
    LookupPage,
    Notice,
    StatusReport,
    TagLine,
)
from bot.discord.safe import (
    DESCRIPTION_LIMIT,
    EMBEDS_TOTAL_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
    clean,
    fit,
    link,
    safe_url,
)

OK_COLOUR = discord.Colour.dark_teal()
ERROR_COLOUR = discord.Colour.red()
ITEM_TITLE_LIMIT = 600  # one item's linked headline, so a page keeps several items


def stamp(moment: datetime) -> str:
    """A Discord timestamp each reader sees in their own time zone."""
    return f"<t:{int(moment.timestamp())}:R>"


def _lines_within(lines: Iterable[str], limit: int, more: str = "…and {n} more") -> str:
    """Whole lines up to `limit` characters; the rest summarised, never cut in half."""
    pending = list(lines)
    kept: list[str] = []
    size = 0
    for index, line in enumerate(pending):
        left_after = len(pending) - index - 1
        reserve = len(more.format(n=left_after)) + 1 if left_after else 0
        if size + len(line) + reserve > limit:
            kept.append(more.format(n=len(pending) - index))
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def _item_lines(item: ArticleItem) -> str:
    head = f"**#{item.id}** {link(item.title, item.url, ITEM_TITLE_LIMIT)}"
    facts = [clean(item.source), stamp(item.time)]
    if item.places:
        facts.append(clean(", ".join(item.places)))
    if item.actors:
        facts.append(clean(", ".join(item.actors[:4])))
    return f"{head}\n{' · '.join(facts)}"


def _embed(title: str, description: str = "", colour: discord.Colour = OK_COLOUR) -> discord.Embed:
    return discord.Embed(title=fit(title, TITLE_LIMIT), description=description, colour=colour)


def lookup_page(page: LookupPage) -> discord.Embed:
    embed = _embed(page.request.heading)
    if not page.items:
        embed.description = "Nothing matches. Try a longer `since` or fewer filters."
        return embed
    embed.description = _lines_within((_item_lines(item) for item in page.items), DESCRIPTION_LIMIT)
    pages = f"Page {page.page + 1} of {page.pages}"
    footer = f"{pages} · {page.total_text} articles · /article id for details"
    embed.set_footer(text=footer[:FOOTER_LIMIT])
    return embed


def _tag_field(tags: tuple[TagLine, ...]) -> str:
    if not tags:
        return "none"
    lines = (
        f"**{clean(tag.label)}** {tag.weight:.2f}: {clean('; '.join(tag.evidence[:3]))}"
        for tag in tags
    )
    return _lines_within(lines, FIELD_VALUE_LIMIT)


def article(detail: ArticleDetail) -> discord.Embed:
    item = detail.item
    embed = _embed(item.title)
    embed.url = safe_url(item.url)
    embed.description = fit(detail.summary, 1500) if detail.summary else None
    embed.add_field(name="Source", value=clean(item.source)[:FIELD_VALUE_LIMIT], inline=True)
    embed.add_field(name="Time", value=stamp(item.time), inline=True)
    embed.add_field(name="Countries", value=_tag_field(detail.countries), inline=False)
    embed.add_field(name="Actors", value=_tag_field(detail.actors), inline=False)
    embed.set_footer(text=f"Article #{item.id}")
    return embed


def listing(view: Listing) -> discord.Embed:
    lines = (
        f"`{line.count:>4}` **{clean(line.label)}** {clean(line.detail)}".rstrip()
        for line in view.lines
    )
    description = _lines_within(lines, DESCRIPTION_LIMIT) or clean(view.note)
    return _embed(view.title, description)


def feeds(report: FeedReport, detailed: bool) -> discord.Embed:
    def line(feed_line: FeedLine) -> str:
        feed = feed_line.feed
        text = (
            f"**#{feed.id}** {link(feed.display_name, feed.url, 300)} · {clean(feed_line.health)}"
        )
        if detailed:
            checked = stamp(feed.last_checked) if feed.last_checked else "never"
            text += f"\nchecked {checked}, next {stamp(feed.next_check)}"
        return text

    title = (
        f"{report.title}: {report.healthy} healthy, {report.failing} failing, "
        f"{report.disabled} disabled"
    )
    return _embed(title, _lines_within((line(item) for item in report.feeds), DESCRIPTION_LIMIT))


def notice(view: Notice) -> discord.Embed:
    return _embed(
        view.title, fit(view.text, DESCRIPTION_LIMIT), OK_COLOUR if view.ok else ERROR_COLOUR
    )


def error(message: str) -> discord.Embed:
    return _embed("Cannot do that", fit(message, DESCRIPTION_LIMIT), ERROR_COLOUR)


def status(report: StatusReport) -> discord.Embed:
    embed = _embed("Sitrep status")
    hours = report.uptime_seconds / 3600
    embed.add_field(name="Uptime", value=f"{hours:.1f} h", inline=True)
    feeds = (
        f"{report.feeds_healthy} healthy, {report.feeds_failing} failing, "
        f"{report.feeds_disabled} disabled"
    )
    embed.add_field(name="Feeds", value=feeds, inline=True)
    embed.add_field(name="Articles (24 h)", value=str(report.articles_24h), inline=True)
    embed.add_field(
        name="Database", value=f"{report.database_bytes / 1_048_576:.1f} MiB", inline=True
    )
    jobs = [f"`{job}` next {stamp(when) if when else 'paused'}" for job, when in report.jobs]
    embed.add_field(
        name="Jobs", value=_lines_within(jobs, FIELD_VALUE_LIMIT) or "none", inline=False
    )
    return embed


def within_limits(embed: discord.Embed) -> bool:
    """True when the embed respects the per-embed and per-message character limits."""
    return len(embed) <= EMBEDS_TOTAL_LIMIT and len(embed.description or "") <= DESCRIPTION_LIMIT
