"""Rust (v0 and legacy) and plain C++ symbol names as a reader writes them.

Rust code in the kernel prints mangled symbols in stack traces:
`_RNvMs3_NtCshgDM7dBCdno_11rust_binder7processNtB5_7Process10update_ref` (the v0 scheme,
RFC 2603) or `_ZN6kernel4sync4lock4Lock4lock17h0123456789abcdefE` (the legacy scheme, Itanium
C++ nesting plus a hash). This gives `<rust_binder::process::Process>::update_ref` and
`kernel::sync::lock::Lock::lock`: paths without crate disambiguators or hashes (what
rustc-demangle's alternate form prints), so the same function has the same name on every
build. Anything that does not parse is returned unchanged; the output is bounded.
"""

from __future__ import annotations

import re
from typing import List, Optional

_MAX_LEN = 512
_MAX_DEPTH = 32
_LEGACY_HASH = re.compile(r"h[0-9a-f]{16}")
_LEGACY_ESCAPES = (
    ("$SP$", "@"), ("$BP$", "*"), ("$RF$", "&"), ("$LT$", "<"), ("$GT$", ">"),
    ("$LP$", "("), ("$RP$", ")"), ("$C$", ","), ("$u7e$", "~"), ("$u20$", " "),
    ("$u27$", "'"), ("$u5b$", "["), ("$u5d$", "]"), ("$u7b$", "{"), ("$u7d$", "}"),
    ("$u3b$", ";"), ("$u2b$", "+"), ("$u22$", '"'), ("..", "::"),
)  # fmt: skip
_BASIC = {
    "a": "i8", "b": "bool", "c": "char", "d": "f64", "e": "str", "f": "f32", "h": "u8",
    "i": "isize", "j": "usize", "l": "i32", "m": "u32", "n": "i128", "o": "u128", "s": "i16",
    "t": "u16", "u": "()", "v": "...", "x": "i64", "y": "u64", "z": "!", "p": "_",
}  # fmt: skip


class _Fail(Exception):
    pass


def demangle(name: str) -> str:
    """The readable name of a mangled Rust or C++ symbol; other names unchanged."""
    try:
        if name.startswith("_R"):
            return _V0(name[2:]).symbol()
        if name.startswith("_ZN") and name.endswith("E"):
            return _legacy(name[3:-1])
        if name.startswith("_Z") and len(name) > 2 and name[2].isdigit():
            return _itanium_plain(name[2:])
    except (_Fail, IndexError, ValueError, RecursionError):
        pass
    return name


def _source_names(s: str, pos: int = 0) -> List[str]:
    """`4core9panicking` -> ["core", "panicking"] (length-prefixed identifiers)."""
    out = []
    while pos < len(s) and s[pos].isdigit():
        m = re.match(r"\d+", s[pos:])
        assert m is not None
        n = int(m.group(0))
        pos += len(m.group(0))
        if n <= 0 or pos + n > len(s):
            raise _Fail
        out.append(s[pos : pos + n])
        pos += n
    if pos != len(s) or not out:
        raise _Fail
    return out


def _legacy(body: str) -> str:
    parts = _source_names(body)
    if len(parts) > 1 and _LEGACY_HASH.fullmatch(parts[-1]):
        parts = parts[:-1]
    text = "::".join(parts)
    for esc, ch in _LEGACY_ESCAPES:
        text = text.replace(esc, ch)
    return text[:_MAX_LEN]


def _itanium_plain(body: str) -> str:
    """`_Z8fakeNameiii` -> `fakeName` (a non-nested C++ name; its parameter types dropped)."""
    m = re.match(r"(\d+)", body)
    if not m:
        raise _Fail
    n = int(m.group(1))
    start = len(m.group(1))
    name = body[start : start + n]
    if len(name) != n or not re.fullmatch(r"[A-Za-z_]\w*", name):
        raise _Fail
    return name


