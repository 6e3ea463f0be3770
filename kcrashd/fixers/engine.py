"""`kcrashd fix`: plan the fixes for the findings, then dry-run, apply or undo them.

plan() runs the checks (with the site's policy), asks each finding's fixer for a proposal
and collects every file change, directory and command. apply() writes through
kcrashd.host.writer, runs the commands on the live root only, records everything for undo
and runs each fixed check again. undo() restores what the record says was written.
"""

from __future__ import annotations

import difflib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from kcrashd.checks.context import HostView
from kcrashd.checks.engine import run_checks_on
from kcrashd.fixers.plan import LIVE, NOW, REBOOT, Command, Draft, FixContext, Proposal, encode
from kcrashd.fixers.record import Record, before_state, digest, file_entry
from kcrashd.fixers.registry import BY_CHECK, MANUAL_ONLY
from kcrashd.host import sysfs, writer
from kcrashd.model import Result, Status

log = logging.getLogger(__name__)

FIXABLE = (Status.WARN, Status.CRIT)
FINE = (Status.OK, Status.INFO, Status.SKIP)


@dataclass
class Item:
    """One finding and what kcrashd fix does about it."""

    result: Result
    action: str  # "fix", "manual", "ok" (nothing to fix), "error" (the fixer broke)
    proposal: Optional[Proposal] = None
    reason: Optional[str] = None  # why manual (MANUAL_ONLY) or what broke
    after: Optional[Result] = None  # the check run again after --apply / --undo
    verdict: Optional[str] = None
    failures: List[str] = field(default_factory=list)  # commands that failed for it

    @property
    def check_id(self) -> str:
        return self.result.check_id


@dataclass
class CommandRun:
    command: Command
    returncode: Optional[int] = None
    error: Optional[str] = None
    ran: bool = False
    checks: List[str] = field(default_factory=list)


@dataclass
class FixPlan:
    items: List[Item]
    draft: Draft
    files: List[str]  # paths whose text changes, in the order first edited
    dirs: List[str]  # directories to create
    commands: List[CommandRun]
    previews: List[Tuple[str, str]]  # (path, text) a command will leave

    def diff(self, path: str) -> str:
        before = self.draft.before[path].data
        after = encode(self.draft.after[path])
        return unified(path, before, after)

    def preview_diff(self, path: str, text: str) -> str:
        state = self.draft.before.get(path) or writer.file_state(self.draft.root, path)
        return unified(path, state.data, encode(text))


def unified(path: str, before: Optional[bytes], after: Optional[bytes]) -> str:
    def lines(data: Optional[bytes]) -> List[str]:
        return [] if data is None else data.decode("utf-8", "replace").splitlines(keepends=True)

    out = difflib.unified_diff(
        lines(before),
        lines(after),
        "/dev/null" if before is None else path,
        "/dev/null" if after is None else path,
    )
    text = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out
    )
    return text


# --- plan ----------------------------------------------------------------------------------


def plan(host: HostView, ids: Sequence[str] = (), bootloader: bool = False) -> FixPlan:
    draft = Draft(host.root)
    ctx = FixContext(host, draft, bootloader)
    items: List[Item] = []
    for result in run_checks_on(host, list(ids) or None):
        if result.status not in FIXABLE:
            if ids:
                items.append(Item(result, "ok"))
            continue
        fixer = BY_CHECK.get(result.check_id)
        if fixer is None:
            reason = MANUAL_ONLY.get(result.check_id, "no fixer")
            items.append(
                Item(result, "manual", Proposal(result.check_id, manual=[result.fix or ""]), reason)
            )
            continue
        saved = dict(draft.after)
        try:
            proposal = fixer(ctx, result)
        except Exception as exc:  # boundary: one broken fixer must not stop the others
            draft.after = saved
            log.debug("fixer for %s failed", result.check_id, exc_info=True)
            items.append(
                Item(
                    result,
                    "error",
                    Proposal(result.check_id, manual=[result.fix or ""]),
                    f"{type(exc).__name__}: {exc}",
                )
            )
            continue
        if not proposal.does_something and not proposal.manual and not proposal.note:
            proposal.manual.append(result.fix or "")
        action = "fix" if proposal.does_something else "manual"
        items.append(Item(result, action, proposal))
    changed = draft.changed()
    for item in items:
        if item.proposal is not None:
            item.proposal.files = [f for f in item.proposal.files if f in changed]
    dirs: List[str] = []
    for item in items:
        for d in item.proposal.dirs if item.proposal else ():
            if d not in dirs and not host.root.is_dir(d):
                dirs.append(d)
    return FixPlan(items, draft, changed, dirs, _commands(items), _previews(items))


