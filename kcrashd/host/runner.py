"""CommandRunner: the only way kcrashd runs a command.

argv only (never a shell), a timeout always, LC_ALL=C so output is parseable. A missing
tool or a hung command is a result, not an exception.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Sequence, Tuple

MAX_OUTPUT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class CommandResult:
    argv: Tuple[str, ...]
    returncode: Optional[int]  # None when the command did not run to completion
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    missing: bool = False  # the tool is not installed
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def error(self) -> Optional[str]:
        """A one-line reason when the command did not produce usable output."""
        if self.missing:
            return f"{self.argv[0]} is not installed"
        if self.timed_out:
            return f"{self.argv[0]} timed out after {self.duration:.1f}s and was killed"
        return None


class CommandRunner:
    """Runs real commands."""

    def __init__(self, env: Optional[Mapping[str, str]] = None) -> None:
        base = dict(os.environ if env is None else env)
        base["LC_ALL"] = "C"
        base.pop("LANG", None)
        self.env: Dict[str, str] = base

    def which(self, tool: str) -> Optional[str]:
        return shutil.which(tool, path=self.env.get("PATH"))

    def run(
        self,
        argv: Sequence[str],
        timeout: float,
        input_text: Optional[str] = None,
        stdin_path: Optional[str] = None,
    ) -> CommandResult:
        """`stdin_path`: a file the command reads on its standard input (a dump of GBs
        that must not pass through memory, e.g. `makedumpfile -R OUT < DUMP`)."""
        if timeout is None or timeout <= 0:
            raise ValueError("every command needs a positive timeout")
        args = tuple(argv)
        if self.which(args[0]) is None:
            return CommandResult(args, None, missing=True)
        start = time.monotonic()
        stdin_fd = -1
        stdin: int = subprocess.PIPE if input_text is not None else subprocess.DEVNULL
        try:
            if stdin_path is not None:
                stdin = stdin_fd = os.open(stdin_path, os.O_RDONLY | os.O_CLOEXEC)
            # A new session so a timeout kills the whole process group, not just the leader.
            proc = subprocess.Popen(
                args,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError) as exc:
            # the tool is missing, unless it was the file for its stdin that could not open
            missing = stdin_path is None or stdin_fd >= 0
            return CommandResult(args, None, stderr=str(exc), missing=missing)
        finally:
            if stdin_fd >= 0:
                os.close(stdin_fd)  # the child has its own copy
        try:
            out, err = proc.communicate(input=input_text and input_text.encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            return CommandResult(
                args,
                None,
                _decode(out),
                _decode(err),
                timed_out=True,
                duration=time.monotonic() - start,
            )
        return CommandResult(
            args, proc.returncode, _decode(out), _decode(err), duration=time.monotonic() - start
        )


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _decode(data: Optional[bytes]) -> str:
    return (data or b"")[:MAX_OUTPUT_BYTES].decode("utf-8", "replace")


class ReplayRunner:
    """Replays recorded outputs of real commands (hardware these machines lack).

    `recordings` maps an argv tuple to (returncode, stdout[, stderr]); `from_json_files`
    builds one from recorded smartctl JSON files, whose exit status is inside the file.
    An argv with no recording behaves like a missing tool.
    """

    def __init__(self, recordings: Mapping[Tuple[str, ...], Tuple]) -> None:
        self.recordings = dict(recordings)
        self.calls: list = []

    def which(self, tool: str) -> Optional[str]:
        return tool if any(k[0] == tool for k in self.recordings) else None

    def run(
        self,
        argv: Sequence[str],
        timeout: float,
        input_text: Optional[str] = None,
        stdin_path: Optional[str] = None,
    ) -> CommandResult:
        if timeout is None or timeout <= 0:
            raise ValueError("every command needs a positive timeout")
        args = tuple(argv)
        self.calls.append(args)
        rec = self.recordings.get(args)
        if rec is None:
            return CommandResult(args, None, missing=True)
        code, out = rec[0], rec[1]
        err = rec[2] if len(rec) > 2 else ""
        return CommandResult(args, code, out, err)

    @classmethod
    def from_json_files(cls, mapping: Mapping[Tuple[str, ...], str]) -> ReplayRunner:
        """argv -> path of a recorded `--json` output; the exit code comes from the file."""
        recordings = {}
        for argv, path in mapping.items():
            with open(path, encoding="utf-8") as f:
                text = f.read()
            code = json.loads(text).get("smartctl", {}).get("exit_status", 0)
            recordings[tuple(argv)] = (code, text)
        return cls(recordings)
