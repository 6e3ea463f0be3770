"""Every check that can report WARN or CRIT has a fixer or is manual-only with a reason."""

from __future__ import annotations

import ast
import inspect

import pytest

from kcrashd.checks.checklist.sysctls import SYSCTLS
from kcrashd.checks.fixes import sysctl_fix, sysctl_setting
from kcrashd.checks.registry import BY_ID, CHECKS
from kcrashd.checks.sysctl_check import SysctlCheck
from kcrashd.fixers import sysctl as sysctl_fixer
from kcrashd.fixers.registry import BY_CHECK, FIXERS, MANUAL_ONLY
from kcrashd.model import Status

BAD = {"WARN", "CRIT"}


def can_warn_or_crit(check) -> bool:
    """A table row by its rules; a module by the statuses its source can return."""
    if isinstance(check, SysctlCheck):
        return any(r.status.value in BAD for r in check.rules)
    tree = ast.parse(inspect.getsource(check))
    return any(
        isinstance(n, ast.Attribute)
        and n.attr in BAD
        and isinstance(n.value, ast.Name)
        and n.value.id == "Status"
        for n in ast.walk(tree)
    )


def test_the_scan_tells_warning_checks_from_informational_ones():
    # guards the scan itself: a module that only informs, and one that warns
    assert not can_warn_or_crit(BY_ID["kfence"]) and can_warn_or_crit(BY_ID["vmcoreinfo"])
    assert not can_warn_or_crit(BY_ID["panic_on_oom"]) and can_warn_or_crit(BY_ID["kptr_restrict"])


def test_every_warn_or_crit_check_has_a_fixer_or_a_reason():
    able = [c.CHECK_ID for c in CHECKS if can_warn_or_crit(c)]
    assert len(able) >= 30
    missing = [cid for cid in able if cid not in BY_CHECK and cid not in MANUAL_ONLY]
    assert not missing, f"no fixer and no manual-only reason: {missing}"
    both = set(BY_CHECK) & set(MANUAL_ONLY)
    assert not both, f"both a fixer and manual-only: {both}"
    for cid, reason in MANUAL_ONLY.items():
        assert cid in BY_ID and len(reason) > 20, cid
    never_warn = [cid for cid in list(BY_CHECK) + list(MANUAL_ONLY) if cid not in able]
    assert not never_warn, f"listed but never WARN or CRIT: {never_warn}"


def test_registry_lists_each_check_once_with_a_fixer():
    ids = [cid for cid, _ in FIXERS]
    assert len(ids) == len(set(ids))
    for cid, fixer in FIXERS:
        assert cid in BY_ID and callable(fixer)


@pytest.mark.parametrize("row", [r for r in SYSCTLS if any(x.set_to is not None for x in r.rules)])
def test_the_sysctl_fixer_writes_the_value_of_the_table(row):
    rule = next(r for r in row.rules if r.set_to is not None)
    assert rule.status in (Status.WARN, Status.CRIT)
    assert BY_CHECK[row.check_id] is sysctl_fixer.propose
    # the check's own result names the value, and the fixer reads exactly that back
    result = row.judge(next(v for v in range(-5, 10) if rule.when(v) and _first(row, v) is rule))
    assert sysctl_setting(result.fix) == (row.key, str(rule.set_to))


def _first(row, value):
    return next(r for r in row.rules if r.when(value))


def test_sysctl_setting_reads_only_sysctl_fixes():
    assert sysctl_setting(sysctl_fix("kernel.watchdog", 1)) == ("kernel.watchdog", "1")
    assert sysctl_setting("systemctl enable --now kdump") is None
    assert sysctl_setting(None) is None
