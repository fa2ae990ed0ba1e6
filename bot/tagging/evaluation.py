"""Measuring the tagger against labelled text: `python -m bot.tagging.evaluation`.

Scores, per data set, micro-averaged over articles:
* country: the tagger's `location` countries against the gold event countries. Every article
  adds its true positives (predicted and gold), false positives (predicted, not gold) and false
  negatives (gold, not predicted); precision = TP/(TP+FP), recall = TP/(TP+FN), F1 their
  harmonic mean. Mentions are not scored against ACLED/PITF (their gold is locations only).
* actor: predicted actor ids against gold actor ids. ACLED and PITF gold labels are mapped to ids
  with tests/data/acled_actor_map.csv (label,actor_id); labels without a mapping are left out
  and counted. Only predicted ids the mapping can judge (mapped ids and their descendants) are
  scored, and a prediction equal to a gold id or below it (Kataib Hezbollah for gold PMF) is
  correct.

Data sets: ACLED 2020 and PITF (development), the project's own cases
(tests/data/tagging_cases.jsonl), and with --include-test the held-out ACLED 2022 H1 test set,
reported as a score only (no misses, so nobody tunes on it).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.tagging.resolve import LookupIndex, UnknownNameError
from bot.tagging.tagger import Tagger
from bot.tagging.taxonomy import Taxonomy, load_taxonomy
from storage.types import ArticleTags

REPO = Path(__file__).resolve().parents[2]
DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"
OWN_CASES = REPO / "tests" / "data" / "tagging_cases.jsonl"
ACTOR_MAP = REPO / "tests" / "data" / "acled_actor_map.csv"
DEV_SETS = {
    "ACLED 2020 (dev)": "acled_2020_global_notes.csv",
    "PITF (dev)": "pitf_atrocities_2013_2017.csv",
}
TEST_SET = ("ACLED 2022 H1 (held-out test)", "acled_2022h1_acledR_notes.csv")


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    title: str
    summary: str
    locations: frozenset[str]
    actors: frozenset[str] | None  # None: no gold actors to score
    mentions: frozenset[str] | None = None
    rule: str = ""


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: frozenset[str], gold: frozenset[str]) -> None:
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class Miss:
    case_id: str
    what: str  # "country" or "actor"
    missing: frozenset[str]
    extra: frozenset[str]
    snippet: str


@dataclass(slots=True)
class Report:
    name: str
    articles: int = 0
    countries: Score = field(default_factory=Score)
    actors: Score = field(default_factory=Score)
    mentions: Score = field(default_factory=Score)
    unmapped_labels: int = 0
    misses: list[Miss] = field(default_factory=list)


# --- pure scoring ---------------------------------------------------------------------------


def located(tags: ArticleTags) -> frozenset[str]:
    return frozenset(tag.code for tag in tags.countries if tag.role == "location")


def mentioned(tags: ArticleTags) -> frozenset[str]:
    return frozenset(tag.code for tag in tags.countries if tag.role == "mention")


def judged_actors(
    predicted: frozenset[str], gold: frozenset[str], judgeable: frozenset[str], taxonomy: Taxonomy
) -> tuple[frozenset[str], frozenset[str]]:
    """Predictions the gold can judge, with those below a gold actor renamed to it."""
    kept = set()
    for actor_id in predicted & judgeable:
        kept.add(_nearest_gold(actor_id, gold, taxonomy) or actor_id)
    return frozenset(kept), gold


def _nearest_gold(actor_id: str, gold: frozenset[str], taxonomy: Taxonomy) -> str | None:
    """The actor itself if gold, else its nearest gold ancestor, else None."""
    current: str | None = actor_id
    while current is not None:
        if current in gold:
            return current
        current = taxonomy.actors[current].parent if current in taxonomy.actors else None
    return None


def score_cases(
    cases: Iterable[Case],
    tag: Callable[[str, str], ArticleTags],
    taxonomy: Taxonomy,
    judgeable: frozenset[str] | None = None,
    name: str = "",
) -> Report:
    """Tag every case and score it; pure apart from calling `tag`."""
    report = Report(name)
    for case in cases:
        tags = tag(case.title, case.summary)
        report.articles += 1
        predicted = located(tags)
        report.countries.add(predicted, case.locations)
        if predicted != case.locations:
            report.misses.append(_miss(case, "country", predicted, case.locations))
        if case.mentions is not None:
            report.mentions.add(mentioned(tags), case.mentions)
        if case.actors is not None:
            found = frozenset(tag.actor_id for tag in tags.actors)
            scope = judgeable if judgeable is not None else frozenset(taxonomy.actors)
            found, gold = judged_actors(found, case.actors, scope, taxonomy)
            report.actors.add(found, gold)
            if found != gold:
                report.misses.append(_miss(case, "actor", found, gold))
    return report


def _miss(case: Case, what: str, predicted: frozenset[str], gold: frozenset[str]) -> Miss:
    text = f"{case.title} | {case.summary}" if case.title else case.summary
    return Miss(case.id, what, gold - predicted, predicted - gold, text[:300])


# --- reading data sets ----------------------------------------------------------------------


def read_actor_map(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["label"].strip(): row["actor_id"].strip()
                for row in csv.DictReader(handle) if row.get("actor_id", "").strip()}  # fmt: skip


def _country_codes(names: str, index: LookupIndex) -> frozenset[str]:
    codes: set[str] = set()
    for name in filter(None, (part.strip() for part in names.split(";"))):
        try:
            codes |= index.resolve_place(name).country_codes
        except UnknownNameError:
            print(f"warning: gold country {name!r} is not in the taxonomy", file=sys.stderr)
    return frozenset(codes)


def read_csv_cases(
    path: Path, index: LookupIndex, actor_map: dict[str, str]
) -> tuple[list[Case], int]:
    """Cases from an eval CSV (text is the body, no title) and the count of unmapped labels."""
    cases, unmapped = [], 0
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            labels = [label.strip() for label in row["actors"].split(";") if label.strip()]
            mapped = frozenset(actor_map[label] for label in labels if label in actor_map)
            unmapped += sum(1 for label in labels if label not in actor_map)
            locations = _country_codes(row["countries"], index)
            cases.append(Case(row["id"], "", row["text"], locations, mapped if actor_map else None))
    return cases, unmapped


def read_own_cases(path: Path) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        cases.append(Case(
            item["id"], item["title"], item.get("summary", ""), frozenset(item["locations"]),
            frozenset(item.get("actors", [])), frozenset(item.get("mentions", [])),
            item.get("rule", ""),
        ))  # fmt: skip
    return cases


def judgeable_ids(actor_map: dict[str, str], taxonomy: Taxonomy) -> frozenset[str]:
    ids: set[str] = set()
    for actor_id in set(actor_map.values()):
        if actor_id in taxonomy.actors:
            ids |= taxonomy.descendants_of(actor_id)
    return frozenset(ids)


# --- printing -------------------------------------------------------------------------------


def format_table(reports: Sequence[Report]) -> str:
    lines = [
        "| data set | articles | country P | country R | country F1 | actor P | actor R | "
        "actor F1 | unmapped gold actor labels |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        c, a = r.countries, r.actors
        actor_cells = (f"{a.precision:.3f} | {a.recall:.3f} | {a.f1:.3f}"
                       if a.tp + a.fp + a.fn else "– | – | –")  # fmt: skip
        lines.append(
            f"| {r.name} | {r.articles} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} | "
            f"{actor_cells} | {r.unmapped_labels} |"
        )
    return "\n".join(lines)


def format_misses(report: Report, limit: int) -> str:
    lines = [f"## Misses: {report.name} ({len(report.misses)})"]
    for miss in report.misses[:limit]:
        missing = ",".join(sorted(miss.missing)) or "-"
        extra = ",".join(sorted(miss.extra)) or "-"
        lines.append(
            f"- {miss.case_id} [{miss.what}] missing={missing} extra={extra}: {miss.snippet}"
        )
    return "\n".join(lines)


def run(eval_dir: Path, config_dir: Path, include_test: bool, max_misses: int) -> str:
    taxonomy = load_taxonomy(config_dir)
    tagger, index = Tagger(taxonomy), LookupIndex(taxonomy)
    actor_map = read_actor_map(ACTOR_MAP)
    judgeable = judgeable_ids(actor_map, taxonomy) if actor_map else None
    reports = []
    for name, file in DEV_SETS.items():
        cases, unmapped = read_csv_cases(eval_dir / file, index, actor_map)
        report = score_cases(cases, tagger.tag, taxonomy, judgeable, name)
        report.unmapped_labels = unmapped
        reports.append(report)
    if OWN_CASES.exists():
        reports.append(
            score_cases(read_own_cases(OWN_CASES), tagger.tag, taxonomy, None, "own cases")
        )
    test = None
    if include_test:
        cases, unmapped = read_csv_cases(eval_dir / TEST_SET[1], index, actor_map)
        test = score_cases(cases, tagger.tag, taxonomy, judgeable, TEST_SET[0])
        test.unmapped_labels = unmapped
    sections = [format_table([*reports, *([test] if test else [])])]
    sections += [format_misses(report, max_misses) for report in reports]
    return "\n\n".join(sections)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--config-dir", type=Path, default=REPO / "config")
    parser.add_argument(
        "--include-test",
        action="store_true",
        help="also score the held-out ACLED 2022 H1 test set (score only)",
    )
    parser.add_argument("--max-misses", type=int, default=40, help="misses listed per data set")
    args = parser.parse_args(argv)
    print(run(args.eval_dir, args.config_dir, args.include_test, args.max_misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
