"""The parts a fault scenario is built from: a private systemd-journald, a `kcrashd run`
process, and real oopses written to /dev/kmsg.

A scenario runs in a private mount namespace (`unshare --mount`, see run_scenario) where
tmpfs is mounted over /run/systemd/journal, /run/log/journal and /var/log/journal: the
journald started there is a real systemd-journald with a journal of its own, so a scenario
may kill it, restart it, rotate and vacuum its files without touching anybody else's
journal. /dev/kmsg is the real one (kernel lines reach every journald).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

from tests import helpers
from tests.conftest import JOURNALD, PROJECT, _socket_alive, write_kmsg

__all__ = ["write_kmsg"]  # the scenarios write oopses with it
SOCKET = "/run/systemd/journal/socket"
JOURNAL_DIRS = ("/run/systemd/journal", "/run/log/journal", "/var/log/journal")
CRASH_ID = "1f64fb6ca3034733a3684189e2c680be"  # crash_report's MESSAGE_ID
WATCHERS = ("memory", "fd", "thermal", "disk", "edac", "kernel_counters")
# kcrashd.service's CapabilityBoundingSet: the daemon runs without CAP_DAC_OVERRIDE
UNIT_CAPS = "-all,+syslog,+sys_rawio,+sys_admin,+sys_ptrace,+dac_read_search"
DEVKMSG = Path("/proc/sys/kernel/printk_devkmsg")


def oops_lines(tag: str, address: str = "0000000000000000") -> List[str]:
    """A real-shaped x86-64 NULL pointer oops whose guilty function carries `tag`."""
    return helpers.oops_lines(f"kct_{tag}_read", f"kct{tag[:8]}", address)


class UnlimitedKmsg:
    """printk_devkmsg=on while in use: the kernel rate-limits /dev/kmsg writers otherwise."""

    def __enter__(self) -> UnlimitedKmsg:
        self.old = DEVKMSG.read_text().strip()
        DEVKMSG.write_text("on\n")
        return self

    def __exit__(self, *exc: Any) -> None:
        DEVKMSG.write_text(self.old + "\n")


def default_config(tmp: Path) -> str:
    """kcrashd.yaml for a scenario: following the kernel log only (other jobs off)."""
    hooks = tmp / "hooks.d"
    hooks.mkdir(exist_ok=True)
    return (
        f"hooks:\n  directory: {hooks}\n"
        "journal:\n  report_gap_seconds: 1.0\n"
        "checks:\n  interval_hours: 0\n"
        "alerts:\n  reminder: never\n"
        "postmortem:\n  enabled: false\n"
        "metrics:\n  textfile_directory: null\n"
        "watchers:\n" + "".join(f"  {w}:\n    enabled: false\n" for w in WATCHERS)
    )


class PrivateJournal:
    """A systemd-journald of this mount namespace (only inside one: see run_scenario)."""

    def __init__(self) -> None:
        self.proc: Optional[subprocess.Popen] = None
        self.starts = 0

    def mount(self) -> PrivateJournal:
        # run_scenario execs us through unshare: our parent is in the namespace we left
        if os.readlink("/proc/self/ns/mnt") == os.readlink(f"/proc/{os.getppid()}/ns/mnt"):
            raise RuntimeError("PrivateJournal outside a private mount namespace")
        for d in JOURNAL_DIRS:
            os.makedirs(d, exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d], check=True)
        return self

    def start(self, timeout: float = 10.0) -> None:
        self.proc = subprocess.Popen(
            [JOURNALD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while not _socket_alive(SOCKET):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("systemd-journald did not start")
            time.sleep(0.02)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            if sig in (signal.SIGKILL, signal.SIGTERM):
                self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    @staticmethod
    def journalctl(*args: str) -> str:
        out = subprocess.run(
            ["journalctl", "--no-pager", *args], capture_output=True, text=True, timeout=60
        )
        return out.stdout

    def entries(self, *matches: str) -> List[Dict[str, Any]]:
        text = self.journalctl("-o", "json", *matches)
        return [json.loads(x) for x in text.splitlines() if x.strip()]

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until journald stored everything sent before now (a sentinel sent now
        is stored only after every earlier datagram)."""
        tag = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        sent = False
        while time.monotonic() < deadline:
            if not sent:
                try:
                    send_entry(
                        {"MESSAGE": "sentinel", "SYSLOG_IDENTIFIER": "fault-test", "FT": tag}
                    )
                    sent = True
                except OSError:
                    time.sleep(0.1)
                    continue
            if self.entries(f"FT={tag}"):
                return True
            time.sleep(0.1)
        return False


