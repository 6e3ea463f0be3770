"""Kernel taint flags: decode /proc/sys/kernel/tainted masks and `Tainted:` letter strings.

Table from Documentation/admin-guide/tainted-kernels.rst (bits 0-19). Bits are decoded by
position; an unknown set bit is reported as such rather than guessed.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

# (bit, letter, meaning). Bit 0 prints "G" when clear and "P" when set.
TAINT_FLAGS: Tuple[Tuple[int, str, str], ...] = (
    (0, "P", "proprietary module was loaded"),
    (1, "F", "module was force loaded"),
    (2, "S", "kernel running on an out-of-specification system"),
    (3, "R", "module was force unloaded"),
    (4, "M", "processor reported a Machine Check Exception (MCE)"),
    (5, "B", "bad page referenced or some unexpected page flags"),
    (6, "U", "taint requested by a userspace application"),
    (7, "D", "kernel died recently, i.e. there was an OOPS or BUG"),
    (8, "A", "ACPI table overridden by user"),
    (9, "W", "kernel issued a warning"),
    (10, "C", "staging driver was loaded"),
    (11, "I", "workaround for a bug in platform firmware applied"),
    (12, "O", "externally-built (out-of-tree) module was loaded"),
    (13, "E", "unsigned module was loaded"),
    (14, "L", "soft lockup occurred"),
    (15, "K", "kernel has been live patched"),
    (16, "X", "auxiliary taint, defined for and used by distros"),
    (17, "T", "kernel was built with the struct randomization plugin"),
    (18, "N", "an in-kernel test (such as a KUnit test) has been run"),
    (19, "J", "userspace used a mutating debug operation in fwctl"),
)

GPL_LETTER = "G"
GPL_MEANING = "all modules are GPL-compatible (no proprietary module loaded)"

_BY_LETTER: Dict[str, str] = {letter: meaning for _, letter, meaning in TAINT_FLAGS}
_BY_LETTER[GPL_LETTER] = GPL_MEANING
_BY_BIT: Dict[int, Tuple[str, str]] = {b: (letter, m) for b, letter, m in TAINT_FLAGS}

# Bounds a hostile or corrupted mask: the kernel uses far fewer bits than this.
_MAX_BITS = 64


def decode_taint_mask(mask: int) -> List[Tuple[str, str]]:
    """Set bits of a taint mask as (letter, meaning); unknown bits as ("?", "unknown ...")."""
    out: List[Tuple[str, str]] = []
    if mask < 0:
        mask &= (1 << _MAX_BITS) - 1
    for bit in range(_MAX_BITS):
        if not mask >> bit:
            break
        if mask >> bit & 1:
            out.append(_BY_BIT.get(bit, ("?", f"unknown taint (bit {bit})")))
    return out


def decode_taint_letters(letters: str) -> List[Tuple[str, str]]:
    """Letters of a `Tainted: G        W  OE` string as (letter, meaning), in order.

    `G` is kept (it says no proprietary module was loaded); unknown letters are reported
    as unknown rather than dropped.
    """
    out: List[Tuple[str, str]] = []
    seen = set()
    for ch in letters[:_MAX_BITS]:
        if ch.isspace() or ch in seen:
            continue
        seen.add(ch)
        out.append((ch, _BY_LETTER.get(ch, f"unknown taint letter {ch!r}")))
    return out


def taint_mask_to_letters(mask: int) -> str:
    """The kernel's own letter string for a mask (`G` or `P` first, blanks for clear bits)."""
    chars = ["P" if mask & 1 else "G"]
    for bit, letter, _ in TAINT_FLAGS[1:]:
        chars.append(letter if mask >> bit & 1 else " ")
    return "".join(chars).rstrip()
