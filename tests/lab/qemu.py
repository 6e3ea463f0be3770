"""Booting the lab guest: QEMU with a serial log, QMP always on, and a hard timeout.

- The accelerator is probed once per host, QEMU and guest kernel (kvm only when it really
  boots the Debian kernel to its initramfs; on the 2-core CI machines /dev/kvm is kvm_pvm
  and cannot, so TCG with `-cpu Nehalem`: `-cpu max` breaks guest userspace on QEMU 7.2).
- The serial console goes to a file, each line stamped with host seconds since QEMU
  started; a callback sees every line (the guest asks for host actions with
  `KLAB-HOST <action>` lines).
- QMP is on a unix socket for every run: events are collected, and callers send commands
  (system_reset, qom-set, device_add ...).
- `hold_reboots`: each guest reboot pauses the VM (QMP set-action reboot=shutdown,
  shutdown=pause) and calls `on_reboot` (to copy the disk as the boot left it) before the
  host resets and continues it. RAM, and with it ramoops, survives like a warm reboot.
- One QEMU at a time on a machine: every run holds flock /tmp/kcrashd-lab.lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

LOCK_PATH = "/tmp/kcrashd-lab.lock"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
TCG_CPU = "Nehalem"
# 1 MiB at 1008 MiB, reserved from the kernel (memmap=...$...) and used by ramoops.
RAMOOPS_APPEND = (
    "memmap=1M$0x3f000000 ramoops.mem_address=0x3f000000 ramoops.mem_size=0x100000"
    " ramoops.record_size=0x20000 ramoops.console_size=0x10000"
)


def qemu_binary() -> str:
    path = shutil.which("qemu-system-x86_64")
    if not path:
        raise RuntimeError("qemu-system-x86_64 is not installed (apt install qemu-system-x86)")
    return path


@dataclass(frozen=True)
class Accel:
    name: str  # kvm or tcg
    args: Tuple[str, ...]  # -accel ... -cpu ...
    why: str


def tcg() -> Accel:
    return Accel("tcg", ("-accel", "tcg,thread=multi,tb-size=256", "-cpu", TCG_CPU), "TCG")


def probe_accel(kernel: Path, initrd: Path, cache: Path, seconds: float = 15.0) -> Accel:
    """kvm when /dev/kvm boots this kernel to its initramfs within `seconds` (a real KVM
    host needs 2-3), else TCG.

    KCRASHD_LAB_ACCEL=tcg|kvm overrides. The verdict is cached per host kernel, QEMU binary
    and guest kernel (the probe costs up to `seconds`)."""
    forced = os.environ.get("KCRASHD_LAB_ACCEL")
    kvm = Accel("kvm", ("-accel", "kvm", "-cpu", "host"), "KVM")
    if forced == "tcg":
        return tcg()
    if forced == "kvm":
        return kvm
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return Accel("tcg", tcg().args, "TCG: no usable /dev/kvm")
    qemu = qemu_binary()
    key = hashlib.sha256(
        f"{os.uname().release} {os.stat(qemu).st_mtime} {kernel.stat().st_size}".encode()
    ).hexdigest()[:16]
    cached = cache / f"accel-{key}.json"
    if cached.exists():
        verdict = json.loads(cached.read_text())
        return kvm if verdict["kvm"] else Accel("tcg", tcg().args, verdict["why"])
    cache.mkdir(parents=True, exist_ok=True)
    log = cache / f"accel-{key}.serial"
    argv = [qemu, *kvm.args, "-smp", "1", "-m", "1024", "-nodefaults", "-no-user-config"]
    argv += ["-display", "none", "-monitor", "none", "-serial", f"file:{log}", "-no-reboot"]
    argv += ["-kernel", str(kernel), "-initrd", str(initrd)]
    argv += ["-append", "console=ttyS0 panic=-1 root=/dev/nonexistent"]
    with lab_lock():
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ok = False
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and p.poll() is None:
            if log.exists() and "Run /init as init process" in log.read_text(errors="replace"):
                ok = True
                break
            time.sleep(0.5)
        if p.poll() is None:
            p.kill()
        out = p.communicate()[0] or ""
    why = "KVM" if ok else f"TCG: kvm did not reach /init in {seconds:.0f}s ({out.strip()[:200]})"
    cached.write_text(json.dumps({"kvm": ok, "why": why}))
    return kvm if ok else Accel("tcg", tcg().args, why)


class lab_lock:  # noqa: N801 - used like a function: `with lab_lock():`
    """flock /tmp/kcrashd-lab.lock: only one lab QEMU on this machine at a time.

    Run under `flock /tmp/kcrashd-lab.lock ...` (how the whole lab is run by hand), the
    caller already holds the lock through a descriptor it passed down: a second open of the
    file would wait for ever on our own lock, so that descriptor is used instead."""

    def __enter__(self) -> lab_lock:
        self.f = None
        inherited = _inherited_lock_fd()
        if inherited is not None:
            try:  # the same open file: granted at once if it is our caller's lock
                fcntl.flock(inherited, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                pass  # someone else's: wait as usual
        self.f = open(LOCK_PATH, "a")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.f is not None:  # an inherited lock stays with the caller
            fcntl.flock(self.f, fcntl.LOCK_UN)
            self.f.close()


def _inherited_lock_fd() -> Optional[int]:
    """A descriptor of LOCK_PATH this process inherited, if any."""
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == LOCK_PATH:
                return int(name)
        except OSError:
            continue
    return None


class Qmp:
    """A minimal QMP client: commands with replies, events collected with host times."""

    def __init__(self, path: Path, started: float, timeout: float = 30.0) -> None:
        self.started = started
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(str(path))
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.file = self.sock.makefile("rwb", buffering=0)
        self.events: List[Dict[str, Any]] = []
        self.event_queue: queue.Queue = queue.Queue()
        self._replies: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._next_id = 0
        self.closed = False
        self.resumed_at = -1e9  # host seconds of the last resume after a held reboot
        self.quitting = False
        greeting = json.loads(self.file.readline())
        if "QMP" not in greeting:
            raise RuntimeError(f"not a QMP greeting: {greeting}")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.execute("qmp_capabilities")

    def _read(self) -> None:
        try:
            for raw in self.file:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    continue
                if "event" in msg:
                    msg["host_seconds"] = time.monotonic() - self.started
                    self.events.append(msg)
                    self.event_queue.put(msg)
                else:
                    self._replies.put(msg)
        except OSError:
            pass  # QEMU quit: the socket is reset
        self.closed = True
        self.event_queue.put(None)
        self._replies.put(None)

    def execute(self, command: str, timeout: float = 30.0, **arguments: Any) -> Any:
        """Run a QMP command; its "return" value, or RuntimeError with its "error"."""
        with self._lock:
            self._next_id += 1
            msg: Dict[str, Any] = {"execute": command, "id": self._next_id}
            if arguments:
                msg["arguments"] = arguments
            if self.closed:
                raise RuntimeError(f"QMP {command}: QEMU has quit")
            try:
                self.file.write(json.dumps(msg).encode() + b"\n")
            except OSError as exc:
                raise RuntimeError(f"QMP {command}: {exc}") from exc
            while True:
                reply = self._replies.get(timeout=timeout)
                if reply is None:
                    raise RuntimeError(f"QMP {command}: QEMU has quit")
                if reply.get("id") == self._next_id:
                    break
        if "error" in reply:
            raise RuntimeError(f"QMP {command}: {reply['error']}")
        return reply.get("return")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


@dataclass
class Machine:
    """One QEMU invocation. `append` is the whole kernel command line."""

    kernel: Path
    initrd: Path
    disk: Path  # raw image, written by the guest
    append: str
    memory_mb: int = 2048
    cpus: int = 2
    efi_vars: Optional[Path] = None  # set: boot OVMF with this (writable) variable store
    extra_args: Sequence[str] = ()  # more devices: nvme_args(), ide_args(), root_port_args()
    hold_reboots: bool = False
    machine_type: str = "pc"  # q35 for PCIe (root ports, hotplug)


@dataclass
class RunResult:
    serial_path: Path
    lines: List[Tuple[float, str]]  # (host seconds since start, line)
    seconds: float
    exit_code: Optional[int]
    timed_out: bool
    events: List[Dict[str, Any]]
    accel: str
    stderr: str
    errors: List[str] = field(default_factory=list)  # failed host actions

    @property
    def powered_off(self) -> bool:
        """The guest powered itself off (not a timeout, a crash of QEMU or a kill)."""
        reasons = [
            (e.get("data") or {}).get("reason") for e in self.events if e.get("event") == "SHUTDOWN"
        ]
        # hold_reboots: the guest's power off paused QEMU, the host then quit it
        reasons = [r for r in reasons if r != "host-qmp-quit"]
        return bool(reasons) and reasons[-1] == "guest-shutdown"

    def grep(self, text: str) -> List[Tuple[float, str]]:
        return [(t, line) for t, line in self.lines if text in line]

    def first(self, text: str) -> Optional[float]:
        hits = self.grep(text)
        return hits[0][0] if hits else None


def build_argv(machine: Machine, accel: Accel, qmp_path: Path) -> List[str]:
    """The QEMU command line: serial console on stdout, QMP on `qmp_path`."""
    argv = [qemu_binary(), "-M", machine.machine_type, *accel.args]
    argv += ["-smp", str(machine.cpus), "-m", str(machine.memory_mb)]
    argv += ["-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none"]
    argv += ["-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console"]
    argv += ["-qmp", f"unix:{qmp_path},server=on,wait=off"]
    argv += ["-kernel", str(machine.kernel), "-initrd", str(machine.initrd)]
    argv += ["-append", machine.append]
    argv += ["-drive", f"file={machine.disk},format=raw,if=virtio"]
    if machine.efi_vars is not None:
        argv += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}"]
        argv += ["-drive", f"if=pflash,format=raw,unit=1,file={machine.efi_vars}"]
    if machine.hold_reboots:
        argv += ["-action", "reboot=shutdown,shutdown=pause"]
    return argv + list(machine.extra_args)


# --- extra devices (SMART, hotplug: issue 18) ----------------------------------------------------


def scratch_disk(path: Path, size: str = "256M") -> Path:
    """A sparse raw disk for an extra device."""
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "raw", str(path), size], check=True, timeout=60
    )
    return path


def nvme_args(
    disk: Path, serial: str, dev_id: str = "nvme0", bus: Optional[str] = None
) -> List[str]:
    """An emulated NVMe controller with one namespace (real SMART/health log; QMP qom-set of
    its smart_critical_warning property sets warning bits at run time)."""
    device = f"nvme,serial={serial},drive={dev_id}-drive,id={dev_id}"
    if bus:
        device += f",bus={bus}"
    return ["-drive", f"file={disk},if=none,id={dev_id}-drive,format=raw", "-device", device]


def ide_args(disk: Path, dev_id: str = "ide0") -> List[str]:
    """An emulated ATA disk (answers SMART commands)."""
    return [
        "-drive",
        f"file={disk},if=none,id={dev_id}-drive,format=raw",
        "-device",
        f"ide-hd,drive={dev_id}-drive,id={dev_id}",
    ]


def drive_args(disk: Path, drive_id: str) -> List[str]:
    """A drive with no device yet: a disk to hot-plug later (QMP device_add ... drive=ID)."""
    return ["-drive", f"file={disk},if=none,id={drive_id},format=raw"]


def root_port_args(port_id: str = "rp0", chassis: int = 1, slot: int = 1) -> List[str]:
    """A PCIe root port (machine_type q35) to hot-plug devices into with QMP device_add."""
    return ["-device", f"pcie-root-port,id={port_id},chassis={chassis},slot={slot}"]


def set_smart_warning(qmp: Qmp, dev_id: str, bits: int) -> None:
    """Set an emulated NVMe controller's SMART critical-warning bits (QEMU 6.0+). Bits newly
    set raise an asynchronous event when the guest's driver enabled SMART events."""
    qmp.execute(
        "qom-set",
        path=f"/machine/peripheral/{dev_id}",
        property="smart_critical_warning",
        value=bits,
    )


