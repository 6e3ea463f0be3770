"""The labelled syzkaller corpus in ../shared: detection, false positives, kinds, guilty frames.

The same measures as ../shared/tools/score_syzkaller.py, in process (tests/unit/parse/
corpus.py). The floors are the figures reached, less a small margin: a change that loses
ground here is seen. The shared half is a floor, not the goal: benchmarks/guilty_folds.py
estimates how the rules carry to logs they never saw.
"""

from __future__ import annotations

import pytest

from tests.unit.parse.corpus import CORPUS, folds, load_cases, score


def test_corpus_floors() -> None:
    if not (CORPUS / "index.tsv").exists():
        pytest.fail(f"corpus missing: {CORPUS}")
    sc = score(load_cases())
    assert (sc.pos, sc.neg) == (361, 18)
    assert sc.recall >= 99.0, sc.misses.get("missed crash")
    assert sc.false_pos == 0, sc.misses.get("false positive")
    assert sc.kind >= 99.0, sc.misses.get("wrong kind")
    assert sc.function >= 96.5, sc.misses.get("wrong function")


def test_folds_partition_the_corpus_by_file_number() -> None:
    cases = load_cases()
    parts = folds(cases, 5)
    assert sorted(c.file for part in parts for c in part) == sorted(c.file for c in cases)
    assert all(c.number % 5 == k for k, part in enumerate(parts) for c in part)
