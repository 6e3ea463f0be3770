"""Pure judges and readers at their thresholds (values from readiness-checks.md)."""

from __future__ import annotations

import struct
import subprocess

import pytest

from kcrashd.checks.checklist import (
    crashkernel_reserved,
    crashkernel_size_adequate,
    dump_filter_level,
    dump_space,
    hung_task_panic,
    journald_persistent,
    kernel_tainted,
    kexec_load_policy,
    oops_warn_counts,
)
from kcrashd.host.cmdline import parse_crashkernel, tokens, values
from kcrashd.host.debuginfo import elf_info, parse_notes
from kcrashd.host.iomem import parse_iomem
from kcrashd.host.kdump_config import debian_setup, dump_level, rhel_setup
from kcrashd.host.kexec import KexecState, parse_lockdown, parse_vmcoreinfo
from kcrashd.model import Status

G, M = 1 << 30, 1 << 20


def test_crashkernel_grammar():
    ck = parse_crashkernel("1G-4G:192M,4G-64G:256M,64G-:512M")
    assert ck.requested(2 * G) == 192 * M
    assert ck.requested(4 * G) == 256 * M  # the end of a range is exclusive
    assert ck.requested(512 * M) == 0  # below every range: nothing is reserved
    assert ck.requested(128 * G) == 512 * M
    assert parse_crashkernel("256M@16M").size == 256 * M
    assert parse_crashkernel("512M,high").suffix == "high"
    assert parse_crashkernel("2G-:256M,high").ranges == ((2 * G, None, 256 * M),)
    assert parse_crashkernel("auto").auto
    with pytest.raises(ValueError):
        parse_crashkernel("lots")
    toks = tokens('ro crashkernel=256M quiet dyndbg="file x +p" -- crashkernel=1G')
    assert values(toks, "crashkernel") == ["256M"]


def test_iomem_sums_both_regions_and_detects_unprivileged_zeros():
    text = (
        "00100000-bfffffff : System RAM\n  2f000000-3effffff : Crash kernel\n"
        "100000000-43fffffff : System RAM\n  7f000000-7fffffff : Crash kernel\n"
    )
    io = parse_iomem(text)
    assert io.crash_bytes == 256 * M + 16 * M and not io.zeroed
    assert io.system_ram == 0xBFF00000 + 0x340000000
    zeros = parse_iomem("00000000-00000000 : System RAM\n  00000000-00000000 : Crash kernel\n")
    assert zeros.zeroed


def test_reserved_failed_reservation_is_crit_small_ram_is_info():
    specs = [parse_crashkernel("384M-:128M")]
    assert crashkernel_reserved.judge(specs, 0, 8 * G, None, "debian").status is Status.CRIT
    assert crashkernel_reserved.judge(specs, 0, 256 * M, None, "debian").status is Status.INFO
    assert crashkernel_reserved.judge(specs, 128 * M, 8 * G, None, "debian").status is Status.OK
    zeros = parse_iomem("00000000-00000000 : Crash kernel\n")
    r = crashkernel_reserved.judge(specs, 128 * M, 8 * G, zeros, "debian")
    assert r.status is Status.OK and "needs root" in r.facts[1].seen


# (reserved, RAM, arch, family, status, recommended in the summary, whose table)
SIZE_CASES = (
    (128 * M, 8 * G, "x86_64", "debian", "WARN", "256M", "kdump-utils table used as a reference"),
    (256 * M, 8 * G, "x86_64", "rhel", "OK", "256M", "kdump-utils"),
    (256 * M, 128 * G, "x86_64", "rhel", "WARN", "512M", "kdump-utils"),
    (256 * M, 3 * G, "aarch64", "rhel", "OK", "256M", "kdump-utils"),
    # issue 17: a Debian guest with 1.999G and 256M reserved; kdump-tools' own default applies
    (256 * M, 2 * G - 1024 * 1024, "x86_64", "debian", "OK", "128M", "kdump-tools default"),
    (128 * M, 1023 * M, "x86_64", "debian", "OK", "128M", "kdump-tools default"),
    (64 * M, 1023 * M, "x86_64", "debian", "WARN", "128M", "kdump-tools default"),
    (128 * M, 1536 * M, "x86_64", "rhel", "WARN", "192M", "RHEL 8/9 kexec-tools"),
    (256 * M, 1536 * M, "aarch64", "rhel", "OK", "256M", "RHEL 8/9 kexec-tools"),
    (192 * M, 1536 * M, "x86_64", "unknown", "OK", "128M", "kdump-tools default"),
)


@pytest.mark.parametrize("reserved,ram,arch,family,status,wanted,basis", SIZE_CASES)
def test_size_adequate_tables(reserved, ram, arch, family, status, wanted, basis):
    r = crashkernel_size_adequate.judge(reserved, ram, arch, family)
    assert r.status.value == status
    assert f"{wanted} recommended" in r.summary and f"({basis})" in r.summary
    assert r.facts[0].expected == f">= {parse_crashkernel(wanted).size}"
    assert (r.fix is not None) == (status == "WARN")


