"""The declarative sysctl checks: every rule of every row, at its threshold."""

from __future__ import annotations

import pytest

from kcrashd.checks.checklist.sysctls import BY_ID, SYSCTLS
from kcrashd.checks.context import HostView
from kcrashd.config import Config
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.model import Status

# (check id, value read, expected status, a phrase of the summary, value the fix sets).
# None as the value: the kernel has no such sysctl.
CASES = (
    ("panic_timeout", 10, "OK", "reboots 10s after a panic", None),
    ("panic_timeout", 1, "OK", "reboots 1s", None),
    ("panic_timeout", -1, "INFO", "immediately", None),
    ("panic_timeout", 0, "WARN", "hung forever", "kernel.panic = 10"),
    ("panic_timeout", None, "SKIP", "kernel.panic not present", None),
    ("panic_on_oops", 1, "OK", "triggers kdump", None),
    ("panic_on_oops", 0, "WARN", "only logged", "kernel.panic_on_oops = 1"),
    ("panic_on_oops", None, "SKIP", "not present", None),
    ("panic_on_warn", 0, "OK", "warnings are logged", None),
    ("panic_on_warn", 1, "INFO", "any kernel warning panics", None),
    ("panic_on_warn", None, "SKIP", "kernel.panic_on_warn not present", None),
    ("panic_on_rcu_stall", 1, "INFO", "panics and is dumped", None),
    ("panic_on_rcu_stall", 0, "INFO", "logged, not dumped", None),
    ("panic_on_rcu_stall", None, "SKIP", "not present", None),
    ("panic_on_oom", 0, "INFO", "OOM killer ends a process", None),
    ("panic_on_oom", 1, "INFO", "unless constrained", None),
    ("panic_on_oom", 2, "INFO", "always panics", None),
    ("panic_on_oom", 3, "INFO", "vm.panic_on_oom = 3", None),
    ("panic_on_oom", None, "SKIP", "vm.panic_on_oom not present", None),
    ("sysrq_dump", 1, "OK", "SysRq-c can force a dump", None),
    ("sysrq_dump", 8 | 16, "OK", "SysRq-c can force a dump", None),
    ("sysrq_dump", 176, "INFO", "SysRq-c is off", None),  # Debian's default mask
    ("sysrq_dump", 0, "INFO", "SysRq-c is off", None),
    ("sysrq_dump", None, "SKIP", "kernel without SysRq", None),
    ("kptr_restrict", 0, "OK", "kernel.kptr_restrict = 0", None),
    ("kptr_restrict", 1, "OK", "kernel.kptr_restrict = 1", None),
    ("kptr_restrict", 2, "WARN", "hidden even from root", "kernel.kptr_restrict = 1"),
    ("kptr_restrict", None, "SKIP", "not present", None),
)


@pytest.mark.parametrize("cid,value,status,phrase,fix", CASES)
def test_each_rule(cid, value, status, phrase, fix):
    check = BY_ID[cid]
    r = check.judge(value)
    assert (r.check_id, r.status.value) == (cid, status)
    assert phrase in r.summary
    if fix is None:
        assert r.fix is None
    else:
        assert f"printf '{fix}\\n' >> /etc/sysctl.d/90-kcrashd.conf" in r.fix
    fact = r.facts[0]
    assert fact.source == "/proc/sys/" + check.key.replace(".", "/")
    assert fact.seen == ("absent" if value is None else str(value))
    assert fact.expected == check.expected


def test_every_rule_of_every_row_is_reached_by_a_case():
    reached = {(cid, first_rule(BY_ID[cid], v)) for cid, v, *_ in CASES if v is not None}
    for check in SYSCTLS:
        for i in range(len(check.rules)):
            assert (check.check_id, i) in reached, f"{check.check_id}: rule {i} has no case"


def first_rule(check, value) -> int:
    return next(i for i, r in enumerate(check.rules) if r.when(value))


def test_rows_are_complete():
    for check in SYSCTLS:
        assert check.rules[-1].when(-(2**31)) and check.rules[-1].when(2**31), check.check_id
        for rule in check.rules:
            if rule.status in (Status.WARN, Status.CRIT):
                assert rule.set_to is not None, f"{check.check_id}: a WARN needs a fix"


def test_a_row_runs_against_a_root(roots):
    host = HostView(Root(str(roots / "rhel9-no-crashkernel")), CommandRunner(), Config())
    r = BY_ID["kptr_restrict"].run(host)
    assert r.status is Status.WARN and r.facts[0].seen == "2"
