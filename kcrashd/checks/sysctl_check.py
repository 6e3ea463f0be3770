"""A readiness check declared as data: one sysctl, what is expected of it, and what each
value means. checklist/sysctls.py holds the table; this module holds the generic judge.

A row reads one integer sysctl and walks its rules in order: the first rule whose test
matches the value gives the status, the summary (`{value}` is replaced) and, for a value
that is not met, the value to set. A sysctl the kernel does not have is SKIP.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional, Tuple

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import sysctl_fix
from kcrashd.model import Result, Status

Test = Callable[[int], bool]


# The tests a rule can use; their names read as the condition in the table.
def anything(_: int) -> bool:
    return True


def nonzero(value: int) -> bool:
    return value != 0


def positive(value: int) -> bool:
    return value > 0


def negative(value: int) -> bool:
    return value < 0


def at_least(n: int) -> Test:
    return lambda value: value >= n


def equal_to(n: int) -> Test:
    return lambda value: value == n


def one_or_bits(mask: int) -> Test:
    """A SysRq-style switch: 1 enables everything, otherwise a bitmask."""
    return lambda value: value == 1 or bool(value & mask)


class Rule(NamedTuple):
    when: Test
    status: Status
    summary: str  # `{value}` is replaced by what was read
    set_to: Optional[object] = None  # the value the fix writes (required for WARN and CRIT)


class SysctlCheck(NamedTuple):
    """One row of the table; it has what the engine needs of a check (CHECK_ID, TITLE, AREA,
    EXPLAIN, run) like a module of checklist/ does."""

    check_id: str
    title: str
    area: str
    key: str  # kernel.panic_on_oops
    expected: Optional[str]  # shown in the facts; None: a policy choice, nothing expected
    rules: Tuple[Rule, ...]  # first match wins; the last one should match anything
    explain: str
    absent: str = ""  # the summary when the kernel has no such sysctl

    # The names the engine and the renderers read from every check.
    @property
    def CHECK_ID(self) -> str:
        return self.check_id

    @property
    def TITLE(self) -> str:
        return self.title

    @property
    def AREA(self) -> str:
        return self.area

    @property
    def EXPLAIN(self) -> str:
        return self.explain

    def run(self, host: HostView) -> Result:
        return self.judge(host.sysctl(self.key))

    def judge(self, value: Optional[int]) -> Result:
        facts = (sysctl_fact(self.key, value, self.expected),)
        if value is None:
            summary = self.absent or f"{self.key} not present"
            return Result(self.check_id, Status.SKIP, summary, facts=facts)
        rule = next(r for r in self.rules if r.when(value))
        fix = None if rule.set_to is None else sysctl_fix(self.key, rule.set_to)
        return Result(self.check_id, rule.status, rule.summary.format(value=value), fix, facts)
