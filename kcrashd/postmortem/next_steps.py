"""Next steps for an incident: the commands to run, with this host's real paths filled in.

`crash VMLINUX VMCORE` with the matching debug vmlinux (Debian linux-image-<rel>-dbg:
/usr/lib/debug/boot/vmlinux-<rel>; RHEL kernel-debuginfo: /usr/lib/debug/lib/modules/<rel>/
vmlinux). For a fault inside a module: the offset inside the module, from the module's load
address in /proc/modules of the crashed boot when known (absolute address - load address),
else from the symbol's value in the .ko (nm) + the offset in the report; then the
`addr2line -e module.ko OFFSET` line, which is run (CommandRunner, with a timeout) when the
module file is present, to show the source line.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from kcrashd.host.root import Root
from kcrashd.model import Frame, Incident

TOOL_TIMEOUT = 15.0
_MODULE_LINE = re.compile(r"^(?P<name>\S+) (?P<size>\d+) \d+ \S+ \S+ 0x(?P<addr>[0-9a-fA-F]+)")


@dataclass
class NextSteps:
    commands: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    module_offset: Optional[int] = None
    source_lines: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "commands": self.commands,
            "notes": self.notes,
            "module_offset": None if self.module_offset is None else hex(self.module_offset),
            "source_lines": self.source_lines,
        }


_DEBIAN_FLAVOUR = re.compile(
    r"-(?:cloud-|rt-)?(?:amd64|arm64|686|686-pae|armmp|armmp-lpae|s390x|ppc64el)$"
)
_RHEL_DIST = re.compile(r"\.(?:el|fc)\d+")
_BOOT_ID = re.compile(r"^[0-9a-f]{32}$")


def distro_family(release: str) -> Optional[str]:
    """ "debian" or "rhel" from the kernel release string (6.1.0-18-amd64, 5.14.0-362.el9
    .x86_64), None when it does not tell."""
    if _RHEL_DIST.search(release):
        return "rhel"
    if _DEBIAN_FLAVOUR.search(release):
        return "debian"
    return None


def vmlinux_candidates(release: str) -> List[str]:
    debian = f"/usr/lib/debug/boot/vmlinux-{release}"
    rhel = f"/usr/lib/debug/lib/modules/{release}/vmlinux"
    return [rhel, debian] if distro_family(release) == "rhel" else [debian, rhel]


def debug_install_hint(release: str) -> str:
    debian = f"apt install linux-image-{release}-dbg"
    rhel = f"dnf debuginfo-install kernel-{release}"
    family = distro_family(release)
    if family == "debian":
        return debian
    if family == "rhel":
        return rhel
    return f"Debian: {debian}; RHEL: {rhel}"


def module_load_addresses(proc_modules: str) -> Dict[str, int]:
    """name -> load address from /proc/modules text (addresses shown to root only)."""
    return {name: load for name, (load, _) in module_ranges(proc_modules).items()}


def module_ranges(proc_modules: str) -> Dict[str, Tuple[int, int]]:
    """name -> (load address, size) from /proc/modules text; modules shown at 0x0 (read
    without root, kptr_restrict) are left out."""
    found = {}
    for line in proc_modules.splitlines():
        m = _MODULE_LINE.match(line)
        if m and int(m.group("addr"), 16):
            found[m.group("name")] = (int(m.group("addr"), 16), int(m.group("size")))
    return found


def module_at(proc_modules: str, address: int) -> Optional[Tuple[str, int]]:
    """(module, offset inside it) of an address, from the load addresses and sizes."""
    for name, (load, size) in module_ranges(proc_modules).items():
        if load <= address < load + size:
            return name, address - load
    return None


def find_module_file(root: Root, release: Optional[str], module: str) -> Optional[str]:
    """The module's .ko with debug info if installed, else the shipped .ko (uncompressed)."""
    names = {module, module.replace("_", "-"), module.replace("-", "_")}
    bases = []
    if release:
        bases = [f"/usr/lib/debug/lib/modules/{release}", f"/lib/modules/{release}"]
    for base in bases:
        for name in sorted(names):
            for pattern in (f"{base}/**/{name}.ko.debug", f"{base}/**/{name}.ko"):
                hits = root.glob(pattern)
                if hits:
                    return hits[0]
    return None


def _fault_frame(incident: Incident) -> Optional[Frame]:
    report = incident.report
    if report is None:
        return None
    if report.rip is not None and report.rip.function:
        return report.rip
    reliable = [f for f in report.frames if f.function and f.reliable]
    return reliable[0] if reliable else None


def _symbol_value(runner: Any, path: str, symbol: str) -> Optional[int]:
    result = runner.run(["nm", "--defined-only", path], timeout=TOOL_TIMEOUT)
    if not result.ok:
        return None
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == symbol:
            return int(parts[0], 16)
    return None


