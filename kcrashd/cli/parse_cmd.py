"""`kcrashd parse [--json] FILE... | -`: crash reports found in kernel logs.

Each input is streamed through the incremental assembler (kcrashd.host.inputs reads it in
bounded memory), so a file of any size is parsed in constant memory; only the lines that
can matter (Assembler.wants) are fed, each with its line number as its position.
Exit 0 when no crash was found, 1 when one was, 2 when an input could not be read.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Iterable, Iterator, List, Optional, TextIO, Tuple

from kcrashd.model import CrashReport, KernelRecord

SCHEMA = 1
IDLE_TIMEOUT = 10.0
MAX_TEXT_FRAMES = 24


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per input file")
    parser.add_argument("files", nargs="+", metavar="FILE", help="kernel log file, or - for stdin")
    parser.add_argument(
        "--idle-timeout",
        metavar="SECONDS",
        type=float,
        default=IDLE_TIMEOUT,
        help=f"give up on a FIFO or device silent this long (default: {IDLE_TIMEOUT:g})",
    )


def parse_stream(lines: Iterable[str]) -> List[CrashReport]:
    """The crash reports in a stream of lines, by first line (as parse_text gives them)."""
    return list(ordered_reports(lines))


def ordered_reports(lines: Iterable[str]) -> Iterator[CrashReport]:
    """The crash reports in a stream of lines, by first line, each as soon as no report
    that started before it is still open (reports of several CPUs complete out of order)."""
    from kcrashd.parse import Assembler

    asm = Assembler()
    held: List[CrashReport] = []
    try:
        for lineno, line in enumerate(lines, 1):
            if asm.wants(line):
                done = asm.feed(KernelRecord(line, position=str(lineno)))
                if done:
                    held.extend(_numbered(r) for r in done)
                    oldest_open = asm.pending_start_position
                    yield from _release(held, int(oldest_open) if oldest_open else None)
    except Exception:
        # the input broke off: what was read is still reported, then the error
        held.extend(_numbered(r) for r in asm.flush())
        yield from _release(held, None)
        raise
    held.extend(_numbered(r) for r in asm.flush())
    yield from _release(held, None)


def _release(held: List[CrashReport], before: Optional[int]) -> List[CrashReport]:
    """Take from `held` (sorted here) the reports that start before line `before` (all
    when None)."""
    held.sort(key=lambda r: r.first_line or 0)
    n = len(held) if before is None else sum(1 for r in held if (r.first_line or 0) < before)
    out = held[:n]
    del held[:n]
    return out


def _numbered(report: CrashReport) -> CrashReport:
    """Line numbers of the input (the assembler counts the lines fed), no positions."""
    first = int(report.start_position) if report.start_position else report.first_line
    last = int(report.end_position) if report.end_position else report.last_line
    return dataclasses.replace(
        report, first_line=first, last_line=last, start_position=None, end_position=None
    )


def _fmt_frame(f) -> str:
    where = f.function or (f"{f.address:#x}" if f.address is not None else "?")
    if f.offset is not None and f.size is not None:
        where += f"+{f.offset:#x}/{f.size:#x}"
    if f.module:
        where += f" [{f.module}]"
    return where if f.reliable else "? " + where


def render_text(source: str, reports: List[CrashReport], out: TextIO) -> None:
    if not reports:
        print(f"{source}: no crash report found", file=out)
        return
    for i, r in enumerate(reports, 1):
        flags = [flag for flag, on in (("corrupted", r.corrupted), ("panicked", r.panicked)) if on]
        print(f"{source}: report {i}/{len(reports)}: {r.title}", file=out)
        print(f"  kind:      {r.kind}" + (f" ({', '.join(flags)})" if flags else ""), file=out)
        where = r.function or "unknown"
        if r.module:
            where += f" [{r.module}]"
        print(f"  where:     {where}", file=out)
        if r.rip is not None:
            print(f"  rip:       {_fmt_frame(r.rip)}", file=out)
        who = [
            f"{k} {v}"
            for k, v in (("CPU", r.cpu), ("PID", r.pid), ("Comm", r.comm))
            if v is not None
        ]
        if who:
            print(f"  who:       {', '.join(who)}", file=out)
        if r.kernel:
            print(f"  kernel:    {r.kernel}", file=out)
        if r.hardware:
            print(f"  hardware:  {r.hardware}", file=out)
        if r.taint:
            print("  taint:     " + "; ".join(f"{k}: {m}" for k, m in r.taint), file=out)
        for key, value in r.details.items():
            print(f"  {key + ':':<10} {value}", file=out)
        print(f"  lines:     {r.first_line}-{r.last_line}", file=out)
        print(f"  signature: {r.signature}", file=out)
        if r.frames:
            print("  trace:", file=out)
            for f in r.frames[:MAX_TEXT_FRAMES]:
                print(f"    {_fmt_frame(f)}", file=out)
            if len(r.frames) > MAX_TEXT_FRAMES:
                print(f"    ... {len(r.frames) - MAX_TEXT_FRAMES} more", file=out)
        print(file=out)


def run(args: argparse.Namespace) -> int:
    from kcrashd.host.inputs import read_lines

    if not 0 < args.idle_timeout <= 86400:
        print("kcrashd parse: --idle-timeout must be from 0 to 86400 seconds", file=sys.stderr)
        return 2
    found = False
    failed = False
    for path in args.files:
        write = _write_json if args.json else _write_text
        count, error = write(path, ordered_reports(read_lines(path, args.idle_timeout)))
        found = found or count > 0
        if error:
            failed = True
            print(f"kcrashd parse: {error}", file=sys.stderr)
    if failed:
        return 2
    return 1 if found else 0


def _write_json(path: str, reports: Iterator[CrashReport]) -> Tuple[int, Optional[str]]:
    """One JSON line, written as the reports come (memory stays flat on any input); an input
    that breaks off ends the line with its error. (reports found, error)."""
    from kcrashd.host.inputs import InputError

    out = sys.stdout
    head = json.dumps({"schema": SCHEMA, "source": path, "reports": []})
    out.write(head[:-2])  # up to and with the opening [ of "reports"
    count, error = 0, None
    try:
        for r in reports:
            out.write((", " if count else "") + json.dumps(r.to_dict()))
            count += 1
    except (InputError, OSError) as exc:
        error = _input_error(path, exc)
    out.write("]" + (f", {json.dumps('error')}: {json.dumps(error)}" if error else "") + "}\n")
    return count, error


def _write_text(path: str, reports: Iterator[CrashReport]) -> Tuple[int, Optional[str]]:
    from kcrashd.host.inputs import InputError

    try:
        found = list(reports)  # the text names "report i/N": all of them first
    except (InputError, OSError) as exc:
        return 0, _input_error(path, exc)
    render_text(path, found, sys.stdout)
    return len(found), None


def _input_error(path: str, exc: Exception) -> str:
    return str(exc) if not isinstance(exc, OSError) else f"cannot read {path}: {exc.strerror}"
