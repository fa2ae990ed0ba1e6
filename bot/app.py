"""The parts a command needs, built once by main.py and handed in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.digest.placement import StoryPlacer
from bot.ingest.poller import Poller
from bot.settings import Settings
from bot.tagging.tagger import Tagger
from bot.tagging.taxonomy import Taxonomy
from storage import Storage
from storage.types import ArticleTags


@dataclass(frozen=True)
class Tagging:
    """The taxonomy, the tagger built from it, and a version naming both (stored with tags)."""

    taxonomy: Taxonomy
    tagger: Tagger
    version: str

    def tag_batch(
        self, items: Sequence[tuple[str, str]], *, markup: bool = True
    ) -> list[ArticleTags]:
        return self.tagger.tag_batch(items, markup=markup)


@dataclass(frozen=True)
class App:
    settings: Settings
    storage: Storage
    poller: Poller
    tagging: Tagging | None  # None for commands that store no articles
    clock: Callable[[], datetime]
    stories: StoryPlacer  # places stored articles in stories (see bot/digest/placement.py)
