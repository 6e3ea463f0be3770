"""The kernel build config readers: the whole file, and a few options by string search."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from kcrashd.host.kernel_config import kconfig_options, parse_kconfig, read_kernel_config
from kcrashd.host.root import Root

# synthetic, in the format of a kernel's .config
CONFIG = """CONFIG_KEXEC=y
#
# General setup
#
CONFIG_KEXEC_FILE=y
# CONFIG_KEXEC_SIG is not set
CONFIG_CMDLINE="console=ttyS0 crashkernel=256M"
CONFIG_NR_CPUS=64
CONFIG_CRASH_DUMP=y
# CONFIG_PROC_VMCORE_DEVICE_DUMP is not set
CONFIG_PROC_VMCORE=y"""


def test_options_by_name_read_as_the_whole_file_does():
    names = list(parse_kconfig(CONFIG)) + ["CONFIG_RELOCATABLE", "CONFIG_KEXEC_S"]
    assert kconfig_options(CONFIG, names) == parse_kconfig(CONFIG)
    assert kconfig_options(CONFIG, ["CONFIG_KEXEC"]) == {"CONFIG_KEXEC": "y"}  # first line
    assert kconfig_options(CONFIG, ["CONFIG_PROC_VMCORE"]) == {"CONFIG_PROC_VMCORE": "y"}  # last
    assert kconfig_options(CONFIG, ["CONFIG_CMDLINE"]) == {
        "CONFIG_CMDLINE": "console=ttyS0 crashkernel=256M"
    }


@pytest.mark.skipif(not os.path.exists("/proc/config.gz"), reason="this kernel has no config.gz")
def test_options_by_name_on_this_kernels_config():
    text = gzip.decompress(Path("/proc/config.gz").read_bytes()).decode("utf-8", "replace")
    whole = parse_kconfig(text)
    assert len(whole) > 1000
    assert kconfig_options(text, whole) == whole


def test_read_from_boot_then_proc(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/config.gz").write_bytes(gzip.compress(CONFIG.encode()))
    root = Root(str(tmp_path))
    assert read_kernel_config(root, "6.1.0-13-amd64", ["CONFIG_KEXEC_SIG"]) == (
        "/proc/config.gz",
        {"CONFIG_KEXEC_SIG": "n"},
    )
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot/config-6.1.0-13-amd64").write_text("CONFIG_KEXEC=m\n")
    assert read_kernel_config(root, "6.1.0-13-amd64") == (
        "/boot/config-6.1.0-13-amd64",
        {"CONFIG_KEXEC": "m"},
    )
    assert read_kernel_config(Root(str(tmp_path / "none")), "x") == (None, {})
