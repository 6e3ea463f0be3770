"""What `kcrashd fix` prints: per finding what is done and what it gave, the unified diff
of every file, the commands; or one JSON document (--json)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from kcrashd.fixers.engine import FixPlan, Item, UndoOutcome, expected
from kcrashd.fixers.registry import MANUAL_ONLY

SCHEMA = 1


def _what(item: Item) -> List[str]:
    p = item.proposal
    out = []
    if p is None:
        return out
    if p.files:
        out.append("writes " + ", ".join(p.files))
    if p.dirs:
        out.append("creates " + ", ".join(p.dirs))
    if p.commands:
        out.append("runs " + "; ".join(c.line for c in p.commands))
    return out


def render_plan_text(fp: FixPlan, mode: str, root: str, family: str, record: Optional[str]) -> str:
    live = root == "/"
    head = {
        "dry-run": "dry run; nothing is changed (--apply to apply)",
        "apply": "applied",
    }[mode]
    lines = [f"kcrashd fix on {root} ({family} family): {head}", ""]
    if not fp.items:
        lines.append("nothing to fix: no check is WARN or CRIT")
    for item in fp.items:
        r = item.result
        lines.append(f"{r.check_id}  {r.status.value}  {r.summary}")
        if item.action == "ok":
            lines.append("    nothing to fix")
            continue
        for what in _what(item):
            lines.append(f"    {what}")
        p = item.proposal
        for step in p.manual if p else ():
            lines.append(f"    by hand: {step}")
        if item.action == "manual" and item.check_id in MANUAL_ONLY:
            lines.append(f"    (kcrashd fix leaves it: {MANUAL_ONLY[item.check_id]})")
        if item.action == "error":
            lines.append(f"    (the fixer failed: {item.reason})")
        if p is not None and p.note:
            lines.append(f"    note: {p.note}")
        if item.action == "fix":
            if mode == "dry-run":
                lines.append(f"    expected: {expected(item, live)}")
            elif item.verdict:
                lines.append(f"    result: {item.verdict}")
    if fp.files or fp.previews:
        lines += ["", "Files:"]
        for path in fp.files:
            lines.append(fp.diff(path).rstrip("\n"))
        for path, text in fp.previews:
            lines.append(f"# as the command will write {path} (shown, not written by kcrashd):")
            lines.append(fp.preview_diff(path, text).rstrip("\n"))
    if fp.dirs:
        lines += ["", "Directories:"] + [f"  mkdir {d}" for d in fp.dirs]
    if fp.commands:
        lines += ["", "Commands:"]
        for run in fp.commands:
            state = ""
            if run.ran:
                state = "  -> ok" if run.error is None else f"  -> FAILED: {run.error}"
            lines.append(f"  {run.command.line}   ({', '.join(run.checks)}){state}")
    elif not live and any(i.action == "fix" for i in fp.items):
        lines += ["", "Commands: none (another root: nothing is run there; it applies at boot)"]
    if record and mode == "apply" and (fp.files or fp.dirs or fp.commands):
        lines += ["", f"Recorded in {record}: kcrashd fix --undo puts it all back."]
    return "\n".join(lines) + "\n"


def _item_doc(item: Item, live: bool, mode: str) -> Dict[str, Any]:
    p = item.proposal
    doc: Dict[str, Any] = {
        "id": item.check_id,
        "status": item.result.status.value,
        "summary": item.result.summary,
        "action": item.action,
        "files": list(p.files) if p else [],
        "dirs": list(p.dirs) if p else [],
        "commands": [list(c.argv) for c in p.commands] if p else [],
        "manual": [m for m in p.manual if m] if p else [],
        "manual_reason": MANUAL_ONLY.get(item.check_id) if item.action == "manual" else None,
        "error": item.reason if item.action == "error" else None,
        "effect": p.effect if p and item.action == "fix" else None,
        "note": p.note if p else None,
    }
    if mode == "dry-run" and item.action == "fix":
        doc["expected"] = expected(item, live)
    if item.after is not None:
        doc["after"] = {"status": item.after.status.value, "summary": item.after.summary}
        doc["result"] = item.verdict
    return doc


def render_plan_json(fp: FixPlan, mode: str, root: str, family: str, record: Optional[str]) -> str:
    live = root == "/"
    doc = {
        "schema": SCHEMA,
        "mode": mode,
        "root": root,
        "family": family,
        "items": [_item_doc(i, live, mode) for i in fp.items],
        "files": [{"path": p, "diff": fp.diff(p)} for p in fp.files],
        "previews": [{"path": p, "diff": fp.preview_diff(p, t)} for p, t in fp.previews],
        "dirs": list(fp.dirs),
        "commands": [
            {
                "argv": list(r.command.argv),
                "checks": r.checks,
                "ran": r.ran,
                "returncode": r.returncode,
                "error": r.error,
            }
            for r in fp.commands
        ],
        "record": record if mode == "apply" else None,
    }
    return json.dumps(doc, indent=2) + "\n"


def render_undo_text(out: UndoOutcome, root: str, nothing: bool) -> str:
    if nothing:
        return f"kcrashd fix --undo on {root}: nothing to undo (no record of a kcrashd fix)\n"
    lines = [f"kcrashd fix --undo on {root}:"]
    lines += [f"  restored {p}" for p in out.restored]
    lines += [f"  removed {p}" for p in out.removed]
    lines += [f"  removed directory {d}" for d in out.dirs]
    lines += [
        f"  KEPT {p}: changed since kcrashd fix wrote it (still in the record)" for p in out.kept
    ]
    for run in out.commands:
        state = "ok" if run.error is None else f"FAILED: {run.error}"
        lines.append(f"  ran {run.command.line}: {state}")
    if out.checks:
        lines.append("Checks now:")
        lines += [f"  {r.check_id}  {r.status.value}  {r.summary}" for r in out.checks]
    return "\n".join(lines) + "\n"


def render_undo_json(out: UndoOutcome, root: str, nothing: bool) -> str:
    doc = {
        "schema": SCHEMA,
        "mode": "undo",
        "root": root,
        "nothing_to_undo": nothing,
        "restored": out.restored,
        "removed": out.removed,
        "removed_dirs": out.dirs,
        "kept": out.kept,
        "commands": [
            {"argv": list(r.command.argv), "returncode": r.returncode, "error": r.error}
            for r in out.commands
        ],
        "checks": [
            {"id": r.check_id, "status": r.status.value, "summary": r.summary} for r in out.checks
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