class _V0:
    """A recursive-descent reader of the v0 grammar (paths, types, generic arguments)."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.i = 0
        self.depth = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def next(self) -> str:
        c = self.peek()
        if not c:
            raise _Fail
        self.i += 1
        return c

    def eat(self, c: str) -> bool:
        if self.peek() == c:
            self.i += 1
            return True
        return False

    def base62(self) -> int:
        """`_` is 0, `<digits>_` is value + 1."""
        if self.eat("_"):
            return 0
        value = 0
        while True:
            c = self.next()
            if c == "_":
                return value + 1
            if c.isdigit():
                d = ord(c) - ord("0")
            elif "a" <= c <= "z":
                d = ord(c) - ord("a") + 10
            elif "A" <= c <= "Z":
                d = ord(c) - ord("A") + 36
            else:
                raise _Fail
            value = value * 62 + d

    def disambiguator(self) -> None:
        if self.eat("s"):
            self.base62()

    def ident(self) -> str:
        punycode = self.eat("u")
        m = re.match(r"\d+", self.s[self.i :])
        if not m:
            raise _Fail
        n = int(m.group(0))
        self.i += len(m.group(0))
        self.eat("_")
        text = self.s[self.i : self.i + n]
        if len(text) != n:
            raise _Fail
        self.i += n
        return text if not punycode else text.replace("_", "-")

    def backref(self, fn):  # type: ignore[no-untyped-def]
        target = self.base62()
        if target >= self.i:
            raise _Fail
        saved = self.i
        self.i = target
        try:
            return fn()
        finally:
            self.i = saved

    def symbol(self) -> str:
        if self.peek().isdigit():  # encoding version
            raise _Fail
        out = self.path()
        return out[:_MAX_LEN]

    def path(self) -> str:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _Fail
        try:
            return self._path()
        finally:
            self.depth -= 1

    def _path(self) -> str:
        tag = self.next()
        if tag == "C":  # crate root
            self.disambiguator()
            return self.ident()
        if tag == "M":  # inherent impl: <Type>
            self.disambiguator()
            self.path()  # the impl's parent path
            return f"<{self.type()}>"
        if tag == "X":  # trait impl: <Type as Trait>
            self.disambiguator()
            self.path()
            ty = self.type()
            return f"<{ty} as {self.path()}>"
        if tag == "Y":  # trait definition: <Type as Trait>
            ty = self.type()
            return f"<{ty} as {self.path()}>"
        if tag == "N":  # nested: namespace, parent, name
            ns = self.next()
            parent = self.path()
            self.disambiguator()
            name = self.ident()
            if ns.isupper():  # closures, shims: {closure#N}
                label = {"C": "closure", "S": "shim"}.get(ns, ns)
                return f"{parent}::{{{label}}}" if not name else f"{parent}::{{{label}:{name}}}"
            return f"{parent}::{name}" if name else parent
        if tag == "I":  # generic arguments
            base = self.path()
            args = self.generic_args()
            return f"{base}::<{', '.join(args)}>"
        if tag == "B":
            return self.backref(self.path)
        raise _Fail

    def generic_args(self) -> List[str]:
        args = []
        while not self.eat("E"):
            if self.eat("L"):
                self.base62()
                args.append("'_")
            elif self.eat("K"):
                args.append(self.const())
            else:
                args.append(self.type())
            if len(args) > 32:
                raise _Fail
        return args

    def const(self) -> str:
        if self.eat("p"):
            return "_"
        if self.eat("B"):
            return self.backref(self.const)
        self.type_tag_only()
        neg = self.eat("n")
        m = re.match(r"[0-9a-f]*_", self.s[self.i :])
        if not m:
            raise _Fail
        self.i += len(m.group(0))
        digits = m.group(0)[:-1] or "0"
        return ("-" if neg else "") + str(int(digits, 16))

    def type_tag_only(self) -> None:
        if self.next() not in _BASIC:
            raise _Fail

    def type(self) -> str:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _Fail
        try:
            return self._type()
        finally:
            self.depth -= 1

    def _type(self) -> str:
        c = self.peek()
        if c in _BASIC:
            self.i += 1
            return _BASIC[c]
        if c == "R" or c == "Q":  # & / &mut, optional lifetime
            self.i += 1
            if self.eat("L"):
                self.base62()
            return ("&" if c == "R" else "&mut ") + self.type()
        if c == "P" or c == "O":
            self.i += 1
            return ("*const " if c == "P" else "*mut ") + self.type()
        if c == "A":
            self.i += 1
            ty = self.type()
            return f"[{ty}; {self.const()}]"
        if c == "S":
            self.i += 1
            return f"[{self.type()}]"
        if c == "T":
            self.i += 1
            items = []
            while not self.eat("E"):
                items.append(self.type())
                if len(items) > 32:
                    raise _Fail
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if c == "B":
            self.i += 1
            return self.backref(self.type)
        if c == "D":  # dyn Trait
            self.i += 1
            if self.eat("G"):
                self.base62()
            bounds = []
            while not self.eat("E"):
                bounds.append(self.path())
                while self.eat("p"):
                    self.ident()
                    self.type()
            self.eat("L") and self.base62()
            return "dyn " + " + ".join(bounds)
        return self.path()


def maybe_demangle(name: Optional[str]) -> Optional[str]:
    if name and (name.startswith("_R") or name.startswith("_Z")):
        return demangle(name)
    return name
