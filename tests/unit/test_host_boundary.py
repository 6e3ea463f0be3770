"""The host boundary (DESIGN section 4): host files are opened, listed, stat'ed, removed and
commands run only in kcrashd/host/ (plus the state store's own files in kcrashd/store/ and
the config files in kcrashd/config/load.py).

Every module under kcrashd/ is parsed with `ast`; a call or reference to a file-system or
process function (resolved through the module's imports, so `from os import listdir as ls`
is caught too) or an import of a module whose whole purpose is that (subprocess, glob,
pathlib ...) outside those places is a violation, unless ALLOWED names it with the reason.
"""

from __future__ import annotations

import ast
from typing import Dict, Iterator, List, Set, Tuple

import pytest

from tests.conftest import PROJECT

PACKAGE = PROJECT / "kcrashd"

# Where host access belongs.
HOST_AREAS = ("kcrashd/host/", "kcrashd/store/", "kcrashd/config/load.py")

# Modules that exist to touch files or processes: importing one is the violation.
FORBIDDEN_MODULES = {
    "subprocess",
    "glob",
    "pathlib",
    "shutil",
    "tempfile",
    "fileinput",
    "mmap",
    "sqlite3",  # the state database: kcrashd/store/ only
    "psutil",
    "pyudev",
}

# Functions that open, list, stat, change or remove files, or run or signal processes.
FORBIDDEN_CALLS = {
    "open",
    "io.open",
    "codecs.open",
    "os.open",
    "os.fdopen",
    "os.stat",
    "os.lstat",
    "os.statvfs",
    "os.listdir",
    "os.scandir",
    "os.walk",
    "os.fwalk",
    "os.remove",
    "os.unlink",
    "os.rmdir",
    "os.removedirs",
    "os.rename",
    "os.renames",
    "os.replace",
    "os.mkdir",
    "os.makedirs",
    "os.chmod",
    "os.chown",
    "os.utime",
    "os.truncate",
    "os.access",
    "os.readlink",
    "os.symlink",
    "os.link",
    "os.path.exists",
    "os.path.lexists",
    "os.path.isdir",
    "os.path.isfile",
    "os.path.islink",
    "os.path.ismount",
    "os.path.getsize",
    "os.path.getmtime",
    "os.path.getatime",
    "os.path.getctime",
    "os.path.samefile",
    "os.path.realpath",
    "os.kill",
    "os.killpg",
    "os.system",
    "os.popen",
    "os.fork",
    "os.posix_spawn",
    "os.posix_spawnp",
}
FORBIDDEN_PREFIXES = ("os.exec", "os.spawn")

# pathlib-style methods. Root has read_text and read_bytes too: on an object named `root`
# (root, self.root, ctx.root) they are the boundary itself; on anything else, a Path that
# came in from outside.
PATH_METHODS = {
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "iterdir",
    "rglob",
    "touch",
    "unlink",
    "mkdir",
    "rmdir",
    "symlink_to",
}

# (module, name) -> why it is not host access. Keep this short: a new entry needs a reason
# a reviewer agrees with, not "it was simpler".
ALLOWED: Dict[Tuple[str, str], str] = {
    # SIGKILL to its own pid (os.getpid()) between the journald send and the commit, when
    # KCRASHD_TEST_KILL_BEFORE_COMMIT names the alert type: the crash-consistency tests.
}


def _rel(path) -> str:
    return str(path.relative_to(PROJECT))


