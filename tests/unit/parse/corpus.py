"""The labelled syzkaller corpus in ../shared, scored in process.

The same measures as ../shared/tools/score_syzkaller.py (recall, false positives, kind,
guilty function of the first report), shared by the floors test and the per-fold estimate
(benchmarks/guilty_folds.py).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set

from kcrashd.model import CrashReport
from kcrashd.parse import parse_text

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "syzkaller"
_HEADER = re.compile(
    r"^(TITLE|ALT|TYPE|CORRUPTED|FRAME|SUPPRESSED|PANICKED|EXECUTOR|START|END):|^#"
)
_SUFFIX = re.compile(r"(\.(isra|constprop|part|cold|llvm)(\.\d+)*|\.\d+)+$")
KIND_MAP = {
    "WARNING": "warning", "lockdep": "lockdep", "KASAN": "kasan",
    "INFO: rcu detected stall": "rcu_stall", "unable to handle page fault": "page_fault",
    "INFO: task hung": "hung_task", "general protection fault": "gpf", "kernel BUG": "bug",
    "BUG (other)": "bug", "BUG: atomic/preempt context": "bug", "KMSAN": "kmsan",
    "kernel panic": "panic", "BUG: soft lockup": "soft_lockup", "x86 exception": "exception",
    "arm exception": "exception", "memory leak": "memory_leak", "UBSAN": "ubsan",
    "KFENCE": "kfence", "KCSAN": "kcsan",
}  # fmt: skip


def strip_labels(text: str) -> str:
    """The log without its label header and trailing REPORT: section (as the scorer)."""
    lines = text.split("\n")
    i = 0
    if lines and _HEADER.match(lines[0]):
        while i < len(lines) and lines[i].strip():
            i += 1
    body = lines[i:]
    for j in range(1, len(body)):
        if body[j] == "REPORT:" and not body[j - 1].strip():
            body = body[:j]
            break
    return "\n".join(body)


def _norm(name: Optional[str]) -> str:
    return _SUFFIX.sub("", (name or "").strip())


@dataclass(frozen=True)
class Case:
    file: str
    text: str  # the log, labels stripped
    crash: bool
    kind: Optional[str]  # kcrashd kind expected, None when the label has no mapping
    functions: frozenset  # acceptable guilty functions; empty: not scored for the function

    @property
    def number(self) -> int:
        return int(self.file)


def load_cases(corpus: Path = CORPUS) -> List[Case]:
    with open(corpus / "index.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    cases = []
    for row in rows:
        row = {k.strip(): (v or "").strip() for k, v in row.items()}
        text = (corpus / "logs" / row["file"]).read_bytes().decode("utf-8", "replace")
        frame = row["frame"]
        funcs: Set[str] = set()
        if row["title"] and row["corrupted"] != "1" and frame and frame != "corrupted":
            funcs = {_norm(frame)} | {
                _norm(t.rsplit(" in ", 1)[1]) for t in row["alt_titles"].split("|") if " in " in t
            }
        cases.append(
            Case(
                file=row["file"],
                text=strip_labels(text),
                crash=bool(row["title"]),
                kind=KIND_MAP.get(row["kind"]) if row["title"] else None,
                functions=frozenset(funcs),
            )
        )
    cases.sort(key=lambda c: c.number)
    return cases


def folds(cases: Sequence[Case], k: int = 5) -> List[List[Case]]:
    """k folds by file number: file N is in fold N mod k (the files are numbered in the order
    upstream added them, so every fold spans every kernel era, as the held-out half does)."""
    return [[c for c in cases if c.number % k == i] for i in range(k)]


@dataclass
class Score:
    pos: int = 0
    detected: int = 0
    neg: int = 0
    false_pos: int = 0
    kinds: int = 0
    kinds_ok: int = 0
    funcs: int = 0
    funcs_ok: int = 0
    misses: Dict[str, List[str]] = field(default_factory=dict)

    @staticmethod
    def pct(x: int, y: int) -> float:
        return 100.0 * x / y if y else 0.0

    @property
    def recall(self) -> float:
        return self.pct(self.detected, self.pos)

    @property
    def kind(self) -> float:
        return self.pct(self.kinds_ok, self.kinds)

    @property
    def function(self) -> float:
        return self.pct(self.funcs_ok, self.funcs)

    def line(self) -> str:
        return (
            f"recall {self.recall:.1f}% ({self.detected}/{self.pos})  false-pos "
            f"{self.false_pos}/{self.neg}  kind {self.kind:.1f}% ({self.kinds_ok}/{self.kinds})"
            f"  function {self.function:.1f}% ({self.funcs_ok}/{self.funcs})"
        )

    def _miss(self, what: str, text: str) -> None:
        self.misses.setdefault(what, []).append(text)


Parser = Callable[[str], List[CrashReport]]


def first_function(case: Case, parser: Parser = parse_text) -> Optional[str]:
    reports = parser(case.text)
    return reports[0].function if reports else None


def function_ok(case: Case, function: Optional[str]) -> bool:
    return _norm(function) in case.functions


def score(cases: Iterable[Case], parser: Parser = parse_text) -> Score:
    sc = Score()
    for case in cases:
        reports = parser(case.text)
        if not case.crash:
            sc.neg += 1
            if reports:
                sc.false_pos += 1
                sc._miss("false positive", case.file)
            continue
        sc.pos += 1
        if not reports:
            sc._miss("missed crash", case.file)
            continue
        sc.detected += 1
        first = reports[0]
        if case.kind:
            sc.kinds += 1
            if first.kind == case.kind:
                sc.kinds_ok += 1
            else:
                sc._miss("wrong kind", f"{case.file} want {case.kind} got {first.kind}")
        if case.functions:
            sc.funcs += 1
            if function_ok(case, first.function):
                sc.funcs_ok += 1
            else:
                want = "|".join(sorted(case.functions))
                sc._miss("wrong function", f"{case.file} want {want} got {first.function}")
    return sc