def send_entry(fields: Dict[str, str]) -> None:
    """One journal entry of single-line fields (journald's native protocol), stdlib only:
    the scenarios also run against other kcrashd checkouts."""
    data = "".join(f"{k}={v}\n" for k, v in fields.items()).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK) as s:
        s.sendto(data, SOCKET)


def wait_for(predicate: Any, timeout: float, poll: float = 0.1) -> Any:
    """predicate() until it is truthy or `timeout` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(poll)


def crash_entries(journal: PrivateJournal, tag: str) -> List[Dict[str, Any]]:
    """kcrashd's crash_report entries for the oops tagged `tag` (sent by root only)."""
    return journal.entries(f"MESSAGE_ID={CRASH_ID}", f"KCRASHD_FUNCTION=kct_{tag}_read", "_UID=0")


class Notify:
    """A NOTIFY_SOCKET like systemd's, to see READY=1 / STATUS= / WATCHDOG=1. A thread
    reads it all the time, as systemd does: kcrashd's sd_notify blocks on a full socket."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages: List[str] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        self.sock.settimeout(0.2)
        while not self._closed.is_set():
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                continue
            except OSError:
                return

    def wait_for(self, text: str, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while not any(text in m for m in list(self.messages)):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def close(self) -> None:
        self._closed.set()
        self._thread.join(2)
        self.sock.close()


class Kcrashd:
    """`kcrashd run` of the checkout at `project`, under kcrashd.service's capability
    bounding set (no CAP_DAC_OVERRIDE), state in `state`."""

    def __init__(self, tmp: Path, state: Path, project: Path = PROJECT, caps: bool = True):
        self.tmp = tmp
        self.state = state
        self.project = project
        self.caps = caps
        self.config = tmp / "kcrashd.yaml"
        if not self.config.exists():
            self.config.write_text(default_config(tmp))
        self.log = tmp / "kcrashd.log"
        self.proc: Optional[subprocess.Popen] = None
        self.notify: Optional[Notify] = None

    def start(self, wait_ready: bool = True, timeout: float = 30.0) -> bool:
        sock = self.tmp / f"notify-{time.monotonic_ns()}"
        self.notify = Notify(sock)
        env = dict(os.environ, NOTIFY_SOCKET=str(sock), PYTHONPATH=str(self.project))
        argv = [sys.executable, "-m", "kcrashd", "--config", str(self.config), "run"]
        argv += ["--state-dir", str(self.state)]
        if self.caps:
            argv = ["setpriv", f"--bounding-set={UNIT_CAPS}", "--inh-caps=-all", "--", *argv]
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                argv, cwd=self.project, env=env, stdout=subprocess.DEVNULL, stderr=log
            )
        return self.notify.wait_for("READY=1", timeout) if wait_ready else True

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 30.0) -> Optional[int]:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(10)
        if self.notify:
            self.notify.close()
        return code

    def logs(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def status(self) -> Dict[str, Any]:
        out = subprocess.run(
            [sys.executable, "-m", "kcrashd", "status", "--json", "--state-dir", str(self.state)],
            cwd=self.project,
            env=dict(os.environ, PYTHONPATH=str(self.project)),
            capture_output=True,
            text=True,
            timeout=30,
        )
        try:
            return dict(json.loads(out.stdout))
        except ValueError:
            return {"error": out.stderr.strip()[-300:]}


def run_scenario(name: str, params: Dict[str, Any], project: Path = PROJECT) -> Dict[str, Any]:
    """Run tests.faults.scenarios NAME in a private mount namespace; its result."""
    argv = ["unshare", "--mount", "--propagation", "private", sys.executable, "-m"]
    argv += ["tests.faults.scenarios", name, json.dumps(params), str(project)]
    out = subprocess.run(
        argv,
        cwd=PROJECT,
        env=dict(os.environ, PYTHONPATH=str(PROJECT)),
        capture_output=True,
        text=True,
        timeout=float(params.get("timeout", 900)),
    )
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"scenario {name} failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return dict(json.loads(lines[-1]))
