"""The crash lab's own parts, without QEMU: command lines, scripts, serial cutting."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.lab import image, plans, qemu, reports

GUEST_SCRIPT = image.HERE / "guest" / "kcrashd-lab-guest.sh"


@pytest.mark.parametrize("script", [GUEST_SCRIPT, image.HERE / "rootfs.sh"], ids=lambda p: p.name)
def test_shell_scripts_parse(script):
    r = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_every_plan_has_a_guest_driver():
    text = GUEST_SCRIPT.read_text()
    for plan in plans.PLANS:
        assert f"{plan}) plan_{plan} ;;" in text, plan


def test_every_guest_file_exists():
    for path in image.iter_guest_files():
        assert path.is_file(), path


def test_command_lines():
    live = plans.command_line("live", plans.PLANS["live"][0])
    assert "crashkernel=256M" in live and qemu.RAMOOPS_APPEND in live
    assert "crash_kexec_post_notifiers" in live and "slub_debug=FZP,bad_uaf" in live
    assert live.endswith("kcrashd_lab.plan=live")
    efi = plans.command_line("efi", plans.PLANS["efi"][0])
    assert "ramoops" not in efi and "memmap=" not in efi
    drift = plans.command_line("resets", plans.PLANS["resets"][1])
    assert "crashkernel=" not in drift


def test_tcg_never_uses_cpu_max():
    # -cpu max breaks guest userspace under QEMU 7.2 TCG (findmnt, udevd 226/NAMESPACE)
    args = qemu.tcg().args
    assert args[args.index("-cpu") + 1] == "Nehalem"


def test_cut_live_takes_each_trigger_with_its_interleaved_lines():
    lines = [
        "[   10.0] kcrashd-lab-guest[1]: KLAB live/0 10.0 trigger bug: echo 1 > /x",
        "[   10.1] kernel BUG at /m/bad_driver.c:58!",
        "[   10.2] kcrashd-lab-guest[1]: KLAB live/0 10.2 trigger bug: writer exit status 139",
        "[   11.0] kcrashd-lab-guest[1]: KLAB live/0 11.0 trigger warning: echo 1 > /y",
        "[   11.1] WARNING: CPU: 0 PID: 1 at /m/bad_driver.c:64 bad_warn_func+0x1e/0x30",
        "[   12.0] kcrashd-lab-guest[1]: KLAB live/0 12.0 fd: fdhog",
        "[   12.1] not part of any trigger",
    ]
    cuts = reports.cut_live(lines)
    assert cuts["bug"] == lines[1:3]
    assert cuts["warning"] == lines[4:5]


def test_answers_follow_the_module():
    source = (image.HERE / "module" / "bad_driver.c").read_text()
    for a in reports.LIVE + tuple(a for _, _, a in reports.FATAL):
        if a.module == reports.MODULE:
            # a trigger function, or (a stall) the module's write handler that called it
            defined = rf"^(?:noinline|static) [\w ]+\b{a.function}\("
            assert re.search(defined, source, re.M), a.function


def test_qemu_command_line_with_extra_devices(tmp_path):
    m = qemu.Machine(
        kernel=tmp_path / "vmlinuz",
        initrd=tmp_path / "initrd",
        disk=tmp_path / "disk.img",
        append="root=/dev/vda",
        machine_type="q35",
        efi_vars=tmp_path / "vars.fd",
        hold_reboots=True,
        extra_args=[
            *qemu.root_port_args("rp0"),
            *qemu.nvme_args(tmp_path / "n.img", "LAB0001", bus="rp0"),
            *qemu.ide_args(tmp_path / "a.img"),
        ],
    )
    argv = qemu.build_argv(m, qemu.tcg(), tmp_path / "q.sock")
    text = " ".join(argv)
    assert argv[1:3] == ["-M", "q35"]
    assert f"-qmp unix:{tmp_path / 'q.sock'},server=on,wait=off" in text
    assert "-action reboot=shutdown,shutdown=pause" in text
    assert "pcie-root-port,id=rp0,chassis=1,slot=1" in text
    assert "nvme,serial=LAB0001,drive=nvme0-drive,id=nvme0,bus=rp0" in text
    assert "ide-hd,drive=ide0-drive,id=ide0" in text
    assert f"unit=1,file={tmp_path / 'vars.fd'}" in text
