"""How well the infrastructure table generalises: the guilty-function score per fold.

usage: .venv/bin/python benchmarks/guilty_folds.py [--corpus ../shared/corpus/syzkaller] [--entries]

The labelled syzkaller half in ../shared is split into 5 folds by file number (N mod 5). For
each fold, every entry of the table (one exact name or pattern of kcrashd/parse/
infrastructure.py) whose only effect on the corpus is inside that fold is left out, as if the
table had been written without looking at the fold, and the fold is scored with what remains.
Entries that change no result anywhere stay: they come from the kernel, not from the corpus.
The fold scores are printed beside the whole-half score; a gap of more than 4 points between
the whole-half score and the folds' estimate means the table fits the corpus rather than the
kernel.

--entries also prints the leave-one-out effect of every entry that changes a result (files it
fixes, files it breaks). The recipes themselves (which frames a report format offers) are
code, not table entries, and are not left out.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kcrashd.parse import parse_text  # noqa: E402
from kcrashd.parse import rules as ru  # noqa: E402
from kcrashd.parse.demangle import maybe_demangle  # noqa: E402
from kcrashd.parse.infrastructure import GROUPS  # noqa: E402
from tests.unit.parse.corpus import CORPUS, Case, folds, function_ok, load_cases  # noqa: E402

_TOKEN = re.compile(r"[A-Za-z_.$][\w.$]*")
FOLDS = 5


def with_rules(table: Sequence[ru.Entry], cases: Iterable[Case]) -> Dict[str, bool]:
    """Per scored case: is the first report's guilty function right under `table`?"""
    saved = ru._RULES
    ru._RULES = ru.Rules(table)  # the measurement swaps the compiled table, nothing else
    try:
        out = {}
        for case in cases:
            reports = parse_text(case.text)
            out[case.file] = bool(reports) and function_ok(case, reports[0].function)
        return out
    finally:
        ru._RULES = saved


def _names_in(case: Case) -> Set[str]:
    names = set()
    for tok in _TOKEN.findall(case.text):
        tok = ru.clean_name(tok.lstrip("."))
        names.add(tok)
        names.add(maybe_demangle(tok) or tok)
    return names


def _may_match(entry: ru.Entry, names: Set[str]) -> bool:
    if not entry.is_pattern:
        return entry.text in names
    rx = re.compile(f"(?:{entry.text})\\Z")
    return any(rx.match(n) for n in names)


def leave_one_out(
    table: List[ru.Entry], scored: List[Case], base: Dict[str, bool]
) -> Dict[ru.Entry, Dict[str, int]]:
    """entry -> {file: +1 fixed by the entry, -1 broken by it} for entries that matter."""
    names = {c.file: _names_in(c) for c in scored}
    effects: Dict[ru.Entry, Dict[str, int]] = {}
    for i, entry in enumerate(table):
        touched = [c for c in scored if _may_match(entry, names[c.file])]
        if not touched:
            continue
        without = with_rules(table[:i] + table[i + 1 :], touched)
        diff = {f: int(base[f]) - int(ok) for f, ok in without.items() if ok != base[f]}
        if diff:
            effects[entry] = diff
    return effects


def pct(ok: int, n: int) -> float:
    return 100.0 * ok / n if n else 0.0


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("--entries", action="store_true", help="print every entry's effect")
    a = ap.parse_args(argv)
    cases = load_cases(Path(a.corpus))
    scored = [c for c in cases if c.functions]
    table = ru.entries(GROUPS)
    base = with_rules(table, scored)
    effects = leave_one_out(table, scored, base)
    fold_of = {c.file: k for k, fold in enumerate(folds(cases, FOLDS)) for c in fold}

    whole_ok = sum(base.values())
    print(f"table: {len(GROUPS)} groups, {len(table)} entries; {len(effects)} change a result")
    print(
        f"whole half: guilty function {pct(whole_ok, len(scored)):.1f}% ({whole_ok}/{len(scored)})"
    )
    print()
    print("fold  files        scored  all rules         fold left out      entries left out")
    est_ok = est_n = 0
    for k, fold in enumerate(folds(cases, FOLDS)):
        fold_scored = [c for c in fold if c.functions]
        only_here = [
            e for e, diff in effects.items() if diff and all(fold_of[f] == k for f in diff)
        ]
        kept = [e for e in table if e not in set(only_here)]
        held = with_rules(kept, fold_scored)
        n, ok_all, ok_held = (
            len(fold_scored),
            sum(base[c.file] for c in fold_scored),
            sum(held.values()),
        )
        est_ok += ok_held
        est_n += n
        span = f"N mod {FOLDS} = {k}"
        print(
            f"{k:>4}  {span:<11} {n:>7}  {pct(ok_all, n):5.1f}% ({ok_all:>3}/{n:<3})"
            f"  {pct(ok_held, n):5.1f}% ({ok_held:>3}/{n:<3})  {len(only_here)}"
        )
    whole, estimate = pct(whole_ok, len(scored)), pct(est_ok, est_n)
    print()
    gap = whole - estimate
    print(f"estimate (folds left out): {estimate:.1f}%   whole half: {whole:.1f}%   gap: {gap:.1f}")
    if a.entries:
        print()
        print("leave-one-out: entries that change a result (+ fixed by the entry, - broken)")
        rows: List[Tuple[str, str, str]] = []
        for e, diff in sorted(effects.items(), key=lambda kv: (kv[0].group, kv[0].text)):
            fixed = " ".join(f"+{f}" for f, d in sorted(diff.items()) if d > 0)
            broken = " ".join(f"-{f}" for f, d in sorted(diff.items()) if d < 0)
            rows.append((e.group, e.text, f"{fixed} {broken}".strip()))
        by_group: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
        for group, text, files in rows:
            by_group[group].append((text, files))
        for group, items in by_group.items():
            print(f"  {group}")
            for text, files in items:
                print(f"    {text:<48} {files}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
