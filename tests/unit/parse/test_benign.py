# ruff: noqa: E501  (real kernel log lines are long)
"""Crash-free real logs give no report: the boot of a Debian 12 server, and one by one the
lines that look alarming but are not crashes (firmware notices, CPU vulnerability notices,
RAS/EDAC/pstore set-up, the panic= command line, userspace writing to /dev/kmsg, ...)."""

from __future__ import annotations

import pytest

from kcrashd.model import KernelRecord
from kcrashd.parse import Assembler, parse_text
from tests.unit.parse.logs import SYNTHETIC

CLEAN_BOOT = SYNTHETIC / "distro" / "clean_boot_debian12.txt"

# Each of these is benign: a notice, a set-up message or another program's line.
BENIGN = [
    "Spectre V2 : WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible via Spectre v2 BHB attacks!",
    "RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, data leaks possible!",
    "Speculative Return Stack Overflow: WARNING: kernel not compiled with MITIGATION_SRSO.",
    "RAS: Correctable Errors collector initialized.",
    "EDAC MC: Ver: 3.0.0",
    "EDAC MC0: Giving out device to module skx_edac controller Skylake Socket#0 IMC#0: DEV 0000:3a:0a.0 (INTERRUPT)",
    "mce: CPU0: Thermal monitoring enabled (TM1)",
    "mce: [Firmware Bug]: Ignoring request to disable invalid MCA bank 8.",
    "MCE: In-kernel MCE decoding enabled.",
    "pstore: Registered efi as persistent store backend",
    "GHES: APEI firmware first mode is enabled by APEI bit and WHEA _OSC.",
    "HEST: Table parsing has been initialized.",
    "BERT: Boot Error Record Table support is disabled. Enable it by using bert_enable as kernel parameter.",
    "Kernel command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=/dev/sda2 ro quiet panic=10 oops=panic hung_task_panic=1 softlockup_panic=1",
    "NMI watchdog: Enabled. Permanently consumes one hw-PMU counter.",
    "watchdog: Disabling watchdog on nohz_full cores by default",
    "[Firmware Bug]: TSC_DEADLINE disabled due to Errata; please update microcode to version: 0x3a (or later)",
    "ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PC00.XHCI.RHUB.HS11], AE_NOT_FOUND (20220331/dswload2-162)",
    "ACPI Error: Aborting method \\_SB.PC00.XHCI.RHUB.HS11._PLD due to previous error (AE_NOT_FOUND) (20220331/psparse-529)",
    'audit: type=1400 audit(1764151203.101:2): apparmor="DENIED" operation="open" profile="snap.lxd" name="/proc/12/mounts" pid=12 comm="lxd"',
    "myapp[1201]: Oops: could not open /etc/myapp.conf, using defaults",
    "myapp[1201]: BUG: report this to the vendor if it persists",
    "systemd[1]: /lib/systemd/system/legacy.service:9: WARNING: PIDFile= references a path below legacy directory /var/run/",
    "systemd-sysctl[345]: Couldn't write '120' to 'kernel/hung_task_timeout_secs', ignoring: No such file or directory",
    "usb 1-4: Product: BUGATTI Wireless Receiver",
    "input: BUGATTI Wireless Receiver as /devices/pci0000:00/0000:00:14.0/usb1/1-4/1-4:1.0/input/input4",
    "traps: badprog[4513] general protection fault ip:7f3a2b1c0d1e sp:7ffd3f1a2a00 error:0 in libc.so.6[7f3a2b1a0000+155000]",
    "sh[4412]: segfault at 0 ip 000055d1a2b3c4d5 sp 00007ffd3f1a2b40 error 4 in sh[55d1a2b00000+1c000] likely on CPU 3 (core 3, socket 0)",
    "INFO: NMI handler (perf_event_nmi_handler) took too long to run: 1.234 msecs",
    "INFO: lockdep is turned off.",
    "ODEBUG: Out of memory. ODEBUG disabled",
    "Memory cgroup stats for /user.slice:",
    "EXT4-fs (sdb1): warning: mounting fs with errors, running e2fsck is recommended",
    "x86/split lock detection: #AC: crashing the kernel on kernel split_locks and warning on user-space split_locks",
    "Kernel/User page tables isolation: enabled",
    "usb 5-1: WARNING: ath10k USB support is incomplete, don't expect anything to work!",
]

# Not benign, although set-up-like: corrected hardware errors are reported as kind mce.
HARDWARE_NOTICES = [
    "mce: [Hardware Error]: Machine check events logged",
    "EDAC MC0: 1 CE memory read error on CPU_SrcID#0_MC#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x3fe5b5 offset:0xac0 grain:32 syndrome:0x0)",
]


def _feed_all(text: str) -> list:
    asm = Assembler()
    out = []
    for line in text.split("\n"):
        out.extend(asm.feed(KernelRecord(message=line)))
    return out + asm.flush()


def test_clean_debian_boot_has_no_report() -> None:
    text = CLEAN_BOOT.read_text()
    assert parse_text(text) == []
    assert _feed_all(text) == []


@pytest.mark.parametrize("line", BENIGN)
def test_benign_line(line: str) -> None:
    text = f"[  12.345678] {line}\n[  12.345700] e1000e 0000:00:1f.6 eno1: NIC Link is Up\n"
    assert [r.title for r in parse_text(text)] == []
    assert [r.title for r in _feed_all(text)] == []


@pytest.mark.parametrize("line", HARDWARE_NOTICES)
def test_corrected_hardware_errors_are_mce(line: str) -> None:
    (r,) = parse_text(f"[86402.114230] {line}\n")
    assert r.kind == "mce"


def test_cpu_vulnerability_notice_does_not_hide_a_real_warning() -> None:
    text = (
        "[    0.040005] RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, data leaks possible!\n"
        "[  100.000001] ------------[ cut here ]------------\n"
        "[  100.000002] WARNING: CPU: 1 PID: 871 at drivers/foo/main.c:412 foo_tx_done+0x1c4/0x210 [foo]\n"
        "[  100.000003] CPU: 1 PID: 871 Comm: irq/42-foo Not tainted 6.1.0-13-amd64 #1 Debian 6.1.55-1\n"
        "[  100.000004] RIP: 0010:foo_tx_done+0x1c4/0x210 [foo]\n"
        "[  100.000005] Call Trace:\n"
        "[  100.000006]  foo_irq_thread+0x61/0x90 [foo]\n"
        "[  100.000007] ---[ end trace 0000000000000000 ]---\n"
    )
    (r,) = parse_text(text)
    assert (r.kind, r.function) == ("warning", "foo_tx_done")
