"""crashkernel_persistent and the boot path it reads (issue 17): which loader booted the
host, what it reads for the next boot, and INFO, never OK, when that cannot be seen."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kcrashd.checks.checklist import crashkernel_persistent
from kcrashd.checks.context import HostView
from kcrashd.config import Config
from kcrashd.host import bootloader
from kcrashd.host.bootloader import (
    GRUB,
    GRUB_BLS,
    LOADER_GUID,
    SYSTEMD_BOOT,
    UKI,
    UNKNOWN,
    ZIPL,
    BootPath,
    read_boot_path,
)
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.model import Status


def check_on(root) -> object:
    return crashkernel_persistent.run(HostView(Root(str(root)), CommandRunner(), Config()))


# --- the fixture roots -------------------------------------------------------------------


def test_issue_17_guest_booted_by_qemu_is_not_ok(roots):
    r = check_on(roots / "debian12-direct-boot")
    assert r.status is Status.INFO
    assert r.summary.startswith("cannot tell how this host boots")
    assert "crashkernel=256M" in r.summary
    facts = {f.source: f.seen for f in r.facts}
    assert facts["/etc/default/grub.d/kdump-tools.cfg"].endswith("this boot path does not read it")
    assert "no BOOT_IMAGE=" in facts["boot path"]


@pytest.mark.parametrize(
    "scenario,loader,value,source",
    (
        ("debian12-kdump-ready", GRUB, "384M-:256M", "/boot/grub/grub.cfg"),
        ("debian12-1g-grub", GRUB, "384M-:128M", "/boot/grub/grub.cfg"),
        ("rhel9-kdump-ready", GRUB_BLS, "1G-4G:192M,4G-64G:256M,64G-:512M", "el9_4.x86_64.conf"),
        ("rhel8-bls-grubby", GRUB_BLS, "1G-4G:192M,4G-64G:256M,64G-:512M", "/boot/grub2/grubenv"),
    ),
)
def test_roots_with_a_bootloader(roots, scenario, loader, value, source):
    r = check_on(roots / scenario)
    assert r.status is Status.OK, r.summary
    assert r.summary.startswith(f"the next boot gets crashkernel={value} ({loader}: ")
    assert source in r.summary


def test_rhel8_reads_the_default_kernels_entry_and_grubenv(roots):
    boot = read_boot_path(Root(str(roots / "rhel8-bls-grubby")), "4.18.0-553.el8_10.x86_64")
    assert boot.entry_source.startswith("/boot/loader/entries/")
    assert "4.18.0-553.el8_10" in boot.entry_source and "$kernelopts" in boot.entry_source
    assert boot.template_sources == ("/etc/default/grub",)


# --- boot paths made in a temporary root ---------------------------------------------------

KVER = "6.1.0-13-amd64"


def efivar(root, name: str, value: str) -> None:
    path = root / "sys/firmware/efi/efivars" / f"{name}-{LOADER_GUID}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x06\x00\x00\x00" + (value + "\0").encode("utf-16-le"))


def write(root, path: str, text: str) -> None:
    p = root / path.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def test_systemd_boot_reads_the_selected_entry(tmp_path):
    write(tmp_path, "/proc/cmdline", "root=/dev/vda2 rw crashkernel=512M\n")
    efivar(tmp_path, "LoaderInfo", "systemd-boot 252.30-1~deb12u2")
    efivar(tmp_path, "LoaderEntrySelected", "debian-b.conf")
    entries = "/boot/efi/loader/entries"
    write(tmp_path, f"{entries}/debian-a.conf", "title a\noptions root=/dev/vda2 rw\n")
    write(
        tmp_path,
        f"{entries}/debian-b.conf",
        "title b\noptions root=/dev/vda2 rw crashkernel=512M\n",
    )
    write(tmp_path, "/etc/kernel/cmdline", "root=/dev/vda2 rw crashkernel=512M\n")
    boot = read_boot_path(Root(str(tmp_path)), "6.9-unrelated")
    assert (boot.loader, boot.entry_source) == (SYSTEMD_BOOT, f"{entries}/debian-b.conf")
    assert "systemd-boot 252.30" in boot.evidence
    assert boot.template_sources == ("/etc/kernel/cmdline",)
    r = crashkernel_persistent.judge(["512M"], boot, "debian")
    assert r.status is Status.OK and "(systemd-boot: " in r.summary


def build_uki(path, cmdline: bytes) -> None:
    """A PE image with a .cmdline section, made the way UKIs were before ukify: objcopy
    --add-section onto an EFI application (here a tiny one built from C)."""
    work = path.parent
    (work / "stub.c").write_text("int efi_main(void) { return 0; }\n")
    run = dict(check=True, timeout=60, cwd=work)
    subprocess.run(["gcc", "-shared", "-fPIC", "-nostdlib", "-o", "stub.so", "stub.c"], **run)
    subprocess.run(["objcopy", "--target=efi-app-x86_64", "stub.so", "stub.efi"], **run)
    (work / "cmdline.txt").write_bytes(cmdline)
    subprocess.run(
        [
            "objcopy",
            "--add-section",
            ".cmdline=cmdline.txt",
            "--change-section-vma",
            ".cmdline=0x30000",
            "stub.efi",
            str(path),
        ],
        **run,
    )


def test_a_unified_kernel_image_carries_its_command_line(tmp_path):
    root = tmp_path / "root"
    write(root, "/proc/cmdline", "root=/dev/vda2 rw crashkernel=256M\n")
    efivar(root, "StubInfo", "systemd-stub 252.30-1~deb12u2")
    uki = root / "efi/EFI/Linux" / f"debian-{KVER}.efi"
    uki.parent.mkdir(parents=True)
    build_uki(uki, b"root=/dev/vda2 rw crashkernel=256M\0")
    write(
        root, "/etc/default/grub.d/kdump-tools.cfg", 'GRUB_CMDLINE_LINUX_DEFAULT="crashkernel=1G"\n'
    )
    boot = read_boot_path(Root(str(root)), KVER)
    assert boot.loader == UKI and boot.entry_source == f"/efi/EFI/Linux/debian-{KVER}.efi"
    assert boot.entry_values == ("256M",)
    assert boot.unread_sources == ("/etc/default/grub.d/kdump-tools.cfg",)
    assert crashkernel_persistent.judge(["256M"], boot, "debian").status is Status.OK

    build_uki(uki, b"root=/dev/vda2 rw\0")  # rebuilt without crashkernel=
    boot = read_boot_path(Root(str(root)), KVER)
    r = crashkernel_persistent.judge(["256M"], boot, "debian")
    assert r.status is Status.WARN and "vanishes at reboot" in r.summary
    assert ".cmdline" in r.fix

    assert bootloader.pe_section(str(root / "proc/cmdline"), ".cmdline") is None  # not PE
    shutil.rmtree(root / "efi")
    r = check_on(root)
    assert (
        r.status is Status.INFO and "its configuration for this kernel was not found" in r.summary
    )


def test_grub_installed_but_not_what_booted_this_kernel(tmp_path):
    write(tmp_path, "/proc/cmdline", "root=/dev/vda rw crashkernel=256M\n")
    write(tmp_path, "/boot/grub/grub.cfg", f"linux /boot/vmlinuz-{KVER} root=/dev/vda ro\n")
    boot = read_boot_path(Root(str(tmp_path)), KVER)
    assert boot.loader == UNKNOWN and "GRUB did not boot this kernel" in boot.evidence
    assert check_on(tmp_path).status is Status.INFO


def test_an_image_without_a_running_kernel_goes_by_its_files(tmp_path):
    write(
        tmp_path, "/boot/grub/grub.cfg", f"linux /boot/vmlinuz-{KVER} ro crashkernel=384M-:128M\n"
    )
    boot = read_boot_path(Root(str(tmp_path)), KVER)
    assert boot.loader == GRUB and "going by the files" in boot.evidence
    assert boot.entry_values == ("384M-:128M",)
    (tmp_path / "boot/grub/grub.cfg").unlink()
    boot = read_boot_path(Root(str(tmp_path)), KVER)
    assert boot.loader == UNKNOWN and "not a running host" in boot.evidence


def test_zipl_reads_bls_entries(tmp_path):
    write(tmp_path, "/proc/cmdline", "BOOT_IMAGE=0 root=/dev/dasda1 crashkernel=196M\n")
    write(tmp_path, "/etc/zipl.conf", "[defaultboot]\ndefaultauto\ntarget=/boot\n")
    write(
        tmp_path,
        "/boot/loader/entries/x-5.14.0.conf",
        "options root=/dev/dasda1 crashkernel=196M\n",
    )
    boot = read_boot_path(Root(str(tmp_path)), "5.14.0")
    assert boot.loader == ZIPL
    r = crashkernel_persistent.judge(["196M"], boot, "rhel")
    assert r.status is Status.OK


def test_booted_by_grub_but_no_config_found(tmp_path):
    write(tmp_path, "/proc/cmdline", f"BOOT_IMAGE=/boot/vmlinuz-{KVER} root=/dev/sda1\n")
    boot = read_boot_path(Root(str(tmp_path)), KVER)
    assert boot.loader == UNKNOWN and "no grub.cfg" in boot.evidence
    r = crashkernel_persistent.judge([], boot, "debian")
    assert r.status is Status.INFO and r.summary == "cannot tell how this host boots"


# --- the judge, every branch ---------------------------------------------------------------

GRUB_CFG = "/boot/grub/grub.cfg"
TEMPLATE = "/etc/default/grub.d/kdump-tools.cfg"
BLS_ENTRY = "/boot/loader/entries/x.conf"


def path(loader, entry=(), templates=(), source=GRUB_CFG) -> BootPath:
    return BootPath(
        loader,
        "test",
        source,
        tuple(entry),
        (TEMPLATE,) if templates else (),
        tuple(templates),
    )


# (this boot's crashkernel=, boot path, family, status, phrase of the summary, phrase of the fix)
JUDGE = (
    (["256M"], path(GRUB, ["256M"], ["256M"]), "debian", "OK", "(GRUB: /boot/grub", None),
    (["256M"], path(GRUB, [], ["256M"]), "debian", "WARN", "vanishes at reboot", "update-grub"),
    (["256M"], path(GRUB, []), "rhel", "WARN", "vanishes at reboot", "grubby"),
    ([], path(GRUB, ["256M"], ["256M"]), "debian", "WARN", "reboot pending", "reboot"),
    ([], path(GRUB, [], ["256M"]), "debian", "WARN", "update-grub has not run", "update-grub &&"),
    ([], path(GRUB, [], ["256M"]), "rhel", "WARN", "has not run", "grub2-mkconfig"),
    ([], path(GRUB, []), "debian", "INFO", "no crashkernel= anywhere", None),
    (["256M"], path(GRUB, ["256M"]), "debian", "WARN", "next update-grub drops it", "grub.d"),
    (["256M"], path(GRUB, ["256M"]), "rhel", "OK", "the next boot gets", None),
    (["1G"], path(GRUB_BLS, [], source=BLS_ENTRY), "rhel", "WARN", "vanishes", "kdumpctl reset"),
    (["1G"], path(GRUB_BLS, [], source=BLS_ENTRY), "debian", "WARN", "vanishes", "options line"),
    (["1G"], path(SYSTEMD_BOOT, [], source=BLS_ENTRY), "rhel", "WARN", "vanishes", "options line"),
    (["1G"], path(UNKNOWN, source=None), "debian", "INFO", "cannot tell how this host boots", None),
    ([], path(UNKNOWN, source=None), "rhel", "INFO", "cannot tell how this host boots", None),
    (["1G"], path(UKI, source=None), "debian", "INFO", "was not found; this boot got", None),
)


@pytest.mark.parametrize("current,boot,family,status,phrase,fix", JUDGE)
def test_judge(current, boot, family, status, phrase, fix):
    r = crashkernel_persistent.judge(current, boot, family)
    assert r.status.value == status and phrase in r.summary, r.summary
    assert (r.fix is None) == (fix is None)
    if fix:
        assert fix in r.fix