def _commands(items: List[Item]) -> List[CommandRun]:
    """The commands in order, each once: the same argv from several fixes is run once with
    all their undo steps (one `sysctl --system` for three sysctls)."""
    runs: Dict[Tuple[str, ...], CommandRun] = {}
    for item in items:
        for c in item.proposal.commands if item.proposal else ():
            run = runs.get(c.argv)
            if run is None:
                runs[c.argv] = CommandRun(c, checks=[item.check_id])
                continue
            merged = Command(
                c.argv,
                run.command.why,
                max(c.timeout, run.command.timeout),
                run.command.undo + tuple(u for u in c.undo if u not in run.command.undo),
                run.command.touches + tuple(t for t in c.touches if t not in run.command.touches),
            )
            run.command = merged
            run.checks.append(item.check_id)
    return list(runs.values())


def _previews(items: List[Item]) -> List[Tuple[str, str]]:
    return [pv for item in items if item.proposal for pv in item.proposal.preview]


# --- apply ---------------------------------------------------------------------------------


def apply(fp: FixPlan, host: HostView, record: Record, new_host) -> None:
    """Write, run, record, then run every fixed check again (`new_host()` gives a fresh
    HostView: the old one cached what it read). Raises OSError when a write fails; what was
    done before is in the record."""
    root = host.root
    if not (fp.files or fp.dirs or fp.commands):
        _verify(fp, new_host)
        return
    record.ensure_dir()
    app: Dict[str, Any] = {
        "time": time.time(),
        "root": root.base,
        "checks": [i.check_id for i in fp.items if i.action == "fix"],
        "files": [file_entry(fp.draft.before[p]) for p in fp.files],
        "dirs": [],
        "touched": [],
        "commands": [],
    }
    record.applications.append(app)
    record.save()
    try:
        for path, entry in zip(fp.files, app["files"]):
            data = encode(fp.draft.after[path])
            app["dirs"] += writer.write_file(root, path, data, like=fp.draft.before[path])
            entry["after_sha256"] = digest(data)
        for d in fp.dirs:
            app["dirs"] += writer.make_dirs(root, d)
    finally:
        record.save()
    if root.is_live:
        for run in fp.commands:
            _run(run, host, app, record)
    _verify(fp, new_host)


def _run(run: CommandRun, host: HostView, app: Dict[str, Any], record: Record) -> None:
    root = host.root
    touched = []
    for pattern in run.command.touches:
        for path in root.glob(pattern) if "*" in pattern else [pattern]:
            if any(t["path"] == path for t in app["touched"]):
                continue
            touched.append(file_entry(writer.file_state(root, path)))
    app["touched"] += touched
    entry = {"argv": list(run.command.argv), "undo": [list(u) for u in run.command.undo]}
    app["commands"].append(entry)
    record.save()
    _run_plain(run, host)
    entry["returncode"] = run.returncode
    for t in touched:
        t["after_sha256"] = digest(writer.file_state(root, t["path"]).data)
    record.save()


def _verify(fp: FixPlan, new_host) -> None:
    fixed = [i for i in fp.items if i.action == "fix"]
    if not fixed:
        return
    after = {r.check_id: r for r in run_checks_on(new_host(), [i.check_id for i in fixed])}
    failed = {c: r for r in fp.commands if r.error for c in r.checks}
    live = fp.draft.root.is_live
    for item in fixed:
        item.after = after.get(item.check_id)
        run = failed.get(item.check_id)
        if run is not None:
            item.failures.append(f"{run.command.line}: {run.error}")
        item.verdict = verdict(item, live)


