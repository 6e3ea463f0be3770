"""The labelled syzkaller corpus in ../shared: detection, false positives, kinds, guilty frames.

The same measures as ../shared/tools/score_syzkaller.py, in process, with the issue's floors.
"""

from __future__ import annotations

import csv
import re

import pytest

from kcrashd.parse import parse_text
from tests.conftest import SHARED

CORPUS = SHARED / "corpus" / "syzkaller"
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


def _strip(text: str) -> str:
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


def test_corpus_floors() -> None:
    if not (CORPUS / "index.tsv").exists():
        pytest.fail(f"corpus missing: {CORPUS}")
    with open(CORPUS / "index.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    pos = det = neg = fp = kinds = kinds_ok = fns = fns_ok = 0
    for row in rows:
        row = {k.strip(): (v or "").strip() for k, v in row.items()}
        text = (CORPUS / "logs" / row["file"]).read_bytes().decode("utf-8", "replace")
        reports = parse_text(_strip(text))
        if not row["title"]:
            neg += 1
            fp += bool(reports)
            continue
        pos += 1
        if not reports:
            continue
        det += 1
        first = reports[0]
        want = KIND_MAP.get(row["kind"])
        if want:
            kinds += 1
            kinds_ok += first.kind == want
        frame = row["frame"]
        if row["corrupted"] == "1" or not frame or frame == "corrupted":
            continue
        fns += 1
        alts = {_SUFFIX.sub("", frame)} | {
            _SUFFIX.sub("", t.rsplit(" in ", 1)[1])
            for t in row["alt_titles"].split("|")
            if " in " in t
        }
        fns_ok += _SUFFIX.sub("", first.function or "") in alts
    assert det / pos >= 0.98, (det, pos)
    assert fp <= 1, fp
    assert kinds_ok / kinds >= 0.95, (kinds_ok, kinds)
    assert fns_ok / fns >= 0.90, (fns_ok, fns)
