"""Which stack frames are infrastructure, compiled from the table in `infrastructure.py`.

A Group names kernel functions by where they live in the kernel tree and says what role they
play when a guilty function is picked: INFRA frames are never guilty; WALK frames (stack
walkers) are infrastructure when the frame that called them is; the other roles only apply
inside one recipe (a memory leak's allocation path, an RCU stall's reporting code, a hung
task's waits, the dispatch points a stall is measured from, interrupt entry).

Names are matched whole: an exact name, or a precise pattern that must match the entire name
(never a substring). Compiler clone suffixes (`.isra.0`, `.cold`, `.constprop.0`) are removed
before matching.
"""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Pattern, Tuple

INFRA = "infrastructure"  # never the guilty function, in any report
LEAK = "leak_allocation"  # memory leaks: the allocation path the leaked object came from
RCU_STALL = "rcu_stall"  # RCU stalls: the RCU and tick code that detects and reports a stall
HUNG_WAIT = "hung_task_wait"  # hung tasks: what a blocked task waits in
HUNG_ANSWER = "hung_task_answer"  # hung tasks: a wait that names the problem better than its caller
BUG_SKB = "bug_skb"  # kernel BUG: socket-buffer helpers that BUG() on their caller's lengths
ANCHOR = "dispatch_anchor"  # stalls: a dispatcher; the guilty frame is the one it called
IRQ_ENTRY = "interrupt_entry"  # stalls: the interrupt that reported; the stalled code is below
# stack walkers: infrastructure when they walk for infrastructure (a report, a sanitizer's
# saved stack), ordinary code when an ordinary caller walks (/proc/PID/wchan, perf)
WALK = "stack_walk"
# indirect-call thunks: infrastructure, and the mark of a call through a function pointer
THUNK = "indirect_call_thunk"
ROLES = (INFRA, LEAK, RCU_STALL, HUNG_WAIT, HUNG_ANSWER, BUG_SKB, ANCHOR, IRQ_ENTRY, WALK, THUNK)

# compiler clones of a function: "f.cold", "f.isra.0", "f.constprop.0.cold", "f.llvm.1234"
_CLONE_SUFFIX = re.compile(r"(?:\.(?:isra|constprop|part|cold|llvm|lto_priv)(?:\.\d+)*|\.\d+)+$")
# an address printed where a symbol was expected (no kallsyms, a stripped module)
_HEX_ONLY = re.compile(r"(?:0x)?[0-9a-fA-F]{6,}")


class Group(NamedTuple):
    """Functions that play one role for one reason, and where they live in the kernel."""

    name: str
    role: str
    reason: str
    source: Tuple[str, ...]  # paths in a Linux source tree (v6.1 unless said otherwise)
    names: Tuple[str, ...] = ()  # exact function names defined in `source`
    patterns: Tuple[str, ...] = ()  # regexes that must match the whole name
    # exact names from kernels before or after v6.1 (renamed, removed or added since)
    other_versions: Tuple[str, ...] = ()


class Entry(NamedTuple):
    """One name or pattern of a group: the unit the leave-one-out estimate removes."""

    group: str
    role: str
    text: str
    is_pattern: bool


def entries(groups: Iterable[Group]) -> List[Entry]:
    out = []
    for g in groups:
        out.extend(Entry(g.name, g.role, n, False) for n in g.names + g.other_versions)
        out.extend(Entry(g.name, g.role, p, True) for p in g.patterns)
    return out


def clean_name(name: str) -> str:
    """The function a frame names, without compiler clone suffixes."""
    return _CLONE_SUFFIX.sub("", name) or name


def is_address(name: str) -> bool:
    """True for a hex address printed in place of a symbol: never a function."""
    return _HEX_ONLY.fullmatch(name) is not None


class Rules:
    """The compiled table: role -> exact names and one whole-name regex."""

    def __init__(self, table: Iterable[Entry]) -> None:
        names: Dict[str, set] = {role: set() for role in ROLES}
        patterns: Dict[str, List[str]] = {role: [] for role in ROLES}
        for e in table:
            if e.role not in names:
                raise ValueError(f"{e.group}: unknown role {e.role!r}")
            if e.is_pattern:
                patterns[e.role].append(e.text)
            else:
                names[e.role].add(e.text)
        self._names: Dict[str, FrozenSet[str]] = {r: frozenset(n) for r, n in names.items()}
        self._patterns: Dict[str, Optional[Pattern[str]]] = {
            r: re.compile("(?:" + "|".join(p) + r")\Z") if p else None for r, p in patterns.items()
        }

    def has(self, role: str, name: str) -> bool:
        """Whether `name` (clone suffixes removed) plays `role`."""
        name = clean_name(name)
        if name in self._names[role]:
            return True
        rx = self._patterns[role]
        return rx is not None and rx.match(name) is not None

    def infrastructure(self, name: str, extra: Optional[str] = None) -> bool:
        """Never guilty: INFRA or THUNK, an address, or the recipe's `extra` role."""
        return (
            is_address(name)
            or self.has(INFRA, name)
            or self.has(THUNK, name)
            or (extra is not None and self.has(extra, name))
        )


def compile_table(groups: Iterable[Group]) -> Rules:
    return Rules(entries(groups))


_RULES: Optional[Rules] = None


def rules() -> Rules:
    """The rules of the shipped table, compiled on first use."""
    global _RULES
    if _RULES is None:
        from kcrashd.parse.infrastructure import GROUPS

        _RULES = compile_table(GROUPS)
    return _RULES
