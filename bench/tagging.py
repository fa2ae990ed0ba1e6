"""Tagger benchmark. Run: .venv/bin/python bench/tagging.py [--repeat 5] [--naive-seconds 5]

Measures, on one core:
1. taxonomy load and Tagger build time (the automaton; target under 2 s) and memory (RSS delta);
2. tagging throughput (articles/s, MB/s of UTF-8 text) on the real-feeds corpus (title and
   summary extracted with feedparser outside the timed part; once as plain text, as ingest
   stores and tags it, once with the raw HTML summaries, cleaned by the tagger) and on the
   eval texts;
3. where the time of one article goes, by stage: cleaning markup and normalising, the scan
   (automaton plus case rules), and the rules and evidence after it (the rest of the time);
4. a naive baseline measured in the same run: the same normalisation, then one compiled
   regex per alias key searched over every text. It is timed on as many articles as fit in
   `--naive-seconds` and reported as a rate, since a full pass takes hours.

The taxonomy and tagger are frozen out of the garbage collector before timing, as in the bot.

Targets: >= 10 MB/s, >= 20x naive, build < 2 s. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import feedparser

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import loop_ns, machine_and_speed  # noqa: E402 - needs the path above
from bot.tagging.matching import ArticleText, find_hits, prepare  # noqa: E402
from bot.tagging.normalize import Normaliser  # noqa: E402
from bot.tagging.tagger import Tagger, clean_field  # noqa: E402
from bot.tagging.taxonomy import load_taxonomy  # noqa: E402
from bot.text import html_to_text  # noqa: E402

SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "real-feeds"
EVAL = SHARED / "eval"
EVAL_FILES = (
    "acled_2020_global_notes.csv",
    "pitf_atrocities_2013_2017.csv",
    "acled_2022h1_acledR_notes.csv",
)
Items = list[tuple[str, str]]


@dataclass(frozen=True)
class Rate:
    articles: int
    megabytes: float
    seconds: float

    @property
    def per_second(self) -> float:
        return self.articles / self.seconds

    @property
    def mb_per_second(self) -> float:
        return self.megabytes / self.seconds


def rss_mb() -> float:
    """Resident memory now, from /proc (Linux), in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def size_mb(items: Items) -> float:
    return sum(len(t.encode()) + len(s.encode()) for t, s in items) / 1e6


