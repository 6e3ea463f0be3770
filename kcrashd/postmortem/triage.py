"""vmcore triage with crash(8): what `kcrashd incidents show` adds when it can.

When `crash`, the incident's vmcore and the debug vmlinux of the crashed kernel are here,
crash runs in batch (`crash -s -i COMMANDS VMLINUX VMCORE`, through CommandRunner, with a
timeout) and its answers are kept: `bt` of the panicking task, the end of the kernel log
(the tail of `log`) and that task's line of `ps`. A flattened dump (what kdump-tools writes:
makedumpfile -F) is first turned into one crash reads, `makedumpfile -R OUT < DUMP`, in a
scratch directory that is removed afterwards (kcrashd.host.scratch). Crash on a real dump
takes tens of seconds, so the result is kept in the state directory (kcrashd.store.triage)
and shown again from there. When something is missing, the exact install line is the answer.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from kcrashd.host.root import Root

CRASH_TIMEOUT = 600.0  # crash on a 2 GB guest's dump: 47 s cold, 9 s warm (crash lab)
CONVERT_TIMEOUT = 600.0
LOG_TAIL_LINES = 40
SCRATCH = "/var/tmp"  # converted dumps are as large as the dump: not a tmpfs
FLATTENED_MAGIC = b"makedumpfile"
# Each command's answer is fenced by the answer to `ascii <hex>`: crash prints
# "<hex>: <text>" (at most 8 bytes, in memory order, so the text may come out reversed),
# and no other command prints these words.
_FENCE = "KT:{}"
_SECTIONS = ("sys", "bt", "log", "ps")
_BT_PID = re.compile(r"^PID:\s*(\d+)\s+TASK:", re.M)


@dataclass
class Triage:
    """crash's answers for one vmcore, or why there are none."""

    ran: bool = False
    vmcore: Optional[str] = None
    vmlinux: Optional[str] = None
    sys: List[str] = field(default_factory=list)
    bt: List[str] = field(default_factory=list)
    log_tail: List[str] = field(default_factory=list)
    task: List[str] = field(default_factory=list)  # `ps` header and the panicking task
    missing: List[str] = field(default_factory=list)  # what to install first
    install: Optional[str] = None  # the exact line
    error: Optional[str] = None
    seconds: float = 0.0
    when: Optional[float] = None

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> Triage:
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def install_line(release: str, family: Optional[str], need_crash: bool) -> str:
    """The exact command that installs what triage needs for kernel `release`."""
    if family == "rhel":
        line = f"dnf debuginfo-install kernel-{release}"
        return f"dnf install crash && {line}" if need_crash else line
    debian = f"apt install linux-image-{release}-dbg" + (" crash" if need_crash else "")
    if family == "debian":
        return debian
    rhel = install_line(release, "rhel", need_crash)
    return f"Debian: {debian}; RHEL: {rhel}"


def _fence(name: str) -> str:
    return _FENCE.format(name.upper())


def crash_commands() -> str:
    """The batch crash runs: each answer preceded by a fence line."""
    commands = {
        "sys": "sys",
        "bt": "bt",
        # not `log | tail`: crash writes a pipe's output past its own buffered output
        "log": "log",
        "ps": "ps",
    }
    lines = []
    for name in _SECTIONS:
        lines += [f"ascii {_fence(name).encode().hex()}", commands[name]]
    return "\n".join(lines + ["quit", ""])


def split_answers(stdout: str) -> Dict[str, List[str]]:
    """crash's output cut at the fences, by command."""
    answers: Dict[str, List[str]] = {}
    current: Optional[str] = None
    fences = {_fence(n): n for n in _SECTIONS}
    for line in stdout.splitlines():
        hit = next((n for f, n in fences.items() if f in line or f[::-1] in line), None)
        if hit is not None:
            current = hit
            answers[current] = []
        elif current is not None:
            answers[current].append(line.rstrip())
    return {k: _trim(v) for k, v in answers.items()}