def verdict(item: Item, live: bool) -> str:
    """What the fix achieved, as the check sees it now."""
    after, proposal = item.after, item.proposal
    if after is None or proposal is None:
        return "not checked"
    if after.status in FINE:
        return f"fixed: {after.status.value}"
    pending = proposal.effect == REBOOT or (proposal.effect == LIVE and not live)
    if item.failures:
        return f"not fixed: {after.status.value} ({'; '.join(item.failures)})"
    if pending:
        return "takes effect after reboot"
    return f"still {after.status.value}: {after.summary}"


def expected(item: Item, live: bool) -> str:
    """What the dry run expects."""
    p = item.proposal
    if p is None:
        return ""
    if p.effect == NOW or (p.effect == LIVE and live):
        return "fixed once applied"
    return "takes effect after reboot"


# --- undo ----------------------------------------------------------------------------------


@dataclass
class UndoOutcome:
    restored: List[str] = field(default_factory=list)
    removed: List[str] = field(default_factory=list)  # files that did not exist before
    kept: List[str] = field(default_factory=list)  # changed since: left alone
    dirs: List[str] = field(default_factory=list)
    commands: List[CommandRun] = field(default_factory=list)
    checks: List[Result] = field(default_factory=list)


def undo(host: HostView, record: Record, new_host) -> UndoOutcome:
    """Restore every file the record names, newest application first; a file changed since
    kcrashd wrote it is left alone (and stays in the record)."""
    root = host.root
    out = UndoOutcome()
    checks: List[str] = []
    for app in reversed(list(record.applications)):
        left = []
        for entry in reversed(app.get("touched", []) + app.get("files", [])):
            if not _restore(root, entry, out):
                left.append(entry)
        out.dirs += writer.remove_empty_dirs(root, app.get("dirs", []))
        if root.is_live and app.get("root") == root.base:
            for cmd in app.get("commands", []):
                for argv in cmd.get("undo", []):
                    if not _undo_needed(tuple(argv), root):
                        continue
                    run = CommandRun(Command(tuple(argv), "undo"))
                    _run_plain(run, host)
                    out.commands.append(run)
        checks += [c for c in app.get("checks", []) if c not in checks]
        if left:
            app["files"] = [e for e in app.get("files", []) if e in left]
            app["touched"] = [e for e in app.get("touched", []) if e in left]
            app["commands"] = []
        else:
            record.applications.remove(app)
        record.save()
    if not record.applications:
        record.remove()
    if checks:
        out.checks = run_checks_on(new_host(), checks)
    return out


def _undo_needed(argv: Tuple[str, ...], root) -> bool:
    """`sysctl -w key=value` puts a value back only when the kernel does not have it already
    (a `sysctl --system` that failed, for that key or in a container, changed nothing)."""
    if argv[:2] == ("sysctl", "-w") and len(argv) == 3:
        key, _, value = argv[2].partition("=")
        return sysfs.read_sysctl(root, key) != value
    return True


def _restore(root, entry: Dict[str, Any], out: UndoOutcome) -> bool:
    """Put one file back; False when it changed since kcrashd wrote it."""
    path = entry["path"]
    before = before_state(entry)
    now = writer.file_state(root, path)
    if now.data == before.data:
        return True  # already as it was (undone before, or the write never happened)
    if digest(now.data) != entry.get("after_sha256"):
        out.kept.append(path)  # not what kcrashd wrote: someone changed it since
        return False
    writer.restore_file(root, before)
    (out.restored if before.data is not None else out.removed).append(path)
    return True


def _run_plain(run: CommandRun, host: HostView) -> None:
    res = host.runner.run(list(run.command.argv), timeout=run.command.timeout)
    run.ran = True
    run.returncode = res.returncode
    run.error = res.error
    if run.error is None and not res.ok:
        tail = (res.stderr or res.stdout).strip().splitlines()[-1:] or [""]
        run.error = f"exit status {res.returncode}: {tail[0]}".rstrip(": ")
