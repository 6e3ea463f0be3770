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
# Groups whose category is named before any corpus file is read: in issue 13's list of
# infrastructure (locking, scheduler wait/sleep, workqueue/kthread, stack walking, usercopy,
# device core teardown, page cache/folio, softirq/timer dispatch, debug helpers, sanitizers,
# allocators, string functions, compat/syscall entry, PSI accounting, fs bookkeeping helpers,
# Rust panics) or in ../shared/reference/crash-reports.md (reporting plumbing, traps, refcounts,
# atomics and bitops, printk, USB URB helpers, and the recipes' RCU-stall, hung-task, leak,
# kernel-BUG and stall-anchor rules). Estimate C keeps them whatever the fold.
NAMED_BEFORE = frozenset((
    "locking", "scheduler sleep and wake-up", "workqueue and kthread plumbing", "stack walking",
    "user copy", "device core and driver model", "page cache and folio helpers",
    "softirq and timer dispatch", "debug checks", "sanitizers and coverage", "allocators",
    "string and memory functions", "syscall entry and compat wrappers",
    "tracing and accounting hooks", "fs bookkeeping helpers", "Rust panic and helpers",
    "report printing", "traps and fault entry", "reference counts, atomics and bit operations",
    "printk and device messages", "USB core request helpers", "memory leak: allocation path",
    "RCU stall: detection and reporting", "hung task: blocking waits", "hung task: named waits",
    "kernel BUG: socket-buffer length checks", "stall anchors: dispatch into an implementation",
))  # fmt: skip


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


def group_effects(
    table: List[ru.Entry], scored: List[Case], base: Dict[str, bool]
) -> Dict[str, Dict[str, int]]:
    """group -> {file: +1 fixed, -1 broken} when the whole group is left out."""
    out: Dict[str, Dict[str, int]] = {}
    for group in GROUPS:
        without = with_rules([e for e in table if e.group != group.name], scored)
        diff = {f: int(base[f]) - int(ok) for f, ok in without.items() if ok != base[f]}
        if diff:
            out[group.name] = diff
    return out


def pct(ok: int, n: int) -> float:
    return 100.0 * ok / n if n else 0.0


def _confined(diff: Dict[str, int], fold_of: Dict[str, int], k: int) -> bool:
    return bool(diff) and all(fold_of[f] == k for f in diff)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("--entries", action="store_true", help="print every entry's effect")
    a = ap.parse_args(argv)
    cases = load_cases(Path(a.corpus))
    table = ru.entries(GROUPS)
    # scored as the scorer does: a labelled guilty function and a report found
    scored = [c for c in cases if c.functions and parse_text(c.text)]
    base = with_rules(table, scored)
    effects = leave_one_out(table, scored, base)
    by_group = group_effects(table, scored, base)
    fold_list = folds(cases, FOLDS)
    fold_of = {c.file: k for k, fold in enumerate(fold_list) for c in fold}
    versions = {(g.name, n) for g in GROUPS for n in g.other_versions}

    whole_ok = sum(base.values())
    whole = pct(whole_ok, len(scored))
    print(
        f"table: {len(GROUPS)} groups, {len(table)} entries; {len(effects)} entries and "
        f"{len(by_group)} groups change a result when left out"
    )
    print(f"whole half: guilty function {whole:.1f}% ({whole_ok}/{len(scored)})")
    print()
    print(
        "fold         scored  all rules          A: entries out            B: groups out"
        "              C: own groups out"
    )
    totals = {"A": [0, 0], "B": [0, 0], "C": [0, 0]}
    for k, fold in enumerate(fold_list):
        fold_scored = [c for c in fold if c.file in base]
        n = len(fold_scored)
        ok_all = sum(base[c.file] for c in fold_scored)
        # A: every entry whose whole effect on the corpus is inside this fold
        drop_a = {e for e, diff in effects.items() if _confined(diff, fold_of, k)}
        # B: every group whose whole effect is inside this fold, and names of other kernel
        # versions (not checkable in the v6.1 tree) whose effect is inside it
        groups_b = {g for g, diff in by_group.items() if _confined(diff, fold_of, k)}
        drop_b = {e for e in table if e.group in groups_b} | {
            e for e in drop_a if (e.group, e.text) in versions
        }
        # C: as B, for the groups this table adds to those named before the corpus was read
        drop_c = {e for e in table if e.group in groups_b - NAMED_BEFORE} | {
            e for e in drop_a if (e.group, e.text) in versions
        }
        row = f"N mod {FOLDS} = {k}  {n:>6}  {pct(ok_all, n):5.1f}% ({ok_all:>3}/{n:<3})"
        for label, drop in (("A", drop_a), ("B", drop_b), ("C", drop_c)):
            held = with_rules([e for e in table if e not in drop], fold_scored)
            ok = sum(held.values())
            totals[label][0] += ok
            totals[label][1] += n
            row += f"   {pct(ok, n):5.1f}% ({ok:>3}/{n:<3}) -{len(drop):<3}"
        print(row)
    print()
    for label, what in (("A", "entries"), ("B", "groups"), ("C", "own groups")):
        est = pct(*totals[label])
        print(
            f"estimate {label} ({what} left out): {est:.1f}%   whole half: {whole:.1f}%   "
            f"gap: {whole - est:.1f} points"
        )
    if a.entries:
        print()
        print("leave one group out (+ files the group fixes, - files it breaks)")
        for group, diff in sorted(by_group.items()):
            print(f"  {group:<48} {_files(diff)}")
        print()
        print("leave one entry out")
        rows: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
        for e, diff in sorted(effects.items(), key=lambda kv: (kv[0].group, kv[0].text)):
            rows[e.group].append((e.text, _files(diff)))
        for group, items in rows.items():
            print(f"  {group}")
            for text, files in items:
                print(f"    {text:<48} {files}")
    return 0


def _files(diff: Dict[str, int]) -> str:
    fixed = " ".join(f"+{f}" for f, d in sorted(diff.items(), key=lambda x: int(x[0])) if d > 0)
    broken = " ".join(f"-{f}" for f, d in sorted(diff.items(), key=lambda x: int(x[0])) if d < 0)
    return f"{fixed} {broken}".strip()


if __name__ == "__main__":
    sys.exit(main())