def _dotted(node: ast.AST) -> List[str]:
    """["os", "path", "exists"] for os.path.exists; [] when the chain does not start at a name."""
    parts: List[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return []
    parts.append(node.id)
    return parts[::-1]


def _imports(tree: ast.AST) -> Tuple[Dict[str, str], List[Tuple[int, str]]]:
    """Local name -> qualified name for every import, and (line, module) of each import."""
    names: Dict[str, str] = {}
    modules: List[Tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules.append((node.lineno, alias.name))
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.append((node.lineno, node.module))
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names, modules


def _module_level_names(tree: ast.Module) -> Set[str]:
    """Names a module binds itself (a module-level `def open` is not the builtin)."""
    bound: Set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.Assign):
            bound.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return bound


def _forbidden(qualified: str) -> bool:
    return qualified in FORBIDDEN_CALLS or qualified.startswith(FORBIDDEN_PREFIXES)


def violations(source: str) -> Iterator[Tuple[int, str]]:
    """(line, qualified name) of every host access in one module's source."""
    tree = ast.parse(source)
    names, modules = _imports(tree)
    own = _module_level_names(tree)
    for line, module in modules:
        if module.split(".")[0] in FORBIDDEN_MODULES:
            yield line, f"import {module}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in PATH_METHODS
            and _dotted(node.func.value)[-1:] != ["root"]
        ):
            yield node.lineno, f"Path.{node.func.attr}"
        # the outermost name or attribute chain: `os.path.exists`, not also `os.path`
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            parts = _dotted(node)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            parts = [node.id]
        else:
            continue
        if not parts:
            continue
        head = parts[0]
        if head in names:
            qualified = ".".join([names[head], *parts[1:]])
        elif parts == ["open"] and "open" not in own:
            qualified = "open"  # the builtin
        else:
            continue
        if _forbidden(qualified):
            yield node.lineno, qualified


def _scan() -> Dict[Tuple[str, str], List[int]]:
    found: Dict[Tuple[str, str], List[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = _rel(path)
        if rel.startswith(HOST_AREAS):
            continue
        for line, name in violations(path.read_text(encoding="utf-8")):
            found.setdefault((rel, name), []).append(line)
    return found


def test_host_is_touched_only_through_kcrashd_host():
    found = _scan()
    unexplained = sorted(
        f"{rel}:{lines[0]}: {name}"
        for (rel, name), lines in found.items()
        if (rel, name) not in ALLOWED
    )
    assert unexplained == [], "host access outside kcrashd/host/:\n" + "\n".join(unexplained)


def test_every_allowlist_entry_is_still_needed():
    found = _scan()
    stale = sorted(f"{rel}: {name}" for rel, name in ALLOWED if (rel, name) not in found)
    assert stale == [], "allowlist entries no longer used:\n" + "\n".join(stale)


@pytest.mark.parametrize(
    "snippet, name",
    [
        ("def f(p):\n    return open(p).read()\n", "open"),
        ("import os\nos.listdir('/proc')\n", "os.listdir"),
        ("import os\nos.path.exists('/dev/kmsg')\n", "os.path.exists"),
        ("import os.path\nif os.path.isdir('/x'): pass\n", "os.path.isdir"),
        ("from os import scandir as sd\nsd('/sys')\n", "os.scandir"),
        ("from os.path import isfile\nisfile('/etc/x')\n", "os.path.isfile"),
        ("import os as o\no.remove('/sys/fs/pstore/x')\n", "os.remove"),
        ("import os\nos.execv('/bin/sh', ['sh'])\n", "os.execv"),
        ("import os\nfn = os.stat\n", "os.stat"),  # a reference is as good as a call
        ("import subprocess\n", "import subprocess"),
        ("from glob import glob\n", "import glob"),
        ("from pathlib import Path\nPath('/proc/x').read_text()\n", "import pathlib"),
        ("def f():\n    import sqlite3\n", "import sqlite3"),
        ("def f(path):\n    return path.read_text()\n", "Path.read_text"),
        ("def f(self):\n    self.out.write_bytes(b'x')\n", "Path.write_bytes"),
    ],
)
def test_the_checker_finds_each_kind_of_host_access(snippet, name):
    assert name in [n for _, n in violations(snippet)]


def test_the_checker_leaves_reads_through_root_and_methods_named_open_alone():
    clean = (
        "import os\n"
        "from kcrashd.host.root import Root\n"
        "def f(root: Root, source, path):\n"
        "    source.open(None)\n"  # a kernel log source's method, not the builtin
        "    text = root.read_text('/proc/meminfo')\n"
        "    hits = root.glob('/sys/block/*')\n"
        "    return os.path.join(path, 'x'), os.getpid(), text, hits\n"
        "def open(x):\n"
        "    return x\n"
        "open(1)\n"  # the module's own open, not the builtin
    )
    assert list(violations(clean)) == []
