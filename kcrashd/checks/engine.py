"""Runs the registered checks: policy (skip, severity overrides) and the error boundary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence

from kcrashd.checks.context import HostView
from kcrashd.checks.registry import BY_ID, CHECKS
from kcrashd.config.constants import SEVERITY_OVERRIDES
from kcrashd.host.root import Root
from kcrashd.model import Result, Status

if TYPE_CHECKING:
    from kcrashd.config.schema import Config

OVERRIDABLE = (Status.WARN, Status.CRIT)
# checks.skip and checks.severity are validated with the rest of the config (config.rules)
OVERRIDE_TO = SEVERITY_OVERRIDES
RUN_AS_ROOT = "run as root"


def _debug(message: str, *args, **kwargs) -> None:
    """Log at DEBUG (the only level a check run logs at: `kcrashd check` sets logging up
    for -v only); logging is imported here, on the failure paths that use it."""
    import logging

    logging.getLogger(__name__).debug(message, *args, **kwargs)


def needs_root(what: str) -> str:
    """The summary of a check that could not read what it needs without root."""
    return f"{what}: {RUN_AS_ROOT}"


def unreadable(results: Sequence[Result]) -> List[Result]:
    """The results of checks that could not read what they need (not run as root)."""
    return [r for r in results if r.status is Status.ERROR and r.summary.endswith(RUN_AS_ROOT)]


def unknown_ids(ids: Sequence[str]) -> List[str]:
    return [i for i in ids if i not in BY_ID]


def apply_override(result: Result, severity: Mapping[str, str]) -> Result:
    """checks.severity turns a WARN or CRIT into the status the site chose."""
    wanted = severity.get(result.check_id, "").upper()
    if result.status not in OVERRIDABLE or wanted not in OVERRIDE_TO:
        return result
    new = Status(wanted)
    if new is result.status:
        return result
    return Result(
        result.check_id,
        new,
        f"{result.summary} (policy: {result.status.value} reported as {new.value})",
        result.fix,
        result.facts,
    )


def run_one(module, host: HostView) -> Result:
    """One check inside the error boundary: a broken check is ERROR, never a traceback."""
    cid = module.CHECK_ID
    try:
        result = module.run(host)
    except PermissionError as exc:
        # Not knowing is UNKNOWN (Nagios), never a silent OK: ERROR, not SKIP.
        return Result(cid, Status.ERROR, needs_root(f"cannot read {exc.filename or 'a file'}"))
    except Exception as exc:  # the boundary: any failure of one check is its ERROR result
        _debug("check %s failed", cid, exc_info=True)
        return Result(cid, Status.ERROR, f"check failed: {type(exc).__name__}: {exc}")
    if result.check_id != cid:
        return Result(cid, Status.ERROR, f"check returned a result for {result.check_id}")
    return result


def run_checks_on(host: HostView, only: Optional[Sequence[str]] = None) -> List[Result]:
    selected = [BY_ID[i] for i in only] if only else list(CHECKS)
    results = []
    for module in selected:
        if module.CHECK_ID in host.skip and not only:
            results.append(Result(module.CHECK_ID, Status.SKIP, "skipped by policy (checks.skip)"))
            continue
        results.append(apply_override(run_one(module, host), host.severity))
    return results


def run_checks(
    root: Root, runner, config: Optional[Config], only: Optional[Sequence[str]] = None
) -> List[Result]:
    """Every registered check (or `only` those ids) against `root`, in registry order
    (`config` None: the built-in defaults, see HostView)."""
    return run_checks_on(HostView(root, runner, config), only)


def host_info(host: HostView) -> Dict[str, Optional[str]]:
    """What the report says about the host; a failure to read it is not fatal."""
    info: Dict[str, Optional[str]] = {}
    for key, getter in (
        ("host", lambda: host.hostname),
        ("distro_family", lambda: host.family),
        ("kernel", lambda: host.release),
    ):
        try:
            info[key] = getter()
        except Exception as exc:  # boundary: the header must never stop the report
            _debug("cannot read %s: %s", key, exc)
            info[key] = None
    return info
