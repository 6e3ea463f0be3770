"""Readiness checks: is this host ready to capture a kernel crash?

`run_checks(root, runner, config, only=None) -> List[Result]`; one module per check in
`checklist/`, except the checks that judge one sysctl, which are rows of the declarative
table `checklist/sysctls.py` (judged by `sysctl_check.py`); all are listed in
`registry.CHECKS`; job.py is the daemon job that runs them.

May import model, config and host (readers return values, checks judge them); never
sources, alerts, daemon or cli.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Sequence

if TYPE_CHECKING:
    from kcrashd.config import Config
    from kcrashd.host.root import Root
    from kcrashd.model import Result


def run_checks(
    root: Root, runner, config: Config, only: Optional[Sequence[str]] = None
) -> List[Result]:
    from kcrashd.checks.engine import run_checks as _run

    return _run(root, runner, config, only)


__all__ = ["run_checks"]
