"""Literal strings a regular expression cannot match without, and one fast search for them.

`required(pattern)`: strings one of which is in every text the pattern matches, read off the
pattern's parse tree (a run of literal characters must be in the text as it is). A cheap
`needle in text` before a regex search skips the regex on almost every line. `any_of(keys)`
finds any of a set of strings with one regex that only stops at the keys' rarest characters.

The parse tree is CPython's own (`re._parser`; `sre_parse` before 3.11). Where neither is
importable, `required` finds nothing and every regex simply runs.
"""

from __future__ import annotations

import re
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Pattern, Sequence, Tuple

try:  # CPython 3.11+
    from re import _constants as _sre_constants
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - CPython 3.9, 3.10 (RHEL 9)
    try:
        import sre_constants as _sre_constants  # type: ignore[no-redef]
        import sre_parse as _sre_parse  # type: ignore[no-redef]
    except ImportError:
        _sre_parse = None  # type: ignore[assignment]

# The characters of the header regexes' needles by rising frequency in real kernel logs (the
# syzkaller corpus and the crash lab's serial logs): a needle is looked for from its rarest.
RARE_FIRST = "ZVWHjKMYzFOUqBLN,GDEAPwISyv-hCgTmRkupb/iln:sodrt.cxa_][3ef 0"
MAX_SET = 16  # strings in one set of alternatives; a pattern with more is cut into runs

_Set = FrozenSet[str]
_EMPTY: _Set = frozenset([""])


def rank(char: str) -> int:
    """How common `char` is among the keywords' characters (0: the rarest)."""
    i = RARE_FIRST.find(char)
    return i if i >= 0 else len(RARE_FIRST)


def rarest(key: str) -> int:
    """Where in `key` its rarest character is (the first of them)."""
    return min(range(len(key)), key=lambda j: rank(key[j]))


def required(pattern: str) -> Tuple[str, ...]:
    """Strings one of which every match of `pattern` contains (empty: none known)."""
    if _sre_parse is None:  # pragma: no cover - no CPython regex parser
        return ()
    found = _required(list(_sre_parse.parse(pattern)))
    return tuple(sorted(found)) if found and "" not in found else ()


def _score(strings: Optional[_Set]) -> Tuple[int, int, int]:
    """Lower is a better set to look for: its commonest rarest character, then fewer
    strings, then longer ones."""
    if not strings or "" in strings:
        return (len(RARE_FIRST) + 1, 0, 0)
    commonest = max(min(rank(c) for c in s) for s in strings)
    return (commonest, len(strings), -min(len(s) for s in strings))


def _better(a: Optional[_Set], b: Optional[_Set]) -> Optional[_Set]:
    return b if _score(b) < _score(a) else a


def _required(items: Sequence[Tuple[Any, Any]]) -> Optional[_Set]:
    """Strings one of which every match of the item sequence contains: the best run of
    items that match only a few exact strings, or what one item requires."""
    best: Optional[_Set] = None
    run = _EMPTY
    for op, av in items:
        exact = _exact_item(op, av)
        if exact is not None and len(run) * len(exact) <= MAX_SET:
            run = frozenset(a + b for a in run for b in exact)
            continue
        best = _better(best, run)
        run = exact if exact is not None else _EMPTY
        if exact is None:
            best = _better(best, _required_item(op, av))
    return _better(best, run)


def _required_item(op: Any, av: Any) -> Optional[_Set]:
    c = _sre_constants
    if op is c.BRANCH:
        return _union(_required(alt) for alt in av[1])
    if op is c.SUBPATTERN and not (av[1] or av[2]):  # a group without flags
        return _required(list(av[3]))
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
        return _required(list(av[2]))
    return None


def _exact(items: Sequence[Tuple[Any, Any]]) -> Optional[_Set]:
    """Every string the item sequence matches, when they are few; else None."""
    run = _EMPTY
    for op, av in items:
        exact = _exact_item(op, av)
        if exact is None or len(run) * len(exact) > MAX_SET:
            return None
        run = frozenset(a + b for a in run for b in exact)
    return run


def _exact_item(op: Any, av: Any) -> Optional[_Set]:
    c = _sre_constants
    if op is c.LITERAL:
        return frozenset([chr(av)])
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):  # take no characters
        return _EMPTY
    if op is c.IN and all(o is c.LITERAL for o, _ in av):
        return frozenset(chr(v) for _, v in av)
    if op is c.BRANCH:
        return _union(_exact(alt) for alt in av[1])
    if op is c.SUBPATTERN and not (av[1] or av[2]):
        return _exact(list(av[3]))
    return None


def _union(sets: Iterable[Optional[_Set]]) -> Optional[_Set]:
    out: set = set()
    for s in sets:
        if s is None:
            return None
        out |= s
    return frozenset(out) if len(out) <= MAX_SET else None


def fewest(keys: Iterable[str]) -> Tuple[str, ...]:
    """`keys` without those that contain another (finding the shorter one finds them)."""
    keys = sorted(set(keys), key=lambda k: (len(k), k))
    out: List[str] = []
    for key in keys:
        if not any(k in key for k in out):
            out.append(key)
    return tuple(out)


def any_of(keys: Iterable[str]) -> Pattern[str]:
    """A regex that finds any of `keys`, each matched from its rarest character, keys
    sharing that character in one branch: `anic` and `int3:` become
    `i(?:(?<=ani)c|(?<=i)nt3:)`. The regex engine only stops where a text has one of those
    few characters, and there tries only that character's keys. An empty key: every text."""
    keys = tuple(keys)
    if "" in keys:
        return re.compile("")
    by_char: Dict[str, List[str]] = {}
    for key in keys:
        i = rarest(key)
        rest = f"(?<={re.escape(key[: i + 1])})" if i else ""
        by_char.setdefault(key[i], []).append(rest + re.escape(key[i + 1 :]))
    alts = []
    for char in sorted(by_char, key=rank):
        tails = by_char[char]
        alts.append(re.escape(char) + (f"(?:{'|'.join(tails)})" if tails != [""] else ""))
    return re.compile("|".join(alts))
