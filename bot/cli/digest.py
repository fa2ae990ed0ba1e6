"""`digest`: print a digest built by the same code that posts them."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from bot.app import App
from bot.digest.render_text import as_json, as_markdown
from bot.digest.service import digests_of
from bot.digest.window import Window
from bot.tagging.resolve import LookupIndex
from bot.timeparse import parse_since


async def print_digest(app: App, args: argparse.Namespace, out: TextIO) -> int:
    assert app.tagging is not None, "digest is built with the taxonomy"
    now = app.clock()
    index = LookupIndex(app.tagging.taxonomy)
    place = index.resolve_place(args.region) if args.region else None
    actor = index.resolve_actor(args.actor) if args.actor else None
    window = Window(parse_since(args.since, now), now)
    digests = digests_of(app)
    view = await digests.build(
        window,
        now,
        place.country_codes if place else None,
        actor.actor_ids if actor else None,
    )
    if args.format == "json":
        out.write(json.dumps(as_json(view), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(as_markdown(view))
    return 0
