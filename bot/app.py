"""The parts a command needs, built once by main.py and handed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.ingest.poller import Poller
from bot.settings import Settings
from storage import Storage


@dataclass(frozen=True)
class App:
    settings: Settings
    storage: Storage
    poller: Poller
    clock: Callable[[], datetime]
