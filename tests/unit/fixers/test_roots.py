"""`kcrashd fix` on copies of the fixture roots (tests/fixtures/roots), as an admin runs it
on an image with --root: the dry run writes nothing, --apply makes the checks go OK (or
says the fix takes effect at the next boot, which the test then plays: the sysctl.d files
applied to the root's /proc/sys in their boot order), --undo gives back the very same
tree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

import pytest

from kcrashd.checks import run_checks
from kcrashd.cli import main
from kcrashd.config import Config
from kcrashd.host import sysctl_conf
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.host.sysfs import sysctl_path
from tests.unit.fixers.conftest import tree

# scenario -> the checks fixed now (OK at the next check), and those that the next boot fixes
EXPECTED = {
    "debian12-kdump-not-loaded": (
        {"kdump_service", "journald_persistent"},
        {"panic_timeout", "panic_on_oops"},
    ),
    "rhel9-no-crashkernel": ({"dump_target_config"}, {"panic_timeout"}),
    "vm-nothing-configured": (set(), {"panic_timeout", "panic_on_oops"}),
    "debian12-1g-grub": (set(), {"panic_timeout"}),
    "efi-pstore-previous-panic": (set(), {"panic_timeout", "panic_on_oops"}),
}


def fix(capsys, root: Path, *args: str) -> Dict:
    code = main(["fix", "--json", "--root", str(root), *args])
    doc = json.loads(capsys.readouterr().out)
    doc["exit"] = code
    return doc


def statuses(root: Path) -> Dict[str, str]:
    return {
        r.check_id: r.status.value for r in run_checks(Root(str(root)), CommandRunner(), Config())
    }


def boot(root: Path) -> Dict[Path, bytes]:
    """What the next boot does with the sysctl files: systemd-sysctl applies them in order
    to /proc/sys (here: the root's own files standing for it). Returns what it replaced."""
    r = Root(str(root))
    replaced: Dict[Path, bytes] = {}
    for f in sysctl_conf.config_files(r):
        for key, value in sysctl_conf.parse_sysctl_conf(r.read_text(f)):
            target = root / sysctl_path(key).lstrip("/")
            if target.is_file():
                replaced.setdefault(target, target.read_bytes())
                target.write_text(value + "\n")
    return replaced


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_apply_then_check_then_undo(capsys, root_copy, scenario):
    root = root_copy(scenario)
    now, at_boot = EXPECTED[scenario]
    pristine = tree(root)

    dry = fix(capsys, root)
    assert dry["exit"] == 0 and dry["mode"] == "dry-run"
    assert tree(root) == pristine, "the dry run wrote something"
    planned = {i["id"] for i in dry["items"] if i["action"] == "fix"}
    assert planned == now | at_boot
    assert all(d["diff"].startswith("--- ") for d in dry["files"])

    applied = fix(capsys, root, "--apply")
    assert applied["exit"] == 0, applied
    results = {i["id"]: i.get("result") for i in applied["items"] if i["action"] == "fix"}
    assert {c for c, r in results.items() if r.startswith("fixed")} == now
    assert {c for c, r in results.items() if r == "takes effect after reboot"} == at_boot
    assert tree(root) != pristine
    after = statuses(root)
    assert all(after[c] == "OK" for c in now), after
    assert applied["commands"] == []  # another root: nothing is run there

    replaced = boot(root)
    sysctl_checks = {c for c in at_boot if c.startswith("panic_")}
    assert sysctl_checks and replaced
    rebooted = statuses(root)
    assert all(rebooted[c] == "OK" for c in sysctl_checks), rebooted
    for path, data in replaced.items():  # the boot played here is not kcrashd's doing
        path.write_bytes(data)

    undone = fix(capsys, root, "--undo")
    assert undone["exit"] == 0 and not undone["kept"]
    assert tree(root) == pristine, "--undo did not give back the same tree"
    assert fix(capsys, root, "--undo")["nothing_to_undo"]
