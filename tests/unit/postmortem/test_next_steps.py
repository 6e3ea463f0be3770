"""Next steps: crash command line, module offset, and addr2line run on a real ELF object."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.model import CrashReport, Frame, Incident
from kcrashd.postmortem.next_steps import (
    build_next_steps,
    distro_family,
    module_at,
    module_load_addresses,
)
from tests.conftest import PROJECT, require_tool

REL = "6.1.0-18-amd64"
SOURCE = PROJECT / "tests/fixtures/postmortem/foo_drv.c"


def _incident(vmcore="/var/crash/202403011230/dump.202403011230", address=None) -> Incident:
    rip = Frame("foo_ioctl", 0x25, 0x50, "foo_drv", address)
    report = CrashReport(
        kind="page_fault",
        title="BUG: unable to handle kernel NULL pointer dereference in foo_ioctl",
        function="foo_ioctl",
        module="foo_drv",
        kernel=REL,
        rip=rip,
        frames=(rip,),
        signature="page_fault:foo_ioctl:x",
    )
    return Incident("abc", "boot", report.kind, report.title, report.signature, report, (), vmcore)


def _build_module(root: Path) -> Path:
    require_tool("gcc")
    ko = root / f"lib/modules/{REL}/updates/dkms/foo_drv.ko"
    ko.parent.mkdir(parents=True)
    subprocess.run(["gcc", "-g", "-O0", "-c", str(SOURCE), "-o", str(ko)], check=True, timeout=60)
    return ko


def test_crash_line_without_debug_files(tmp_path):
    steps = build_next_steps(Root(str(tmp_path)), CommandRunner(), _incident())
    crash = f"crash {tmp_path}/usr/lib/debug/boot/vmlinux-{REL} "
    assert steps.commands[0] == crash + f"{tmp_path}/var/crash/202403011230/dump.202403011230"
    assert any(f"linux-image-{REL}-dbg" in n for n in steps.notes)
    assert any(
        c.startswith("addr2line -j <section of foo_ioctl (objdump -t foo_drv.ko)> -e foo_drv.ko")
        for c in steps.commands
    )


def test_rhel_debug_vmlinux_is_found(tmp_path):
    vmlinux = tmp_path / f"usr/lib/debug/lib/modules/{REL}/vmlinux"
    vmlinux.parent.mkdir(parents=True)
    vmlinux.write_bytes(b"\x7fELF")
    steps = build_next_steps(Root(str(tmp_path)), CommandRunner(), _incident())
    assert steps.commands[0].startswith(f"crash {vmlinux} ")


def test_module_offset_from_symbol_and_addr2line_source_line(tmp_path):
    require_tool("addr2line")
    ko = _build_module(tmp_path)
    steps = build_next_steps(Root(str(tmp_path)), CommandRunner(), _incident())
    nm = subprocess.run(["nm", str(ko)], capture_output=True, text=True, timeout=30).stdout
    value = next(
        int(line.split()[0], 16) for line in nm.splitlines() if line.endswith(" foo_ioctl")
    )
    assert steps.module_offset == value + 0x25
    assert f"addr2line -j .text -e {ko} -f -i {hex(value + 0x25)}" in steps.commands
    assert steps.source_lines[0] == "foo_ioctl"
    assert "foo_drv.c:" in steps.source_lines[1]


def test_without_the_ko_the_offset_comes_from_proc_modules_of_the_crashed_boot(tmp_path):
    modules = (
        "foo_drv 16384 1 - Live 0xffffffffc0a00000 (OE)\n"
        "nft_chain_nat 16384 3 - Live 0xffffffffc09f4000\n"
    )
    assert module_load_addresses(modules)["foo_drv"] == 0xFFFFFFFFC0A00000
    inc = _incident(address=0xFFFFFFFFC0A00035)
    steps = build_next_steps(Root(str(tmp_path)), CommandRunner(), inc, proc_modules=modules)
    assert steps.module_offset == 0x35
    assert any("/proc/modules of the crashed boot" in n for n in steps.notes)
    assert "addr2line -e foo_drv.ko -f -i 0x35" in steps.commands


# Synthetic: a function gcc puts in .text.unlikely (cold), after another in .text, as the
# crash lab's bad_driver.ko has faulty_driver_func (issue 11, J).
COLD_SOURCE = """int warm(int x)
{
\treturn x * 3 + 1;
}

