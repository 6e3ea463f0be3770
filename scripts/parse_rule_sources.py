#!/usr/bin/env python3
"""Check the parser's infrastructure table against a Linux source tree.

usage: python3 scripts/parse_rule_sources.py LINUX_TREE [--index CACHE.json] [--all]

For every group of kcrashd/parse/infrastructure.py:
- each exact name must be defined in one of the group's source paths (a file, a directory,
  or a glob such as arch/*/kernel/traps.c); names defined elsewhere or nowhere are listed;
- each pattern is matched against every function defined in the tree: matches outside the
  group's sources are listed, so an over-broad pattern shows (recipe roles such as the hung
  task's waits are name conventions and are only summarised);
- `other_versions` names that the tree does define are listed (they belong in `names`).
Exit 1 when an INFRA name is not defined in its sources.

Definitions are found with a line-based C/assembly scan (good enough to check names; not a
parser). Debian ships a tree: `apt-get download linux-source-6.1` and unpack it.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Set

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kcrashd.parse import rules as ru  # noqa: E402
from kcrashd.parse.infrastructure import GROUPS  # noqa: E402

_C_DEF = re.compile(r"^(?:[A-Za-z_][\w\s\*\(\),]*?[\s\*])?(\w+)\s*\((?![^)]*\)\s*;)")
_MACRO_DEF = re.compile(
    r"\b(?:SYM_FUNC_START(?:_LOCAL|_WEAK|_ALIAS|_NOALIGN)?|SYM_CODE_START(?:_LOCAL|_NOALIGN)?"
    r"|ENTRY|ENDPROC|SYM_INNER_LABEL(?:_ALIGN)?|_GLOBAL(?:_TOC)?|DEFINE_IDTENTRY\w*"
    r"|(?:COMPAT_)?SYSCALL_DEFINE\d)\((\w+)"
)
_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "defined"}
_SKIP_DIRS = {".git", "Documentation", "tools", "samples", "scripts"}


def index_tree(root: str) -> Dict[str, List[str]]:
    """function name -> files (relative) that define it."""
    out: Dict[str, Set[str]] = defaultdict(set)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        for fn in filenames:
            if not fn.endswith((".c", ".h", ".S")):
                continue
            path = os.path.join(dirpath, fn)
            rel = os.path.relpath(path, root)
            try:
                text = Path(path).read_text(errors="replace")
            except OSError:
                continue
            for line in text.split("\n"):
                m = _MACRO_DEF.search(line)
                if m:
                    out[m.group(1)].add(rel)
                    continue
                if not line or line[0] in " \t#/*}{" or line.rstrip().endswith(";"):
                    continue
                m = _C_DEF.match(line)
                if m and m.group(1) not in _KEYWORDS:
                    out[m.group(1)].add(rel)
    return {k: sorted(v) for k, v in out.items()}


def in_sources(path: str, sources: tuple) -> bool:
    for src in sources:
        if src.endswith("/") and path.startswith(src):
            return True
        if fnmatch.fnmatch(path, src):
            return True
    return False


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("tree")
    ap.add_argument("--index", help="cache the tree's index in this JSON file")
    ap.add_argument("--all", action="store_true", help="list every pattern match outside")
    a = ap.parse_args()
    if a.index and os.path.exists(a.index):
        idx = json.loads(Path(a.index).read_text())
    else:
        idx = index_tree(a.tree)
        if a.index:
            Path(a.index).write_text(json.dumps(idx))
    status = 0
    for g in GROUPS:
        problems: List[str] = []
        for name in g.names:
            files = idx.get(name)
            if not files:
                problems.append(f"  name {name}: not defined in the tree (inline, macro or renamed?)")
            elif not any(in_sources(f, g.source) for f in files):
                problems.append(f"  name {name}: defined in {', '.join(files[:3])}")
                status = status or int(g.role == ru.INFRA)
        for name in g.other_versions:
            if idx.get(name) and any(in_sources(f, g.source) for f in idx[name]):
                problems.append(f"  other_versions {name}: defined in this tree")
        for pattern in g.patterns:
            rx = re.compile(f"(?:{pattern})\\Z")
            hits = [n for n in idx if rx.match(n)]
            outside = [n for n in hits if not any(in_sources(f, g.source) for f in idx[n])]
            if outside and (a.all or g.role in (ru.INFRA, ru.THUNK, ru.WALK)):
                shown = ", ".join(f"{n} ({idx[n][0]})" for n in sorted(outside)[:6])
                problems.append(
                    f"  pattern {pattern}: {len(hits)} functions, {len(outside)} outside the "
                    f"sources: {shown}"
                )
        print(f"{g.name} [{g.role}]: {len(g.names)} names, {len(g.patterns)} patterns")
        for p in problems:
            print(p)
    return status


if __name__ == "__main__":
    sys.exit(main())