def _trim(lines: List[str]) -> List[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def task_lines(bt: List[str], ps: List[str]) -> List[str]:
    """`ps`'s header and the line of the task `bt` is about (the panicking one)."""
    m = _BT_PID.search("\n".join(bt))
    if not m:
        return []
    pid = m.group(1)
    header = [line for line in ps[:1] if "PID" in line]
    rows = [line for line in ps if line.lstrip("> ").split()[:1] == [pid]]
    return header + rows


def is_flattened(root: Root, host_path: str) -> bool:
    return root.read_bytes(host_path, len(FLATTENED_MAGIC)) == FLATTENED_MAGIC


def run_triage(
    root: Root,
    runner: Any,
    vmcore: str,
    vmlinux: str,
    scratch: str = SCRATCH,
    timeout: float = CRASH_TIMEOUT,
) -> Triage:
    """crash in batch on `vmcore` (a host path under `root`) with `vmlinux` (a path to
    open as is: the debug file may be anywhere)."""
    from kcrashd.host.scratch import scratch_dir

    start = time.monotonic()
    result = Triage(ran=True, vmcore=vmcore, vmlinux=vmlinux, when=time.time())
    try:
        with scratch_dir(scratch, "kcrashd-vmcore-") as work:
            _run_crash(root, runner, vmcore, vmlinux, work, timeout, result)
    except OSError as exc:
        result.error = f"no scratch space in {scratch}: {exc}"
    result.seconds = round(time.monotonic() - start, 1)
    return result


def _run_crash(
    root: Root,
    runner: Any,
    vmcore: str,
    vmlinux: str,
    work: str,
    timeout: float,
    result: Triage,
) -> None:
    """makedumpfile -R when the dump is flattened, then crash; its answers into `result`."""
    from kcrashd.host.scratch import write_text

    dump = root.path(vmcore)
    if is_flattened(root, vmcore):
        converted = os.path.join(work, "vmcore")
        r = runner.run(["makedumpfile", "-R", converted], timeout=CONVERT_TIMEOUT, stdin_path=dump)
        if not r.ok:
            result.error = f"makedumpfile -R failed: {r.error or r.stderr.strip()[-300:]}"
            return
        dump = converted
    commands = os.path.join(work, "commands")
    write_text(commands, crash_commands())
    r = runner.run(["crash", "-s", "-i", commands, vmlinux, dump], timeout=timeout)
    answers = split_answers(r.stdout)
    if not answers.get("bt"):
        why = r.error or (r.stderr.strip() or r.stdout.strip())[-500:]
        result.error = f"crash gave no backtrace: {why}"
        return
    result.sys, result.bt = answers.get("sys", []), answers["bt"]
    result.log_tail = answers.get("log", [])[-LOG_TAIL_LINES:]
    result.task = task_lines(result.bt, answers.get("ps", []))


def vmcore_triage(
    root: Root,
    runner: Any,
    incident: Any,
    state_dir: str,
    vmlinux: Optional[str] = None,
    run: bool = True,
) -> Optional[Triage]:
    """The triage of an incident's vmcore: kept from before, run now (`run`), or what to
    install first; None when the incident has no vmcore (or it is gone). `vmlinux`: a
    debug vmlinux given by hand (a path on this host), else the distribution's debug
    package's under root."""
    from kcrashd.postmortem.next_steps import distro_family, vmlinux_candidates

    if not incident.vmcore or not root.exists(incident.vmcore):
        return None  # `show` says where the vmcore was and that it is gone
    from kcrashd.store import triage as kept_triages

    doc = kept_triages.load(state_dir, incident.incident_id)
    kept = Triage.from_dict(doc) if doc else None
    if kept is not None and kept.bt:
        return kept
    release = (incident.report.kernel if incident.report else None) or "RELEASE"
    if vmlinux is None:
        found = next((p for p in vmlinux_candidates(release) if root.exists(p)), None)
        vmlinux = root.path(found) if found else None
    missing = [] if runner.which("crash") else ["crash"]
    if vmlinux is None:
        missing.append(f"the debug vmlinux of {release}")
    if missing:
        install = install_line(release, distro_family(release), "crash" in missing)
        return Triage(vmcore=incident.vmcore, missing=missing, install=install)
    if not run:
        return Triage(vmcore=incident.vmcore, vmlinux=vmlinux)
    result = run_triage(root, runner, incident.vmcore, vmlinux)
    if result.bt:
        kept_triages.keep(state_dir, incident.incident_id, result.to_dict())
    return result
