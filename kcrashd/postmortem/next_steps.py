"""Next steps for an incident: the commands to run, with this host's real paths filled in.

`crash VMLINUX VMCORE` with the matching debug vmlinux (Debian linux-image-<rel>-dbg:
/usr/lib/debug/boot/vmlinux-<rel>; RHEL kernel-debuginfo: /usr/lib/debug/lib/modules/<rel>/
vmlinux). For a fault inside a module: the offset inside the function's section of the .ko,
from the symbol's section and value there (`objdump -t`: in a relocatable .ko a value is
relative to its section, and gcc puts cold functions in .text.unlikely) + the offset in the
report (`func+0x18/0x50`); then `addr2line -j SECTION -e module.ko OFFSET`, which is run
(CommandRunner, with a timeout) when the module file is present, to show the source line.
The fault address minus the module's load address (/proc/modules of the crashed boot) is
shown too, but addr2line cannot use it on the .ko: the loader lays out the sections its
own way. Without the .ko it is the only offset there is.
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


def symbol_in_object(runner: Any, path: str, symbol: str) -> Optional[Tuple[str, int]]:
    """(section, value) of a function in an ELF object (`objdump -t`); in a relocatable
    object (a .ko) the value is relative to that section."""
    result = runner.run(["objdump", "-t", path], timeout=TOOL_TIMEOUT)
    if not result.ok:
        return None
    for line in result.stdout.splitlines():
        # "0000000000000000 l     F .text.unlikely\t0000000000000050 faulty_driver_func"
        parts = line.split()
        if len(parts) >= 6 and parts[-1] == symbol and "F" in parts[1:-3]:
            try:
                return parts[-3], int(parts[0], 16)
            except ValueError:
                return None
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


@dataclass(frozen=True)
class _Where:
    """Where the faulting instruction is in the module's .ko, for addr2line."""

    offset: int
    section: Optional[str]  # None: relative to the module's load address


def _module_offset(
    steps: NextSteps,
    runner: Any,
    frame: Frame,
    module: str,
    ko_path: Optional[str],
    located: Optional[Tuple[str, int]],
) -> Optional[_Where]:
    """The faulting offset: inside the function's section of the .ko (its symbol's value
    + the report's offset), else (no .ko here) from the module's load address in
    /proc/modules of the crashed boot."""
    if located is not None and located[0] == module:
        steps.notes.append(
            f"{module} was loaded at {hex(frame.address - located[1])} (/proc/modules of the "
            f"crashed boot, from its last snapshot); {hex(frame.address)} is "
            f"{hex(located[1])} into it"
        )
    if ko_path and frame.function:
        symbol = symbol_in_object(runner, ko_path, frame.function)
        if symbol is not None:
            section, value = symbol
            offset = value + (frame.offset or 0)
            steps.notes.append(
                f"{frame.function} is at {hex(value)} in section {section} of {module}.ko; "
                f"+{hex(frame.offset or 0)} from the report is {hex(offset)} there"
            )
            return _Where(offset, section)
    if located is not None and located[0] == module:
        steps.notes.append(
            "without the .ko the offset from the load address is all there is: addr2line "
            "needs it relative to the function's section (objdump -t on the .ko)"
        )
        return _Where(located[1], None)
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
    where = _module_offset(steps, runner, frame, module, root.path(ko) if ko else None, located)
    steps.module_offset = where.offset if where else None
    ko_shown = root.path(ko) if ko else f"{module}.ko"
    argv = None
    if where is not None:
        argv = ["addr2line"] + (["-j", where.section] if where.section else [])
        argv += ["-e", ko_shown, "-f", "-i", hex(where.offset)]
        steps.commands.append(" ".join(shlex.quote(a) for a in argv))
    else:
        steps.commands.append(
            f"addr2line -j <section of {frame.function} (objdump -t {ko_shown})> -e {ko_shown} "
            f"-f -i <its value there + {hex(frame.offset or 0)}>"
        )
    function_at = f"{frame.function}+{hex(frame.offset or 0)}"
    steps.commands.append(f"gdb -batch -ex 'list *({function_at})' {ko_shown}")
    if not ko:
        steps.notes.append(
            f"{module}.ko for {release or 'that kernel'} is not installed here: addr2line "
            "needs the module built with debug info"
        )
    elif argv is not None:
        result = runner.run(argv, timeout=TOOL_TIMEOUT)
        if result.ok and result.stdout.strip():
            steps.source_lines = result.stdout.strip().splitlines()
        else:
            steps.notes.append(f"addr2line gave nothing: {result.error or result.stderr.strip()}")
