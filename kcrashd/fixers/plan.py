"""What a fixer proposes (pure data) and the draft of files it edits.

A fixer reads the check's own result and the host, edits files in a Draft (which later
fixers of the same run read, so several sysctl fixes share one drop-in) and returns a
Proposal: the files it edited, the commands that apply them on the live host, what the
operator must still do by hand, and when the check can see the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from kcrashd.host import writer
from kcrashd.host.root import Root

if TYPE_CHECKING:
    from kcrashd.checks.context import HostView

# When the check can see a fix (the "effect" of a proposal).
NOW = "now"  # the check reads the file written: the next check shows it
LIVE = "live"  # a command applies it on the live host; on another root, the next boot does
REBOOT = "reboot"  # only the next boot applies it (kernel command line, module options)

COMMAND_TIMEOUT = 60.0


@dataclass(frozen=True)
class Command:
    """A command that applies written files to the running system (live root only)."""

    argv: Tuple[str, ...]
    why: str
    timeout: float = COMMAND_TIMEOUT
    # argvs `kcrashd fix --undo` runs after restoring the files (live root only)
    undo: Tuple[Tuple[str, ...], ...] = ()
    # host paths the command itself changes (update-grub, grubby): recorded before it
    # runs and restored byte for byte by --undo
    touches: Tuple[str, ...] = ()

    @property
    def line(self) -> str:
        return " ".join(_quote(a) for a in self.argv)


@dataclass
class Proposal:
    """One fixer's answer for one finding."""

    check_id: str
    files: List[str] = field(default_factory=list)  # host paths edited in the draft
    dirs: List[str] = field(default_factory=list)  # directories to create (host paths)
    commands: List[Command] = field(default_factory=list)
    manual: List[str] = field(default_factory=list)  # what is left to the operator
    effect: str = NOW
    note: Optional[str] = None  # a one-line remark shown with the finding
    # (path, text) a command will leave, shown as a diff first; never written by kcrashd
    preview: List[Tuple[str, str]] = field(default_factory=list)

    @property
    def does_something(self) -> bool:
        return bool(self.files or self.dirs or self.commands)


def manual_only(check_id: str, *steps: str) -> Proposal:
    return Proposal(check_id, manual=[s for s in steps if s])


class Draft:
    """The files as this run would leave them. Text is decoded with surrogateescape so
    that bytes which are not UTF-8 are written back exactly as they were."""

    def __init__(self, root: Root) -> None:
        self.root = root
        self.before: Dict[str, writer.FileState] = {}
        self.after: Dict[str, str] = {}

    def _state(self, path: str) -> writer.FileState:
        if path not in self.before:
            self.before[path] = writer.file_state(self.root, path)
        return self.before[path]

    def read(self, path: str) -> Optional[str]:
        if path in self.after:
            return self.after[path]
        data = self._state(path).data
        return None if data is None else data.decode("utf-8", "surrogateescape")

    def write(self, path: str, text: str) -> None:
        self._state(path)
        self.after[path] = text

    def changed(self) -> List[str]:
        """Paths whose planned text differs from the file, in the order first edited."""
        out = []
        for path, text in self.after.items():
            old = self.before[path].data
            if old is None or old != encode(text):
                out.append(path)
        return out


@dataclass
class FixContext:
    """What a fixer may use: the host as the checks read it, and the draft of files."""

    host: HostView
    draft: Draft
    bootloader: bool = False  # --bootloader: edit the bootloader configuration too

    @property
    def live(self) -> bool:
        """Commands run only on the live root; another root (an image) gets files only."""
        return self.host.root.is_live

    @property
    def family(self) -> str:
        return self.host.family


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)