def test_size_adequate_never_recommends_zero():
    judge = crashkernel_size_adequate.judge
    for ram, arch, family, smallest in (
        (300 * M, "x86_64", "debian", "384M"),
        (900 * M, "x86_64", "rhel", "1G"),  # below RHEL 9's 1G-4G range
        (1536 * M, "ppc64le", "rhel", "2G"),  # ppc64le tables start at 2G
    ):
        r = judge(256 * M, ram, arch, family)
        assert r.status is Status.INFO, r.summary
        assert "0B" not in r.summary and f"the smallest starts at {smallest}" in r.summary
        assert r.facts[0].expected is None
    assert judge(0, 8 * G, "x86_64", "rhel").status is Status.SKIP
    assert judge(256 * M, None, "x86_64", "rhel").status is Status.SKIP


def test_kexec_load_policy():
    base = dict(
        crash_size=M,
        fadump_enabled=None,
        fadump_registered=None,
        fadump_reserved=None,
        load_limit_panic=-1,
        lockdown="none",
    )
    k = KexecState(crash_loaded=0, load_disabled=1, **base)
    assert kexec_load_policy.judge(k).status is Status.CRIT
    k = KexecState(crash_loaded=1, load_disabled=1, **base)
    assert kexec_load_policy.judge(k).status is Status.WARN
    k = KexecState(crash_loaded=1, load_disabled=0, **dict(base, lockdown="integrity"))
    assert kexec_load_policy.judge(k).status is Status.INFO
    assert parse_lockdown("none [integrity] confidentiality") == "integrity"
    assert parse_vmcoreinfo("0x0000000100c66000 1024\n") == (0x100C66000, 4132)


def test_sysctl_thresholds():
    assert hung_task_panic.judge(3, 120).status is Status.OK  # a count > 1 is "on"
    assert hung_task_panic.judge(1, 0).status is Status.INFO
    assert oops_warn_counts.judge(1, 0, 0).status is Status.WARN
    assert oops_warn_counts.judge(1, 0, 1).status is Status.INFO


def test_taint_is_explained_in_words():
    r = kernel_tainted.judge(4097, [("nvidia", "PO")])
    assert r.status is Status.INFO and "proprietary" in r.summary and "nvidia(PO)" in r.summary
    r = kernel_tainted.judge(128, [])
    assert r.status is Status.WARN and "OOPS" in r.summary
    assert "unknown taint (bit 20)" in kernel_tainted.judge(1 << 20, []).summary


def test_collectors_and_dump_space():
    assert dump_level("makedumpfile -l --message-level 7 -d 31") == (31, True)
    assert dump_level("makedumpfile -F -d 1,31") == (31, False)
    deb = debian_setup('USE_KDUMP=1\nMAKEDUMP_ARGS="-d 31"\nKDUMP_COMPRESSION=xz\n')
    assert dump_filter_level.judge(deb, "/usr/bin/makedumpfile", "debian").status is Status.OK
    assert dump_filter_level.judge(deb, None, "debian").status is Status.CRIT
    cp = rhel_setup("core_collector cp\npath /var/crash\n")
    assert dump_filter_level.judge(cp, None, "rhel").status is Status.WARN
    assert dump_space.judge(deb, 4 * G, 8 * G, "debian").status is Status.WARN
    assert dump_space.judge(cp, 4 * G, 8 * G, "rhel").status is Status.CRIT
    assert dump_space.judge(cp, 9 * G, 8 * G, "rhel").status is Status.OK
    nfs = rhel_setup("nfs nfs.example.com:/export/crash\npath /dumps\n")
    assert nfs.remote and dump_space.judge(nfs, None, 8 * G, "rhel").status is Status.SKIP


def test_journald_storage():
    assert journald_persistent.judge("auto", None, True).status is Status.OK
    assert journald_persistent.judge("auto", None, False).status is Status.WARN
    assert journald_persistent.judge("volatile", "/etc/x.conf", True).status is Status.WARN


def test_build_id_from_a_real_elf(tmp_path):
    src = tmp_path / "v.c"
    src.write_text("int start_kernel(void) { return 0; }\n")
    out = tmp_path / "vmlinux"
    subprocess.run(
        [
            "gcc",
            "-g",
            "-nostdlib",
            "-Wl,--build-id=sha1",
            "-Wl,-e,start_kernel",
            "-o",
            str(out),
            str(src),
        ],
        check=True,
        timeout=60,
    )
    info = elf_info(str(out))
    readelf = subprocess.run(
        ["readelf", "-n", str(out)], capture_output=True, text=True, timeout=30
    ).stdout
    assert info.build_id and info.build_id in readelf and info.has_debug_info
    subprocess.run(["strip", "--strip-debug", str(out)], check=True, timeout=30)
    assert not elf_info(str(out)).has_debug_info
    blob = struct.pack("<III", 4, 4, 1) + b"Xen\0" + b"abcd"
    desc = bytes.fromhex(info.build_id)
    blob += struct.pack("<III", 4, len(desc), 3) + b"GNU\0" + desc
    assert parse_notes(blob) == info.build_id
