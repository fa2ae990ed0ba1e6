"""Command views as terminal text."""

from __future__ import annotations

from datetime import datetime

from bot.cli.fmt import when
from bot.commands.digests import SubscriptionLine, SubscriptionListing
from bot.commands.views import (
    ArticleDetail,
    ArticleItem,
    FeedReport,
    Listing,
    LookupPage,
    Notice,
    StatusReport,
    TagLine,
)


def _item(item: ArticleItem) -> list[str]:
    lines = [f"#{item.id}  {item.title}", f"    {item.source} · {when(item.time)}"]
    tags = [", ".join(item.places)] if item.places else []
    tags += [f"actors: {', '.join(item.actors)}"] if item.actors else []
    if tags:
        lines.append(f"    {' · '.join(tags)}")
    lines.append(f"    {item.url or '(no link)'}")
    return lines


def lookup_page(page: LookupPage) -> str:
    header = f"{page.request.heading}: {page.total_text} articles"
    if not page.items:
        return f"{header}. Try a longer since: or fewer filters."
    lines = [f"{header} (page {page.page + 1} of {page.pages})"]
    for item in page.items:
        lines += _item(item)
    if page.page + 1 < page.pages:
        lines.append("More: /more")
    return "\n".join(lines)


def _tag_lines(title: str, tags: tuple[TagLine, ...]) -> list[str]:
    if not tags:
        return [f"{title}: none"]
    lines = [f"{title}:"]
    for tag in tags:
        lines.append(f"  {tag.label} {tag.weight:.2f} — {'; '.join(tag.evidence[:4])}")
    return lines


def article(detail: ArticleDetail) -> str:
    lines = _item(detail.item)
    if detail.summary:
        lines.append(f"    {detail.summary}")
    lines += _tag_lines("Countries", detail.countries) + _tag_lines("Actors", detail.actors)
    return "\n".join(lines)


def listing(view: Listing) -> str:
    lines = [view.title]
    lines += [f"  {line.count:>4}  {line.label}  {line.detail}".rstrip() for line in view.lines]
    if view.note:
        lines.append(view.note)
    return "\n".join(lines)


def feeds(report: FeedReport, detailed: bool) -> str:
    lines = [
        f"{report.title}: {report.healthy} healthy, {report.failing} failing, "
        f"{report.disabled} disabled"
    ]
    for line in report.feeds:
        feed = line.feed
        lines.append(f"#{feed.id}  {feed.display_name}  [{line.health}]")
        if detailed:
            lines.append(f"    {feed.url}")
            lines.append(f"    checked {when(feed.last_checked)}; next {when(feed.next_check)}")
    return "\n".join(lines)


def notice(view: Notice) -> str:
    return f"{view.title}\n{view.text}"


def _duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"


def status(report: StatusReport) -> str:
    jobs = [
        f"  {job}: next {when(next_run) if isinstance(next_run, datetime) else 'paused'}"
        for job, next_run in report.jobs
    ]
    return "\n".join(
        [
            f"Up {_duration(report.uptime_seconds)}",
            f"Feeds: {report.feeds_healthy} healthy, {report.feeds_failing} failing, "
            f"{report.feeds_disabled} disabled",
            f"Articles in the last 24 h: {report.articles_24h}",
            f"Database: {report.database_bytes / 1_048_576:.1f} MiB",
            "Jobs:" if jobs else "Jobs: none",
            *jobs,
        ]
    )


def subscriptions(listing: SubscriptionListing) -> str:
    if not listing.lines:
        return "No digest subscriptions. Try: /digest subscribe schedule:'every 6h'"
    return "\n".join(subscription_line(line) for line in listing.lines)


def subscription_line(line: SubscriptionLine) -> str:
    if line.paused_reason:
        state = f"paused: {line.paused_reason}"
    else:
        state = f"next {when(line.next_run)}" if line.next_run else "not scheduled"
    extra = f", {line.min_sources}+ sources" if line.min_sources > 1 else ""
    return f"#{line.id} {line.schedule}, {line.filters}{extra}: {state}"


def paused_digests(lines: list[SubscriptionLine]) -> str:
    if not lines:
        return "Digests: none paused"
    return "\n".join(["Paused digests:", *(f"  {subscription_line(line)}" for line in lines)])