def hotplug_nvme(qmp: Qmp, dev_id: str, serial: str, drive_id: str, bus: str) -> None:
    """QMP device_add of an NVMe controller on `drive_id` into PCIe root port `bus`."""
    qmp.execute("device_add", driver="nvme", id=dev_id, serial=serial, drive=drive_id, bus=bus)


LineHook = Callable[[str, "Qmp"], None]
RebootHook = Callable[[int, "Qmp"], None]


def run(
    machine: Machine,
    accel: Accel,
    workdir: Path,
    timeout: float,
    on_line: Optional[LineHook] = None,
    on_reboot: Optional[RebootHook] = None,
    name: str = "serial",
) -> RunResult:
    """Boot `machine` until the guest powers off (or `timeout` seconds: then kill it)."""
    workdir.mkdir(parents=True, exist_ok=True)
    serial_path = workdir / f"{name}.log"
    qmp_path = workdir / f"{name}.qmp"
    qmp_path.unlink(missing_ok=True)
    argv = build_argv(machine, accel, qmp_path)

    lines: List[Tuple[float, str]] = []
    errors: List[str] = []
    with lab_lock():
        started = time.monotonic()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        stderr_chunks: List[bytes] = []
        err_thread = threading.Thread(
            target=lambda: stderr_chunks.append(proc.stderr.read()), daemon=True
        )
        err_thread.start()
        qmp: Optional[Qmp] = None
        try:
            qmp = Qmp(qmp_path, started)
        except OSError as exc:
            errors.append(f"QMP: {exc}")
        actions: queue.Queue = queue.Queue()

        def read_serial() -> None:
            with open(serial_path, "w", encoding="utf-8", errors="replace") as out:
                for raw in proc.stdout:
                    t = time.monotonic() - started
                    text = raw.decode("utf-8", "replace").rstrip("\r\n").replace("\r", "")
                    lines.append((t, text))
                    out.write(f"[{t:9.3f}] {text}\n")
                    out.flush()
                    if on_line is not None:
                        actions.put(("line", text))

        serial_thread = threading.Thread(target=read_serial, daemon=True)
        serial_thread.start()
        reboots = 0
        timed_out = False
        deadline = started + timeout
        try:
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    timed_out = True
                    break
                # Host actions run here, in one thread, never in the readers.
                try:
                    kind, text = actions.get(timeout=0.1)
                    if on_line is not None and qmp is not None:
                        on_line(text, qmp)
                except queue.Empty:
                    pass
                except Exception as exc:  # a failed host action is reported, the run goes on
                    errors.append(f"on_line: {type(exc).__name__}: {exc}")
                if qmp is None or not machine.hold_reboots:
                    continue
                try:
                    reboots += _held_reboots(qmp, on_reboot, reboots)
                except Exception as exc:
                    errors.append(f"reboot handling: {type(exc).__name__}: {exc}")
                    break
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            serial_thread.join(10)
            err_thread.join(10)
            if qmp is not None:
                qmp.close()
            qmp_path.unlink(missing_ok=True)
        seconds = time.monotonic() - started
    return RunResult(
        serial_path=serial_path,
        lines=lines,
        seconds=seconds,
        exit_code=proc.returncode,
        timed_out=timed_out,
        events=qmp.events if qmp is not None else [],
        accel=accel.name,
        stderr=b"".join(stderr_chunks).decode("utf-8", "replace"),
        errors=errors,
    )


