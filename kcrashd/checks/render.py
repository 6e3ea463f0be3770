"""Text table and JSON document of check results."""

from __future__ import annotations

import os
import textwrap
from typing import Dict, List, Optional, Sequence, TextIO

from kcrashd.checks.registry import AREAS, BY_ID
from kcrashd.checks.verdict import exit_code, verdict_line
from kcrashd.model import Result, Status

JSON_SCHEMA = 1
_COLOURS = {
    Status.OK: "32",
    Status.INFO: "36",
    Status.SKIP: "2",
    Status.WARN: "33",
    Status.ERROR: "35",
    Status.CRIT: "1;31",
}
_WIDTH = 100


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _paint(text: str, status: Status, colour: bool) -> str:
    return f"\033[{_COLOURS[status]}m{text}\033[0m" if colour else text


def render_text(results: Sequence[Result], header: Dict[str, Optional[str]], colour: bool) -> str:
    lines: List[str] = []
    title = " ".join(f"{k}={v}" for k, v in header.items() if v)
    lines.append(f"kcrashd check  {title}")
    by_area: Dict[str, List[Result]] = {}
    for r in results:
        module = BY_ID.get(r.check_id)
        by_area.setdefault(module.AREA if module else "unknown", []).append(r)
    width = max((len(r.check_id) for r in results), default=10)
    for area, heading in AREAS:
        if area not in by_area:
            continue
        lines.append("")
        lines.append(heading)
        for r in by_area[area]:
            tag = _paint(f"{r.status.value:<5}", r.status, colour)
            lines.append(f"  {tag} {r.check_id:<{width}}  {r.summary}")
            if r.fix and r.status in (Status.WARN, Status.CRIT):
                indent = " " * (width + 10)
                lines += textwrap.wrap(
                    f"fix: {r.fix}",
                    _WIDTH,
                    initial_indent=indent,
                    subsequent_indent=indent + "     ",
                    break_on_hyphens=False,
                    break_long_words=False,
                )
    lines.append("")
    code = exit_code(results)
    worst = {0: Status.OK, 1: Status.WARN, 2: Status.CRIT, 3: Status.ERROR}[code]
    lines.append(_paint(verdict_line(results), worst, colour))
    return "\n".join(lines) + "\n"


def result_dict(r: Result) -> dict:
    d = r.to_dict()
    module = BY_ID.get(r.check_id)
    d["area"] = module.AREA if module else None
    d["title"] = module.TITLE if module else None
    return d


def render_json(results: Sequence[Result], header: Dict[str, Optional[str]]) -> str:
    import json  # --json only

    code = exit_code(results)
    doc = {
        "schema": JSON_SCHEMA,
        "host": header.get("host"),
        "distro_family": header.get("distro_family"),
        "kernel": header.get("kernel"),
        "verdict": verdict_line(results),
        "exit_code": code,
        "results": [result_dict(r) for r in results],
    }
    return json.dumps(doc, indent=2) + "\n"


def render_explain(check_id: str) -> str:
    m = BY_ID[check_id]
    area = dict(AREAS).get(m.AREA, m.AREA)
    body = textwrap.fill(m.EXPLAIN, _WIDTH)
    return f"{m.CHECK_ID}: {m.TITLE}\narea: {area}\n\n{body}\n"