def build_next_steps(
    root: Root,
    runner: Any,
    incident: Incident,
    proc_modules: Optional[str] = None,
    snapshot_command: Optional[str] = None,
) -> NextSteps:
    """The commands, in the order an on-call would run them: the crashed boot's kernel log,
    the last snapshot, then crash on the vmcore and addr2line/gdb for the faulting line."""
    steps = NextSteps()
    _log_commands(steps, incident, snapshot_command)
    report = incident.report
    release = report.kernel if report else None
    vmlinux = _vmcore_steps(steps, root, incident, release)
    frame = _fault_frame(incident)
    if frame is None:
        return steps
    module = frame.module or (report.module if report else None)
    located = module_at(proc_modules, frame.address) if proc_modules and frame.address else None
    if module is None and located is not None:
        module = located[0]  # a bare address: /proc/modules says whose it is
    if not module:
        where = f"{frame.function}+{hex(frame.offset or 0)}"
        target = root.path(vmlinux) if vmlinux else "VMLINUX"
        steps.commands.append(f"gdb -batch -ex 'list *({where})' {target}")
        return steps
    _module_steps(steps, root, runner, frame, module, release, located)
    return steps


def _log_commands(steps: NextSteps, incident: Incident, snapshot_command: Optional[str]) -> None:
    """The crashed boot's kernel log (from the journal that saw it), then its last snapshot."""
    if incident.boot_id and _BOOT_ID.match(incident.boot_id):
        journals = [
            e.path
            for e in incident.evidence
            if e.source == "journal" and e.path and e.path.startswith("/")
        ]
        where = f" --directory {shlex.quote(journals[0])}" if journals else ""
        steps.commands.append(f"journalctl{where} -k -b {incident.boot_id} -n 300 --no-pager")
    if snapshot_command:
        steps.commands.append(snapshot_command)


def _vmcore_steps(
    steps: NextSteps, root: Root, incident: Incident, release: Optional[str]
) -> Optional[str]:
    """`crash VMLINUX VMCORE` and what is missing for it; the debug vmlinux found, if any."""
    vmlinux = None
    if release:
        vmlinux = next((p for p in vmlinux_candidates(release) if root.exists(p)), None)
    if incident.vmcore:
        shown = (
            root.path(vmlinux)
            if vmlinux
            else root.path(vmlinux_candidates(release or "RELEASE")[0])
        )
        steps.commands.append(
            f"crash {shlex.quote(shown)} {shlex.quote(root.path(incident.vmcore))}"
        )
    if release and not vmlinux:
        steps.notes.append(
            f"no debug vmlinux for {release} here: install it ({debug_install_hint(release)})"
        )
    if not release:
        steps.notes.append("the report does not name the kernel release")
    return vmlinux


def _module_offset(
    steps: NextSteps,
    runner: Any,
    frame: Frame,
    module: str,
    ko_path: Optional[str],
    located: Optional[Tuple[str, int]],
) -> Optional[int]:
    """The faulting offset inside the module: from its load address in /proc/modules of the
    crashed boot, else from the symbol's value in the .ko plus the report's offset."""
    if located is not None and located[0] == module:
        offset = located[1]
        steps.notes.append(
            f"{module} was loaded at {hex(frame.address - offset)} (/proc/modules of the "
            f"crashed boot, from its last snapshot); {hex(frame.address)} is {hex(offset)} "
            "into it"
        )
        return offset
    if ko_path and frame.function:
        value = _symbol_value(runner, ko_path, frame.function)
        if value is not None:
            steps.notes.append(
                f"{frame.function} is at {hex(value)} in {module}.ko; "
                f"+{hex(frame.offset or 0)} from the report"
            )
            return value + (frame.offset or 0)
    return None


def _module_steps(
    steps: NextSteps,
    root: Root,
    runner: Any,
    frame: Frame,
    module: str,
    release: Optional[str],
    located: Optional[Tuple[str, int]],
) -> None:
    """addr2line and gdb on the module's .ko; addr2line is run when the .ko is here."""
    ko = find_module_file(root, release, module)
    offset = _module_offset(steps, runner, frame, module, root.path(ko) if ko else None, located)
    steps.module_offset = offset
    ko_shown = root.path(ko) if ko else f"{module}.ko"
    if offset is not None:
        steps.commands.append(f"addr2line -e {ko_shown} -f -i {hex(offset)}")
    else:
        steps.commands.append(
            f"addr2line -e {ko_shown} -f -i <address of {frame.function} in {module}.ko "
            f"(nm {ko_shown}) + {hex(frame.offset or 0)}>"
        )
    where = f"{frame.function}+{hex(frame.offset or 0)}"
    steps.commands.append(f"gdb -batch -ex 'list *({where})' {ko_shown}")
    if not ko:
        steps.notes.append(
            f"{module}.ko for {release or 'that kernel'} is not installed here: addr2line "
            "needs the module built with debug info"
        )
    elif offset is not None:
        result = runner.run(
            ["addr2line", "-e", root.path(ko), "-f", "-i", hex(offset)], timeout=TOOL_TIMEOUT
        )
        if result.ok and result.stdout.strip():
            steps.source_lines = result.stdout.strip().splitlines()
        else:
            steps.notes.append(f"addr2line gave nothing: {result.error or result.stderr.strip()}")
