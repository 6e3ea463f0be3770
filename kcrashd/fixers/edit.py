"""Pure text edits of configuration files: set one setting, leave every other line as it is.

Each function takes the file's text (None: no file yet) and returns the new text; a
setting that already has the value returns the text unchanged.
"""

from __future__ import annotations

import re
from typing import Callable, List, Optional

HEADER = "# Written by 'kcrashd fix' ('kcrashd fix --undo' takes it back).\n"


def _lines(text: Optional[str]) -> List[str]:
    if not text:
        return []
    lines = text.splitlines(keepends=True)
    if not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _set_line(
    text: Optional[str],
    matches: Callable[[str], bool],
    new_line: str,
    header: str = "",
    comment: str = "",
) -> str:
    """Replace the last active line `matches` accepts with `new_line`, or append it."""
    lines = _lines(text)
    for i in range(len(lines) - 1, -1, -1):
        if matches(lines[i]):
            if lines[i].rstrip("\n") == new_line:
                return text or ""
            lines[i] = new_line + "\n"
            return "".join(lines)
    if not lines and header:
        lines.append(header)
    if comment:
        lines.append(f"# {comment}\n")
    lines.append(new_line + "\n")
    return "".join(lines)


def set_sysctl(text: Optional[str], key: str, value: str, comment: str = "") -> str:
    """`key = value` in a sysctl.d file."""
    key = key.strip().replace("/", ".")

    def matches(line: str) -> bool:
        s = line.strip()
        if not s or s[0] in "#;" or "=" not in s:
            return False
        return s.partition("=")[0].strip().lstrip("-").replace("/", ".") == key

    return _set_line(text, matches, f"{key} = {value}", HEADER, comment)


def shell_value(value: str) -> str:
    """How a value is written in a sourced shell file: quoted only when it needs it."""
    if value and re.fullmatch(r"[\w@%+=:,./-]+", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def set_shell_var(text: Optional[str], key: str, value: str) -> str:
    """`KEY=value` in a shell file sourced by a tool (/etc/default/kdump-tools)."""
    pattern = re.compile(rf"^\s*(export\s+)?{re.escape(key)}=")
    return _set_line(text, lambda line: bool(pattern.match(line)), f"{key}={shell_value(value)}")


def set_directive(text: Optional[str], directive: str, value: str) -> str:
    """`directive value` in /etc/kdump.conf (the last active line of a directive wins)."""
    pattern = re.compile(rf"^\s*{re.escape(directive)}(\s|$)")
    return _set_line(text, lambda line: bool(pattern.match(line)), f"{directive} {value}")


def ini_dropin(section: str, key: str, value: str, why: str) -> str:
    """A whole drop-in of kcrashd's own that sets one key."""
    return f"{HEADER}# {why}\n[{section}]\n{key}={value}\n"


def list_file(items: List[str], why: str) -> str:
    """A modules-load.d style file: one name per line."""
    return f"{HEADER}# {why}\n" + "".join(f"{i}\n" for i in items)


_CRASHKERNEL = re.compile(r"(?<![\w.])crashkernel=[^\s\"']*")


def set_crashkernel(line: str, value: str) -> str:
    """A kernel command line with crashkernel=`value` instead of any crashkernel= it had."""
    if _CRASHKERNEL.search(line):
        return _CRASHKERNEL.sub(lambda _: f"crashkernel={value}", line, count=1)
    return f"{line} crashkernel={value}".strip()


def set_grub_crashkernel(text: Optional[str], value: str) -> str:
    """crashkernel= in a /etc/default/grub.d file: the value replaced where an active line
    sets it, else the line kdump-tools itself ships is added."""
    lines = _lines(text)
    for i, line in enumerate(lines):
        if not line.lstrip().startswith("#") and _CRASHKERNEL.search(line):
            lines[i] = set_crashkernel(line.rstrip("\n"), value) + "\n"
            return "".join(lines)
    lines.append(grub_line(value) + "\n")
    return "".join(lines)


def grub_line(value: str) -> str:
    """The line kdump-tools ships in /etc/default/grub.d/kdump-tools.cfg."""
    return f'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel={value}"'
