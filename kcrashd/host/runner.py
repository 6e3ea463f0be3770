"""CommandRunner: the only way kcrashd runs a command.

argv only (never a shell), a timeout always, LC_ALL=C so output is parseable. A missing
tool or a hung command is a result, not an exception.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
from typing import Any, Dict, Mapping, NamedTuple, Optional, Sequence, Set, Tuple

MAX_OUTPUT_BYTES = 16 * 1024 * 1024  # per stream: the rest is read and dropped
PIPE_CHUNK = 64 * 1024
# Carried in a contained command's environment and inherited by all it starts: how its
# leftovers are found (a setsid grandchild leaves the process group, not the environment).
RUN_TOKEN_VAR = "KCRASHD_RUN_TOKEN"


class CommandResult(NamedTuple):
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
        self._contained: Set[str] = set()  # tokens of contained runs still going
        self._lock = threading.Lock()

    def which(self, tool: str) -> Optional[str]:
        return shutil.which(tool, path=self.env.get("PATH"))

    def run(
        self,
        argv: Sequence[str],
        timeout: float,
        input_text: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        contain: bool = False,
        stdin_path: Optional[str] = None,
    ) -> CommandResult:
        """Run argv to completion or `timeout`. `env` is added to the environment. With
        `contain`, nothing the command started outlives it: when it exits or is killed,
        its process group and every process that inherited its run token (a `setsid`
        grandchild too) are killed, and terminate_all() does the same from another thread.
        `stdin_path`: a file the command reads on its standard input (a dump of GBs that
        must not pass through memory, e.g. `makedumpfile -R OUT < DUMP`)."""
        if timeout is None or timeout <= 0:
            raise ValueError("every command needs a positive timeout")
        args = tuple(argv)
        if self.which(args[0]) is None:
            return CommandResult(args, None, missing=True)
        run_env = dict(self.env, **(env or {}))
        token = os.urandom(16).hex() if contain else None
        if token:
            run_env[RUN_TOKEN_VAR] = token
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
                env=run_env,
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError) as exc:
            # the tool is missing, unless it was the file for its stdin that could not open
            missing = stdin_path is None or stdin_fd >= 0
            return CommandResult(args, None, stderr=str(exc), missing=missing)
        finally:
            if stdin_fd >= 0:
                os.close(stdin_fd)  # the child has its own copy
        if token:
            with self._lock:
                self._contained.add(token)
        try:
            data = (input_text or "").encode() if input_text is not None else None
            out, err, timed_out = _communicate(proc, data, start + timeout)
            if timed_out:
                _kill_group(proc.pid)
                proc.wait()
        finally:
            if token:
                _kill_group(proc.pid)
                kill_token_holders(token)
                with self._lock:
                    self._contained.discard(token)
        duration = time.monotonic() - start
        if timed_out:
            return CommandResult(args, None, out, err, timed_out=True, duration=duration)
        return CommandResult(args, proc.returncode, out, err, duration=duration)

    def terminate_all(self) -> int:
        """Kill every process of the contained runs still going (daemon stop); how many."""
        with self._lock:
            tokens = list(self._contained)
        return sum(kill_token_holders(t) for t in tokens)


def _communicate(
    proc: subprocess.Popen, data: Optional[bytes], deadline: float
) -> Tuple[str, str, bool]:
    """stdout, stderr (each cut at MAX_OUTPUT_BYTES while it is read: the rest is read and
    dropped, so the command is not blocked on a full pipe) and whether the deadline passed."""
    kept: Dict[Any, bytearray] = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    view, sent = memoryview(data or b""), 0
    with selectors.DefaultSelector() as sel:
        for stream in (proc.stdout, proc.stderr):
            os.set_blocking(stream.fileno(), False)
            sel.register(stream, selectors.EVENT_READ)
        if proc.stdin is not None:
            if view:
                os.set_blocking(proc.stdin.fileno(), False)
                sel.register(proc.stdin, selectors.EVENT_WRITE)
            else:
                proc.stdin.close()
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            events = sel.select(min(left, 0.2))
            if not events and proc.poll() is not None:
                break  # it exited; what still holds its pipes open is not waited for
            for key, _ in events:
                if key.fileobj is proc.stdin:
                    sent = _write_some(key.fd, view, sent)
                    if sent >= len(view):
                        sel.unregister(proc.stdin)
                        proc.stdin.close()
                    continue
                chunk = os.read(key.fd, PIPE_CHUNK)
                if not chunk:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                    continue
                buf = kept[key.fileobj]
                if len(buf) < MAX_OUTPUT_BYTES:
                    buf += chunk[: MAX_OUTPUT_BYTES - len(buf)]
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None and not stream.closed:
            stream.close()
    out, err = _text(kept[proc.stdout]), _text(kept[proc.stderr])
    try:
        proc.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return out, err, True
    return out, err, False


def _write_some(fd: int, view: memoryview, sent: int) -> int:
    try:
        return sent + os.write(fd, view[sent : sent + PIPE_CHUNK])
    except BrokenPipeError:  # the command does not read its input: not an error
        return len(view)


def _text(data: bytearray) -> str:
    return bytes(data).decode("utf-8", "replace")


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_token_holders(token: str, proc_dir: str = "/proc") -> int:
    """SIGKILL every process whose environment carries RUN_TOKEN_VAR=token: what a contained
    command started, even in a session of its own. Returns how many were signalled."""
    needle = f"{RUN_TOKEN_VAR}={token}".encode()
    killed = 0
    for _ in range(3):  # a process may fork while the table is read: read it again
        found = 0
        for name in os.listdir(proc_dir):
            if not name.isdigit() or int(name) == os.getpid():
                continue
            try:
                with open(f"{proc_dir}/{name}/environ", "rb") as f:
                    environ = f.read()
            except OSError:
                continue
            if needle in environ.split(b"\0"):
                try:
                    os.kill(int(name), signal.SIGKILL)
                    found += 1
                except (ProcessLookupError, PermissionError):
                    pass
        killed += found
        if not found:
            break
    return killed


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
        import json  # replays only: a live check run does not need it

        recordings = {}
        for argv, path in mapping.items():
            with open(path, encoding="utf-8") as f:
                text = f.read()
            code = json.loads(text).get("smartctl", {}).get("exit_status", 0)
            recordings[tuple(argv)] = (code, text)
        return cls(recordings)