def corpus_items() -> tuple[Items, Items]:
    """(plain, html) title/summary pairs of every entry in the real-feeds corpus."""
    raw: Items = []
    for path in sorted(CORPUS.glob("*.xml")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            raw.append((entry.get("title", ""), entry.get("summary", "")))
    plain = [(html_to_text(t), html_to_text(s)) for t, s in raw]
    return plain, raw


def eval_items() -> Items:
    items: Items = []
    for name in EVAL_FILES:
        with (EVAL / name).open(newline="", encoding="utf-8") as handle:
            items += [("", row["text"]) for row in csv.DictReader(handle)]
    return items


def timed_rounds(runs: Sequence[Callable[[], object]], rounds: int) -> list[list[float]]:
    """Seconds of each run in each round. A round times every run once, so that a slow spell
    of this shared machine falls on every row rather than on one."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for run, kept in zip(runs, times, strict=True):
            start = time.perf_counter()
            run()
            kept.append(time.perf_counter() - start)
    return times


class NaiveTagger:
    """One compiled regex per alias key, over the same normalised text."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.normaliser = Normaliser()
        self.patterns = [re.compile(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])") for key in keys]

    def tag(self, title: str, summary: str) -> list[tuple[int, int]]:
        _, lowered = self.normaliser.fold_and_lower(f"{title} | {summary}")
        text = lowered.decode("ascii")
        return [m.span() for pattern in self.patterns for m in pattern.finditer(text)]


def stage_row(label: str, tagger: Tagger, items: Items, markup: bool, rounds: int) -> str:
    """Microseconds per article in each stage, beside what 10 MB/s allows. The stages and the
    whole are timed in the same interleaved rounds (best round each), so the rules' share, the
    whole minus the stages before them, is not skewed by the machine changing speed."""
    normaliser, lexicon = tagger._normaliser, tagger._lexicon
    clean = clean_field if markup else str

    def prepared() -> list[ArticleText]:
        return [prepare(clean(title), clean(summary), normaliser) for title, summary in items]

    texts = prepared()
    runs: list[Callable[[], object]] = [
        prepared,
        lambda: [find_hits(text, lexicon) for text in texts],
        partial(tagger.tag_batch, items, markup=markup),
    ]
    prepare_s, scan_s, total_s = (min(times) for times in timed_rounds(runs, rounds))
    matches = sum(len(lexicon.automaton.find_overlapping(t.lowered_bytes)) for t in texts)
    hits = sum(len(find_hits(text, lexicon)) for text in texts)
    n, megabytes = len(items), size_mb(items)
    per = [seconds / n * 1e6 for seconds in (prepare_s, scan_s, total_s - prepare_s - scan_s)]
    return (
        f"| {label} | {megabytes * 1e6 / n:,.0f} | {matches / n:.1f} | {hits / n:.1f} | "
        f"{per[0]:.1f} | {per[1]:.1f} | {per[2]:.1f} | {total_s / n * 1e6:.1f} | "
        f"{megabytes * 1e6 / n / 10:.1f} |"
    )


def naive_rate(naive: NaiveTagger, items: Items, budget: float) -> Rate:
    done, start = 0, time.perf_counter()
    while done < len(items) and time.perf_counter() - start < budget:
        naive.tag(*items[done])
        done += 1
    return Rate(done, size_mb(items[:done]), time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds over every corpus")
    parser.add_argument("--naive-seconds", type=float, default=5.0)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    plain, html = corpus_items()
    evals = eval_items()
    rss0 = rss_mb()
    start = time.perf_counter()
    taxonomy = load_taxonomy(ROOT / "config")
    load_s = time.perf_counter() - start
    rss1 = rss_mb()
    start = time.perf_counter()
    tagger = Tagger(taxonomy)
    build_s = time.perf_counter() - start
    rss2 = rss_mb()
    tracemalloc.start()  # a second, untimed build: what one Tagger holds in Python objects
    second = Tagger(taxonomy)
    traced_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    del second
    # As the bot does after building its tagger (main.py, build_tagging): without this, the
    # full collections that the kept results trigger walk the whole taxonomy, a cost the bot
    # does not pay.
    gc.collect()
    gc.freeze()

    keys = [entry.key for entry in tagger._lexicon.entries]  # the same keys, one regex each
    start = time.perf_counter()
    naive = NaiveTagger(keys)
    naive_build_s = time.perf_counter() - start

    print(f"{machine_and_speed()}\n")
    print("## Build\n")
    print("| step | seconds | memory MB | note |\n|---|---:|---:|---|")
    print(f"| load taxonomy (TOML + packages) | {load_s:.2f} | {rss1 - rss0:.0f} (RSS) | "
          f"{len(taxonomy.places)} places, {len(taxonomy.actors)} actors |")  # fmt: skip
    print(f"| build Tagger (automaton) | {build_s:.2f} | {traced_mb:.0f} (traced; RSS "
          f"+{rss2 - rss1:.0f}) | {len(keys)} keys; target < 2 s |")  # fmt: skip
    print(f"| naive: compile one regex per key | {naive_build_s:.2f} | – | baseline |")

    print("\n## Throughput (one core)\n")
    corpora = (
        ("real-feeds corpus, plain text (as stored; markup=False)", plain, False),
        ("real-feeds corpus, raw HTML summaries", html, True),
        ("eval texts (ACLED 2020 + 2022, PITF)", evals, False),
    )
    runs = [partial(tagger.tag_batch, items, markup=markup) for _, items, markup in corpora]
    rounds = timed_rounds(runs, args.repeat)
    print("| texts | articles | MB | naive art/s | naive MB/s | ours art/s | ours MB/s | "
          "ours MB/s, median round | ratio |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (label, items, _), seconds in zip(corpora, rounds, strict=True):
        ours = Rate(len(items), size_mb(items), min(seconds))
        median_mb_s = ours.megabytes / statistics.median(seconds)
        base = naive_rate(naive, items, args.naive_seconds)
        ratio = ours.mb_per_second / base.mb_per_second
        print(
            f"| {label} | {ours.articles} | {ours.megabytes:.2f} | {base.per_second:,.1f} | "
            f"{base.mb_per_second:.3f} | {ours.per_second:,.0f} | {ours.mb_per_second:.2f} | "
            f"{median_mb_s:.2f} | {ratio:,.0f}x |"
        )
    print("\n## Where one article's time goes (µs; best rounds)\n")
    print("| texts | bytes | automaton matches | hits | clean + normalise | scan | rules and "
          "evidence | total | total at 10 MB/s |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, items, markup in corpora:
        print(stage_row(label, tagger, items, markup, args.repeat))
    print(f"\n{loop_ns():.0f} ns per empty Python loop step after the runs.")
    print("Targets: >= 10 MB/s, >= 20x naive, build < 2 s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
