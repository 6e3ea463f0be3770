"""`kcrashd fleet` text: the --json document (kcrashd.fleet.view) as the on-call reads it.

Crashes first, the one on most hosts at the top, each with its guilty function, kernels,
"new in <kernel>" when it came with a kernel change, and a few hosts then a count; then
readiness: per check, how many hosts are CRIT and WARN on it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from kcrashd.cli.timefmt import when


def _plural(n: int, word: str, words: str = "") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


def few(names: Sequence[str], shown: int) -> str:
    """`a, b, c and 9 more`."""
    if len(names) <= shown:
        return ", ".join(names) or "-"
    return ", ".join(names[:shown]) + f" and {len(names) - shown} more"


def headline(doc: Dict[str, Any]) -> List[str]:
    crashes, ready = doc["crashes"], doc["readiness"]
    line = f"kcrashd fleet: {_plural(doc['hosts'], 'host')}; "
    if crashes:
        line += (
            f"{_plural(len(crashes), 'crash signature')} on "
            f"{_plural(doc['hosts_with_crashes'], 'host')}; "
        )
    else:
        line += "no crashes; "
    line += f"{_plural(ready['not_ready'], 'host')} not ready to capture a crash"
    lines = [line]
    src = doc.get("source") or {}
    where = src.get("journal_dir") or "the system journal"
    if doc["first_alert"] is not None:
        lines.append(
            f"alerts from {when(doc['first_alert'])} to {when(doc['last_alert'])} in {where}"
        )
    else:
        since = f" since {when(src['since'])}" if src.get("since") else ""
        lines.append(f"no kcrashd alerts{since} in {where}")
    for problem in doc.get("entries", {}).get("unreadable_files") or []:
        lines.append(f"not read: {problem}")
    ignored = doc.get("entries", {}).get("ignored", 0)
    if ignored:
        examples = "; ".join(doc["entries"].get("ignored_examples") or [])
        lines.append(
            f"ignored {_plural(ignored, 'entry', 'entries')} that kcrashd did not write "
            f"(not root, not the kcrashd program or not the native protocol): {examples}"
        )
    return lines


def render_crashes(crashes: List[Dict[str, Any]], shown: int) -> List[str]:
    if not crashes:
        return []
    lines = ["", "CRASHES", f"{'HOSTS':>5}  {'BOOTS':>5}  {'LAST SEEN':19}  {'KIND':12}  TITLE"]
    pad = " " * 14
    for c in crashes:
        lines.append(
            f"{c['hosts']:>5}  {c['boots']:>5}  {when(c['last_seen']):19}  "
            f"{(c['kind'] or '?'):12}  {c['title'] or c['signature']}"
        )
        if c["function"] or c["module"]:
            guilty = c["function"] or "?"
            guilty += f" in module {c['module']}" if c["module"] else " (kernel)"
            lines.append(f"{pad}guilty:     {guilty}")
        if c["kernels"]:
            kernels = ", ".join(
                f"{k['kernel']} ({_plural(k['hosts'], 'host')})" for k in c["kernels"]
            )
            lines.append(f"{pad}kernels:    {kernels}")
        if c["new_in"]:
            n = c["new_in"]
            lines.append(f"{pad}new in {n['kernel']}: {_plural(n['hosts'], 'host')}")
        lines.append(f"{pad}first seen: {when(c['first_seen'])}, {_plural(c['alerts'], 'alert')}")
        lines.append(f"{pad}hosts:      {few(c['host_names'], shown)}")
        lines.append(f"{pad}signature:  {c['signature']}")
    return lines


def render_readiness(ready: Dict[str, Any], shown: int) -> List[str]:
    n = ready["hosts_reporting"]
    if not n:
        return ["", "READINESS: no host reported it (no readiness alerts read)"]
    lines = [
        "",
        f"READINESS: {_plural(n, 'host')} reported it; "
        f"{_plural(ready['not_ready'], 'host')} not ready (a check CRIT)",
    ]
    if not ready["checks"]:
        lines.append("  every host ready: no check CRIT or WARN")
        return lines
    lines.append(f"{'CRIT':>5}  {'WARN':>5}  {'CHECK':28}  HOSTS")
    for c in ready["checks"]:
        check = c["check"] if c["check"] != "?" else "? (not named by that kcrashd)"
        hosts = few(c["crit_hosts"], shown) if c["crit_hosts"] else few(c["warn_hosts"], shown)
        which = "CRIT on " if c["crit_hosts"] else "WARN on "
        lines.append(f"{c['crit']:>5}  {c['warn']:>5}  {check:28}  {which}{hosts}")
    return lines


def render(doc: Dict[str, Any], shown: int = 5) -> List[str]:
    return (
        headline(doc)
        + render_crashes(doc["crashes"], shown)
        + render_readiness(doc["readiness"], shown)
    )