# A rebooting kernel may request the reset twice (ACPI, then the keyboard controller): the
# second request pauses the VM again right after it was resumed. No guest reboots again
# within this many seconds of a reset, so such a second SHUTDOWN is just resumed again.
REBOOT_ECHO_SECONDS = 5.0


def _held_reboots(qmp: Qmp, on_reboot: Optional[RebootHook], done: int) -> int:
    """Handle the SHUTDOWN events of a hold_reboots run; returns how many reboots it let go
    on. A guest reboot paused the VM: call on_reboot, then reset and continue it. A power
    off (also paused, shutdown=pause) quits QEMU."""
    handled = 0
    while True:
        try:
            event = qmp.event_queue.get_nowait()
        except queue.Empty:
            return handled
        if event is None or event.get("event") != "SHUTDOWN" or qmp.quitting:
            continue
        if qmp.execute("query-status")["status"] != "shutdown":
            continue
        if (event.get("data") or {}).get("reason") != "guest-reset":
            qmp.quitting = True
            qmp.execute("quit")
            return handled
        echo = event["host_seconds"] - qmp.resumed_at < REBOOT_ECHO_SECONDS
        if not echo:
            handled += 1
            if on_reboot is not None:
                on_reboot(done + handled, qmp)
        qmp.execute("set-action", reboot="reset")
        qmp.execute("system_reset")
        qmp.execute("cont")
        qmp.execute("set-action", reboot="shutdown")
        qmp.resumed_at = time.monotonic() - qmp.started


def efi_vars_copy(workdir: Path) -> Path:
    """A fresh, writable OVMF variable store for one run (EFI pstore writes into it)."""
    if not OVMF_CODE.exists():
        raise RuntimeError(f"{OVMF_CODE} is missing (apt install ovmf)")
    dest = workdir / "efivars.fd"
    shutil.copy(OVMF_VARS, dest)
    return dest
