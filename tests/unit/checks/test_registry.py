"""The check registry is complete and matches the reference's check-id index."""

from __future__ import annotations

import pkgutil
import re

import kcrashd.checks.checklist as checklist
from kcrashd.checks.checklist.sysctls import SYSCTLS
from kcrashd.checks.registry import AREAS, BY_ID, CHECKS, NOT_IMPLEMENTED
from kcrashd.checks.sysctl_check import SysctlCheck
from tests.conftest import SHARED

REFERENCE = SHARED / "reference" / "readiness-checks.md"


def reference_index() -> list:
    text = REFERENCE.read_text()
    section = text.split("## 8. Check-id index", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`([a-z_]+)`", section)


TABLE_MODULE = "sysctls"  # checklist/sysctls.py: a table of checks, not one check


def test_every_module_and_table_row_is_registered_once():
    modules = sorted(m.name for m in pkgutil.iter_modules(checklist.__path__))
    registered = [c.__name__.rsplit(".", 1)[-1] for c in CHECKS if not isinstance(c, SysctlCheck)]
    assert sorted(registered + [TABLE_MODULE]) == modules
    rows = [c for c in CHECKS if isinstance(c, SysctlCheck)]
    assert rows and sorted(r.CHECK_ID for r in rows) == sorted(r.check_id for r in SYSCTLS)
    ids = [c.CHECK_ID for c in CHECKS]
    assert len(ids) == len(set(ids))


def test_module_checks_are_named_like_their_module():
    for c in CHECKS:
        if not isinstance(c, SysctlCheck):
            assert c.__name__.rsplit(".", 1)[-1] == c.CHECK_ID


def test_every_reference_id_is_implemented_or_explained():
    index = reference_index()
    assert len(index) >= 38, "the reference index was not parsed"
    missing = [i for i in index if i not in BY_ID and i not in NOT_IMPLEMENTED]
    assert not missing, f"check ids of the reference with no check: {missing}"
    for cid, reason in NOT_IMPLEMENTED.items():
        assert cid in index and cid not in BY_ID and len(reason) > 20


def test_every_check_documents_itself():
    areas = {a for a, _ in AREAS}
    for c in CHECKS:
        assert c.TITLE and len(c.EXPLAIN) > 80, c.CHECK_ID
        assert c.AREA in areas, c.CHECK_ID
        assert callable(c.run) and callable(getattr(c, "judge", None) or c.judge_rhel)


def test_issue_aids_are_present():
    for cid in (
        "kcrashd_service",
        "state_directory",
        "edac_present",
        "kfence",
        "ftrace_dump_on_oops",
        "console_loglevel",
        "netconsole",
        "kernel_tainted",
    ):
        assert cid in BY_ID
