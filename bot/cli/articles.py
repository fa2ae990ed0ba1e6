"""`articles`: stored articles, newest first, as text or JSON lines."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from bot.app import App
from bot.cli.fmt import when
from bot.timeparse import parse_since
from storage.types import Article


def article_json(article: Article) -> dict[str, Any]:
    def iso(moment: Any) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": article.id,
        "feed": article.feed_title,
        "feed_id": article.feed_id,
        "title": article.title,
        "url": article.url,
        "published": iso(article.published),
        "first_seen": iso(article.first_seen),
        "summary": article.summary,
        "backlog": article.backlog,
    }


async def list_articles(app: App, args: argparse.Namespace, out: TextIO) -> int:
    since = parse_since(args.since, app.clock()) if args.since else None
    articles = await app.storage.articles.find(since=since, search=args.search, limit=args.limit)
    for article in articles:
        if args.json:
            out.write(json.dumps(article_json(article), ensure_ascii=False) + "\n")
        else:
            out.write(f"#{article.id}  {when(article.sort_time)}  {article.feed_title}\n")
            out.write(f"    {article.title}\n    {article.url or '(no link)'}\n")
    if not articles and not args.json:
        out.write("No articles match.\n")
    return 0
