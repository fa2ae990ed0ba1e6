"""Digests as Markdown (the CLI, the demo) and as JSON (scripts)."""

from __future__ import annotations

from typing import Any

from bot.digest.layout import DigestView, StoryLine

TIME = "%Y-%m-%d %H:%M UTC"


def _sources(line: StoryLine) -> str:
    first, *others = line.sources
    return f"{first} (also reported by {', '.join(others)})" if others else first


def _story(line: StoryLine) -> str:
    title = f"[{line.title}]({line.url})" if line.url else line.title
    facts = [_sources(line), line.time.strftime(TIME)]
    if line.countries:
        facts.append(", ".join(line.countries))
    if line.actors:
        facts.append(", ".join(line.actors))
    return f"- {title}\n  {' · '.join(facts)}"


def as_markdown(view: DigestView) -> str:
    start, end = view.window.start.strftime(TIME), view.window.end.strftime(TIME)
    lines = [f"# Sitrep digest, {start} to {end}", ""]
    if view.empty:
        return "\n".join([*lines, "Nothing new in this period."])
    lines += [f"{view.articles} articles, {view.stories} stories", ""]
    for section in view.sections:
        lines += [f"## {section.region}", ""]
        lines += [_story(line) for line in section.stories]
        if section.more:
            lines.append(f"- …and {section.more} more")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def as_json(view: DigestView) -> dict[str, Any]:
    return {
        "window": {"start": view.window.start.isoformat(), "end": view.window.end.isoformat()},
        "articles": view.articles,
        "stories": view.stories,
        "sections": [
            {
                "region": section.region,
                "more": section.more,
                "stories": [
                    {
                        "title": line.title,
                        "url": line.url,
                        "sources": list(line.sources),
                        "time": line.time.isoformat(),
                        "countries": list(line.countries),
                        "actors": list(line.actors),
                        "score": line.score,
                        "article_ids": list(line.article_ids),
                    }
                    for line in section.stories
                ],
            }
            for section in view.sections
        ],
    }
