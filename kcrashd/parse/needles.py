"""Literal strings a regular expression cannot match without, and one fast search for them.

`required(pattern)`: strings one of which is in every text the pattern matches, read off the
pattern's parse tree (a run of literal characters must be in the text as it is). A cheap
`needle in text` before a regex search skips the regex on almost every line. `any_of(keys)`
finds any of a set of strings with one regex that only stops at a few rare characters.

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

# How often the characters of the header regexes' needles occur in real kernel logs (the
# syzkaller corpus and the crash lab's serial logs, 1.9 M characters), per 100,000: a search
# for needles stops at as few characters as it can. Any other character counts as a space.
FREQUENCY = {
    "Z": 3, "V": 10, "W": 21, "H": 31, "j": 32, "K": 49, "M": 49, "Y": 54, "z": 65, "F": 72,
    "O": 84, "U": 84, "q": 104, "B": 113, "L": 123, "N": 124, ",": 135, "G": 163, "D": 176,
    "E": 182, "A": 186, "P": 216, "w": 234, "I": 234, "S": 274, "y": 281, "v": 352, "-": 368,
    "h": 388, "C": 433, "g": 434, "T": 594, "m": 600, "R": 601, "k": 601, "u": 677, "p": 838,
    "b": 986, "/": 997, "i": 1118, "l": 1151, "n": 1187, ":": 1322, "s": 1327, "o": 1412,
    "d": 1616, "r": 1704, "t": 1706, ".": 1716, "c": 2016, "x": 2063, "a": 2184, "_": 2231,
    "]": 2236, "[": 2239, "3": 2481, "e": 3109, "f": 4044, " ": 12981, "0": 13001,
}  # fmt: skip
_COMMON = FREQUENCY[" "]
MAX_SET = 16  # strings in one set of alternatives; a pattern with more is cut into runs

_Set = FrozenSet[str]
_EMPTY: _Set = frozenset([""])


def frequency(char: str) -> int:
    """How often `char` occurs in kernel logs (FREQUENCY)."""
    return FREQUENCY.get(char, _COMMON)


def required(pattern: str) -> Tuple[str, ...]:
    """Strings one of which every match of `pattern` contains (empty: none known)."""
    if _sre_parse is None:  # pragma: no cover - no CPython regex parser
        return ()
    found = _required(list(_sre_parse.parse(pattern)))
    return tuple(sorted(found)) if found and "" not in found else ()


def leading(pattern: str) -> str:
    """The literal every match of `pattern` starts with ("": none known). The regex engine
    skips fast to such a prefix only when the pattern begins with it; behind a lookbehind
    or `^` it tries every position, so a caller may try it only where the prefix is."""
    if _sre_parse is None:  # pragma: no cover - no CPython regex parser
        return ""
    c = _sre_constants
    out = []
    for op, av in _sre_parse.parse(pattern):
        if op is c.LITERAL:
            out.append(chr(av))
        elif out or op not in (c.AT, c.ASSERT, c.ASSERT_NOT):
            break
    return "".join(out)


def _score(strings: Optional[_Set]) -> Tuple[int, int, int]:
    """Lower is a better set to look for: its commonest rarest character, then fewer
    strings, then longer ones."""
    if not strings or "" in strings:
        return (_COMMON + 1, 0, 0)
    commonest = max(min(frequency(c) for c in s) for s in strings)
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


def anchors(keys: Iterable[str]) -> Dict[str, int]:
    """For each key, where in it a search stops to look for it: characters chosen so that
    every key holds one and they occur as seldom as can be in kernel text (greedy set cover:
    the character with the least frequency per key it newly covers, until all are covered)."""
    keys = [k for k in keys if k]
    chosen: List[str] = []
    left = set(keys)
    while left:
        best = min(
            {c for k in left for c in k},
            key=lambda c: (frequency(c) / sum(c in k for k in left), c),
        )
        chosen.append(best)
        left = {k for k in left if best not in k}
    return {
        k: min((k.index(c) for c in chosen if c in k), key=lambda i: frequency(k[i])) for k in keys
    }


def any_of(keys: Iterable[str]) -> Pattern[str]:
    """A regex that finds any of `keys`, each matched from its anchor character (anchors()):
    the rest of the key after it, then the whole key looked behind for (`int3: ` anchored on
    its colon: `:(?:\\ (?<=int3:\\ )|...)`). The regex engine only stops where a text has
    one of those few characters, and there tries only that character's keys. An empty key:
    every text."""
    keys = tuple(keys)
    if "" in keys:
        return re.compile("")
    by_char: Dict[str, List[str]] = {}
    for key, i in anchors(keys).items():
        behind = f"(?<={re.escape(key)})" if i else ""
        by_char.setdefault(key[i], []).append(re.escape(key[i + 1 :]) + behind)
    alts = []
    for char in sorted(by_char, key=frequency):
        tails = by_char[char]
        alts.append(re.escape(char) + (f"(?:{'|'.join(tails)})" if tails != [""] else ""))
    return re.compile("|".join(alts))