__attribute__((cold, noinline)) void cold_write(int *p)
{
\tint pad = 7;

\t*p = pad; /* the NULL write */
}
"""


def test_a_function_in_text_unlikely_gets_its_sections_offset(tmp_path):
    """RIP minus the load address is not an offset addr2line can use on the .ko when the
    function is not in .text: the symbol's section and value are."""
    require_tool("addr2line")
    require_tool("gcc")
    source = tmp_path / "cold_drv.c"
    source.write_text(COLD_SOURCE)
    ko = tmp_path / f"lib/modules/{REL}/updates/cold_drv.ko"
    ko.parent.mkdir(parents=True)
    subprocess.run(["gcc", "-g", "-O2", "-c", str(source), "-o", str(ko)], check=True, timeout=60)
    table = subprocess.run(["objdump", "-t", str(ko)], capture_output=True, text=True).stdout
    line = next(x for x in table.splitlines() if x.endswith(" cold_write"))
    assert ".text.unlikely" in line, table
    value = int(line.split()[0], 16)
    rip = Frame("cold_write", 0x0, 0x10, "cold_drv", 0xFFFFFFFFC0A00241)
    report = dataclasses.replace(
        _incident().report, function="cold_write", module="cold_drv", rip=rip, frames=(rip,)
    )
    inc = dataclasses.replace(_incident(), report=report)
    modules = "cold_drv 16384 0 - Live 0xffffffffc0a00000 (OE)\n"
    steps = build_next_steps(Root(str(tmp_path)), CommandRunner(), inc, proc_modules=modules)
    assert steps.module_offset == value  # +0x0; not 0x241, the offset from the load address
    assert f"addr2line -j .text.unlikely -e {ko} -f -i {hex(value)}" in steps.commands
    assert steps.source_lines[0] == "cold_write"
    null_write = COLD_SOURCE.splitlines().index("\t*p = pad; /* the NULL write */") + 1
    assert steps.source_lines[1].endswith(f"cold_drv.c:{null_write}"), steps.source_lines


def test_an_address_outside_the_module_gets_no_offset_from_proc_modules(tmp_path):
    modules = "foo_drv 16384 0 - Live 0xffffffffc0a00000 (OE)\n"
    assert module_at(modules, 0xFFFFFFFFC0A00035) == ("foo_drv", 0x35)
    assert module_at(modules, 0xFFFFFFFFC0A04000) is None  # past its 16384 bytes
    inc = _incident(address=0xFFFFFFFFC0A04000)
    steps = build_next_steps(Root(str(tmp_path)), CommandRunner(), inc, proc_modules=modules)
    assert steps.module_offset is None
    assert not any("/proc/modules" in n for n in steps.notes)


def test_debug_package_hint_and_vmlinux_path_follow_the_kernel_release(tmp_path):
    assert distro_family("6.1.0-18-amd64") == "debian"
    assert distro_family("5.14.0-362.8.1.el9_3.x86_64") == "rhel"
    assert distro_family("6.5.0-custom") is None
    rhel = "5.14.0-362.8.1.el9_3.x86_64"
    inc = _incident()
    report = dataclasses.replace(inc.report, kernel=rhel)
    inc = Incident(
        "abc", "0" * 32, report.kind, report.title, report.signature, report, (), inc.vmcore
    )
    steps = build_next_steps(Root(str(tmp_path)), CommandRunner(), inc)
    assert steps.commands[0] == f"journalctl -k -b {'0' * 32} -n 300 --no-pager"
    assert steps.commands[1].startswith(
        f"crash {tmp_path}/usr/lib/debug/lib/modules/{rhel}/vmlinux "
    )
    assert any(f"(dnf debuginfo-install kernel-{rhel})" in n for n in steps.notes)
