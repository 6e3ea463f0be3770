"""The live-host path of `kcrashd fix` (commands, their undo steps, --bootloader) on a copy
of a fixture root that stands in for "/": a Root whose is_live is true but which maps host
paths into the copy, and a ReplayRunner that answers the commands with exit status 0
(synthetic outputs: no command runs on this machine). The undo, the record and the
re-checks are the real code."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kcrashd.checks.context import HostView
from kcrashd.config import Config
from kcrashd.fixers import engine
from kcrashd.fixers.bootloader import TEMPLATE
from kcrashd.fixers.record import Record
from kcrashd.host.root import Root
from kcrashd.host.runner import ReplayRunner
from tests.unit.fixers.conftest import tree


class StandInRoot(Root):
    """A directory in the role of the live root."""

    @property
    def is_live(self) -> bool:
        return True

    def path(self, host_path: str) -> str:
        return os.path.join(self.base, host_path.lstrip("/"))

    def path_nofollow(self, host_path: str) -> str:
        return self.path(host_path)

    def glob(self, pattern: str):
        return Root(self.base).glob(pattern)


def runner() -> ReplayRunner:
    ok = (0, "")
    return ReplayRunner(
        {
            ("sysctl", "--system"): ok,
            ("sysctl", "-w", "kernel.panic=0"): ok,
            ("sysctl", "-w", "kernel.panic_on_oops=0"): ok,
            ("systemctl", "enable", "--now", "kdump-tools.service"): ok,
            ("systemctl", "disable", "--now", "kdump-tools.service"): ok,
            ("update-grub",): ok,
            ("modprobe", "efi_pstore"): ok,
        }
    )


def commands(run: ReplayRunner) -> list:
    """The commands fixes ran (the checks' own read-only calls left out)."""
    return [c for c in run.calls if c[0] != "journalctl"]


def setup(root_dir: Path):
    root = StandInRoot(str(root_dir))
    run = runner()
    config = Config()

    def new_host() -> HostView:
        return HostView(root, run, config)

    return root, run, config, new_host, Record(root, config.state.directory)


def test_sysctl_and_unit_fixes_run_their_commands_and_undo_them(root_copy):
    root_dir = root_copy("debian12-1g-grub")
    pristine = tree(root_dir)
    root, run, config, new_host, record = setup(root_dir)
    fp = engine.plan(new_host())
    by_id = {i.check_id: i for i in fp.items}
    assert [c.command.argv for c in fp.commands] == [
        ("systemctl", "enable", "--now", "kdump-tools.service"),  # crash memory is reserved
        ("sysctl", "--system"),
    ]
    engine.apply(fp, new_host(), record.load(), new_host)
    assert commands(run) == [c.command.argv for c in fp.commands]
    assert all(c.ran and c.error is None for c in fp.commands)
    # the drop-in is written; /proc/sys of the stand-in did not change (no kernel here)
    assert by_id["panic_timeout"].verdict.startswith("still WARN")
    doc = json.loads((root_dir / "var/lib/kcrashd/fix-record.json").read_text())
    (app,) = doc["applications"]
    undo_argvs = [u for c in app["commands"] for u in c["undo"]]
    assert ["sysctl", "-w", "kernel.panic=0"] in undo_argvs
    assert ["systemctl", "disable", "--now", "kdump-tools.service"] in undo_argvs
    assert oct(os.stat(root_dir / "var/lib/kcrashd/fix-record.json").st_mode & 0o777) == "0o600"

    # a kernel that took the value (what sysctl --system does on a real one) gets the old
    # one back; one that did not (a container's read-only /proc/sys) is left alone
    assert not engine._undo_needed(("sysctl", "-w", "kernel.panic=0"), root)
    panic = root_dir / "proc/sys/kernel/panic"
    panic.write_text("10\n")
    assert engine._undo_needed(("sysctl", "-w", "kernel.panic=0"), root)
    run.calls.clear()
    out = engine.undo(new_host(), Record(root, config.state.directory).load(), new_host)
    assert ("sysctl", "-w", "kernel.panic=0") in run.calls
    panic.write_text("0\n")  # what that sysctl -w did
    assert ("systemctl", "disable", "--now", "kdump-tools.service") in run.calls
    assert not out.kept and tree(root_dir) == pristine


def test_bootloader_on_debian_grub_edits_the_template_and_runs_update_grub(root_copy):
    root_dir = root_copy("efi-pstore-previous-panic")
    pristine = tree(root_dir)
    root, run, config, new_host, record = setup(root_dir)
    without = engine.plan(new_host(), ["crashkernel_cmdline"])
    (item,) = without.items
    assert item.action == "manual" and "update-grub" in item.proposal.manual[0]
    assert without.files == []

    fp = engine.plan(new_host(), ["crashkernel_cmdline"], bootloader=True)
    assert fp.files == [TEMPLATE]
    diff = fp.diff(TEMPLATE)
    assert diff.startswith("--- /dev/null\n+++ /etc/default/grub.d/kdump-tools.cfg")
    assert '+GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=' in diff
    engine.apply(fp, new_host(), record.load(), new_host)
    assert commands(run) == [("update-grub",)]
    (item,) = fp.items
    assert item.verdict == "takes effect after reboot"
    # the next boot's config (grub.cfg is update-grub's: not run here) has the template
    assert "crashkernel=" in (root_dir / TEMPLATE.lstrip("/")).read_text()
    engine.undo(new_host(), Record(root, config.state.directory).load(), new_host)
    assert tree(root_dir) == pristine


class GrubbyStandIn(ReplayRunner):
    """Answers grubby by writing `text` to `entry`, as the real grubby edits the entry."""

    def __init__(self, entry: Path, text: str) -> None:
        super().__init__({})
        self.entry, self.text = entry, text

    def run(self, argv, timeout, input_text=None):
        if argv[0] == "grubby":
            self.entry.write_text(self.text)
            self.recordings[tuple(argv)] = (0, "")
        return super().run(argv, timeout, input_text)


def test_grubby_on_rhel_previews_the_entries_and_restores_them_on_undo(root_copy):
    root_dir = root_copy("rhel9-no-crashkernel")
    root, _, config, new_host, record = setup(root_dir)
    fp = engine.plan(new_host(), ["crashkernel_cmdline"], bootloader=True)
    (cmd,) = fp.commands
    assert cmd.command.argv[:2] == ("grubby", "--update-kernel=ALL")
    assert cmd.command.argv[2].startswith("--args=crashkernel=")
    ((entry, text),) = fp.previews
    assert entry.startswith("/boot/loader/entries/") and "crashkernel=" in text
    assert "+options root=" in fp.preview_diff(entry, text)
    assert fp.files == []  # kcrashd writes nothing itself: grubby does

    entry_file = root_dir / entry.lstrip("/")
    before = entry_file.read_bytes()
    grubby = GrubbyStandIn(entry_file, text)

    def grubby_host() -> HostView:
        return HostView(root, grubby, config)

    engine.apply(fp, grubby_host(), record.load(), grubby_host)
    assert entry_file.read_text() == text
    (item,) = fp.items
    assert item.verdict == "takes effect after reboot"  # the next boot reads the entry
    out = engine.undo(grubby_host(), Record(root, config.state.directory).load(), grubby_host)
    assert entry in out.restored and entry_file.read_bytes() == before


def test_undo_keeps_a_file_changed_since_and_says_so(root_copy):
    root_dir = root_copy("vm-nothing-configured")
    root, run, config, new_host, record = setup(root_dir)
    fp = engine.plan(new_host(), ["panic_timeout"])
    engine.apply(fp, new_host(), record.load(), new_host)
    dropin = root_dir / "etc/sysctl.d/90-kcrashd.conf"
    dropin.write_text(dropin.read_text() + "vm.swappiness = 10\n")  # the admin's own line
    out = engine.undo(new_host(), Record(root, config.state.directory).load(), new_host)
    assert out.kept == ["/etc/sysctl.d/90-kcrashd.conf"] and dropin.exists()
    left = Record(root, config.state.directory).load()
    assert [e["path"] for e in left.applications[0]["files"]] == ["/etc/sysctl.d/90-kcrashd.conf"]


def test_a_second_apply_changes_nothing(root_copy):
    root_dir = root_copy("debian12-kdump-not-loaded")
    root, run, config, new_host, record = setup(root_dir)
    engine.apply(engine.plan(new_host()), new_host(), record.load(), new_host)
    again = engine.plan(new_host())
    assert again.files == [] and again.dirs == []
