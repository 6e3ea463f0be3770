"""Post-mortem after a kdump cycle (what the crash lab found, issue 11: A, B, C), on a
synthetic host in real formats (tests/postmortem_roots.kdump_cycle): a crashed boot whose
journal stops before the oops, the kdump capture boot, the report boot; a Debian dump
directory named when the capture kernel ran; ramoops Oops#1 and Panic#2 as systemd-pstore
archived them. Real journal files (systemd-journal-remote), a real StateDB.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any, Dict

import pytest

from kcrashd import config as kconfig
from kcrashd.host.root import Root
from kcrashd.postmortem import boots as boots_of
from kcrashd.postmortem.collect import run_postmortem
from kcrashd.sources import kdump, previous_boot
from kcrashd.store import incidents
from kcrashd.store.state import StateDB
from tests import postmortem_roots as roots
from tests.conftest import require_tool


@pytest.fixture
def cycle(tmp_path: Path) -> Dict[str, Any]:
    require_tool(roots.JOURNAL_REMOTE)
    return roots.kdump_cycle(tmp_path)


def _run(info: Dict[str, Any], tmp_path: Path, current: Any, journal: Any = None):
    cfg = kconfig.from_dict({"hooks": {"directory": str(tmp_path / "no-hooks.d")}})
    state = StateDB(str(tmp_path / "state" / "state.db"))
    out = run_postmortem(
        Root(str(info["root"])),
        cfg,
        state,
        current,
        journal_dir=str(journal or info["journal"]),
    )
    return out, state


def test_the_capture_boot_is_recognised_and_never_the_previous_boot(cycle):
    boots = previous_boot.list_boots(str(cycle["journal"]))
    assert [(b.boot_id, b.capture) for b in boots] == [
        (cycle["crashed"], False),
        (cycle["capture"], True),
        (cycle["report"], False),
    ]
    assert previous_boot.previous_boot(boots, cycle["report"]).boot_id == cycle["crashed"]
    # the disk as the capture kernel left it (its last boot is the capture boot)
    assert previous_boot.previous_boot(boots[:2], None).boot_id == cycle["crashed"]
    assert previous_boot.previous_boot(boots[1:2], None) is None


def test_one_incident_on_the_crashed_boot_first_time(cycle, tmp_path):
    out, state = _run(cycle, tmp_path, cycle["report"])
    try:
        assert out.previous_boot == cycle["crashed"]
        assert {a["boot_id"] for a in out.artifacts} == {cycle["crashed"]}, out.artifacts
        assert [a.type for a in out.alerts] == ["previous_boot_crashed"]  # no unexplained_reset
        alert = out.alerts[0]
        assert alert.fields["boot_id"] == cycle["crashed"]
        assert alert.fields["recurrence_text"] == "1st time this crash in 30 days"
        assert alert.fields["ended_boot"] == "yes"
        (inc,) = incidents.list_incidents(state)
        assert inc.boot_id == cycle["crashed"] and inc.kind == "page_fault"
        assert inc.vmcore == cycle["vmcore"]
        details = [e.detail for e in inc.evidence if e.source == "pstore"]
        assert any("Oops#1" in d for d in details) and any("Panic#2" in d for d in details)
        assert {"kdump", "pstore", "journal"} <= {e.source for e in inc.evidence}
        # dated by the crash's own kernel time, not by the dump directory (capture boot)
        assert abs(inc.first_seen - cycle["crash_time"]) < 1.0, (
            inc.first_seen,
            cycle["crash_time"],
        )
    finally:
        state.close()


def test_the_disk_as_the_capture_kernel_left_it(cycle, tmp_path):
    """No report boot yet (another machine reads the disk): the journal's last boot is the
    capture boot, and the crash is still filed under the crashed boot."""
    journal = tmp_path / "journal-2boots"
    boots = previous_boot.list_boots(str(cycle["journal"]))
    # the same journal without the report boot, written the same way
    entries = [e for e in _entries(cycle) if e["_BOOT_ID"] != cycle["report"]]
    roots.make_journal(journal, entries)
    assert [b.boot_id for b in previous_boot.list_boots(str(journal))] == [
        b.boot_id for b in boots[:2]
    ]
    shutil.rmtree(cycle["root"] / "var/lib/systemd/pstore")  # archived only at the report boot
    out, state = _run(cycle, tmp_path, None, journal)
    try:
        assert out.previous_boot == cycle["crashed"]
        (inc,) = incidents.list_incidents(state)
        assert inc.boot_id == cycle["crashed"]
        assert [a.type for a in out.alerts] == ["previous_boot_crashed"]
    finally:
        state.close()


def _entries(cycle: Dict[str, Any]) -> list:
    import subprocess

    raw = subprocess.run(
        ["journalctl", "--directory", str(cycle["journal"]), "-o", "export"],
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout.decode()
    entries = []
    for block in raw.split("\n\n"):
        fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if fields:
            entries.append(fields)
    return entries


def test_the_dump_is_matched_by_its_kernel_lines_not_its_file_time(cycle, tmp_path):
    """A dump directory copied later (named in the report boot) still belongs to the boot
    whose kernel wrote its dmesg: the journal holds those lines at their own timestamps."""
    (old,) = (cycle["root"] / "var/crash").iterdir()
    stamp = time.strftime("%Y%m%d%H%M", time.localtime(time.time() - 60))
    new = old.parent / stamp
    os.rename(old, new)
    for f in list(new.iterdir()):
        f.rename(new / f.name.replace(old.name, stamp))
    boots = previous_boot.list_boots(str(cycle["journal"]))
    (dump,) = kdump.read_dumps(Root(str(cycle["root"])), ["/var/crash"])
    assert boots_of.boot_for_time(dump.created, boots, None, None) == cycle["report"]
    assert boots_of.boot_of_text(str(cycle["journal"]), dump.dmesg, boots) == cycle["crashed"]
    out, state = _run(cycle, tmp_path, cycle["report"])
    try:
        (inc,) = incidents.list_incidents(state)
        assert inc.boot_id == cycle["crashed"]
    finally:
        state.close()


def test_without_the_journal_the_evidence_is_still_one_incident(cycle, tmp_path):
    """No journal to match lines in (a volatile journal): pstore's own record time and
    the dump directory still make one incident, not two."""
    empty = tmp_path / "no-journal"
    empty.mkdir()
    out, state = _run(cycle, tmp_path, cycle["report"], empty)
    try:
        (inc,) = incidents.list_incidents(state)
        assert inc.recurrence == 1
        assert {"kdump", "pstore"} <= {e.source for e in inc.evidence}
        assert [a.type for a in out.alerts] == ["previous_boot_crashed"]
        assert out.alerts[0].fields["recurrence_text"] == "1st time this crash in 30 days"
    finally:
        state.close()
