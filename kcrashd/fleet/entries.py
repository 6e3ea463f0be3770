"""kcrashd's alert entries, read back from a journal one at a time.

Only entries kcrashd wrote count. SYSLOG_IDENTIFIER and the KCRASHD_* fields are plain
fields anyone can send (`logger -t kcrashd`, `systemd-cat`, journal.send() as any user), so
the fields journald adds itself decide: `_UID=0`, `_TRANSPORT=journal` (kcrashd uses the
native protocol) and the program: `_COMM=kcrashd` (the installed script), or a Python
interpreter (`_EXE`) whose `_CMDLINE` runs kcrashd (`python3 -m kcrashd`). An entry
without those fields (journald could not read the sender's /proc entry) is not trusted
either. systemd-journal-remote keeps these fields as the uploading host's journald wrote
them, so the check holds for a remote journal as far as its uploaders are trusted.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from kcrashd.alerts.types import BY_NAME
from kcrashd.sinks.journald import IDENTIFIER, field_name
from kcrashd.sources.journal import open_journal

CRASH_TYPES = ("crash_report", "crash_repeated", "previous_boot_crashed")
READINESS_TYPES = ("readiness_summary", "readiness_degraded", "readiness_improved")

# The alert fields the fleet view uses, per alert type (names as the pipeline gives them).
_CRASH_FIELDS = ("signature", "title", "kind", "function", "module", "kernel", "boot_id")
WANTED: Dict[str, Tuple[str, ...]] = {
    "crash_report": _CRASH_FIELDS,
    "crash_repeated": _CRASH_FIELDS,
    "previous_boot_crashed": _CRASH_FIELDS + ("incident",),
    "readiness_summary": ("crit_checks", "warn_checks", "kernel", "critical"),
    # `changes` (kcrashd's own format: checks.job.parse_changes); `check` and `status`
    # from kcrashd versions that sent one alert per changed check
    "readiness_degraded": ("changes", "check", "status"),
    "readiness_improved": ("changes", "check", "status"),
}
_JOURNAL_NAMES = {key: field_name(key) for keys in WANTED.values() for key in keys}


@dataclass(frozen=True)
class AlertEntry:
    """One kcrashd alert as the fleet view needs it."""

    type: str
    realtime: float  # when the entry was written (Unix seconds)
    machine: str  # _MACHINE_ID of the host that wrote it
    hostname: Optional[str]  # _HOSTNAME
    boot: Optional[str]  # _BOOT_ID of the boot that wrote it
    fields: Dict[str, str]  # the WANTED fields the entry has, by alert field name


@dataclass
class ReadStats:
    """What a read saw: alert entries used, look-alikes kcrashd did not write, files."""

    used: int = 0
    ignored: int = 0
    ignored_examples: List[str] = field(default_factory=list)
    files: int = 0  # journal files read (with a directory)
    unreadable: List[str] = field(default_factory=list)  # "path: error"


def written_by_kcrashd(
    uid: Optional[str],
    transport: Optional[str],
    comm: Optional[str],
    exe: Optional[str],
    cmdline: Optional[str],
) -> bool:
    """Whether journald's own fields show the entry came from kcrashd running as root."""
    if uid != "0" or transport != "journal":
        return False
    if comm == IDENTIFIER:
        return True
    if not exe or not os.path.basename(exe).startswith("python") or not cmdline:
        return False
    return _runs_kcrashd(cmdline.split())


def _runs_kcrashd(argv: Sequence[str]) -> bool:
    """argv of a Python interpreter: `python3 [opts] -m kcrashd ...` or `python3 [opts]
    /usr/bin/kcrashd ...` (journald joins argv with spaces)."""
    args = list(argv[1:])
    while args:
        arg = args.pop(0)
        if arg == "-m":
            return bool(args) and args[0] == IDENTIFIER
        if arg.startswith("-m"):
            return arg[2:] == IDENTIFIER
        if arg in ("-X", "-W"):  # options that take a value
            args = args[1:]
            continue
        if arg.startswith("-"):
            continue
        return os.path.basename(arg) == IDENTIFIER
    return False


def _text(raw: Dict[str, Any], name: str) -> Optional[str]:
    """A field of a raw entry (Reader._get_all()) as text; None when it is missing or
    repeated (the reader gives a list then: no single value to trust)."""
    value = raw.get(name)
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else None


def journal_files(directory: str) -> List[str]:
    """The journal files in `directory` and its subdirectories one level down (where
    journald keeps a machine's files), as sd_journal_open_directory() finds them."""
    found = []
    for base, dirs, names in os.walk(directory):
        found += [os.path.join(base, n) for n in names if n.endswith(_SUFFIXES)]
        if base != directory:
            dirs[:] = []
    return sorted(found)


_SUFFIXES = (".journal", ".journal~")


def read_alerts(
    directory: Optional[str] = None,
    since: Optional[float] = None,
    types: Sequence[str] = CRASH_TYPES + READINESS_TYPES,
    stats: Optional[ReadStats] = None,
) -> Iterator[AlertEntry]:
    """The alerts of `types` kcrashd wrote, from `since` (Unix seconds) on: from the
    system journal, or the journal files in `directory`. Look-alikes are counted in
    `stats` and passed over.

    A directory's files are read one at a time, oldest first (by their first entry): a
    reader over all of them at once looks at every file for every entry it returns, which
    for a collector's thousand files is most of the time and, through the files' mappings,
    most of the memory. Each host's alerts still come in the order they were written: a
    file keeps them so, and a host's next file (rotation) starts after its last one.
    """
    stats = stats if stats is not None else ReadStats()
    if directory is None:
        yield from _read(open_journal(), since, types, stats)
        return
    for _, path in sorted(_heads(journal_files(directory), stats)):
        reader = _open_file(path, stats)
        if reader is not None:
            stats.files += 1
            yield from _read(reader, since, types, stats)


def _open_file(path: str, stats: ReadStats) -> Any:
    """A reader over one journal file; None (and the reason noted) when it cannot be read."""
    try:
        return open_journal(files=[path])
    except OSError as exc:
        stats.unreadable.append(f"{path}: {exc}")
        return None


def _heads(paths: List[str], stats: ReadStats) -> Iterator[Tuple[int, str]]:
    """(realtime of the file's first entry, path) of the files that can be opened."""
    for path in paths:
        reader = _open_file(path, stats)
        if reader is None:
            continue
        try:
            yield reader._get_start(), path
        except OSError:
            yield 0, path  # an empty file: nothing to order
        finally:
            reader.close()


def _read(
    reader: Any, since: Optional[float], types: Sequence[str], stats: ReadStats
) -> Iterator[AlertEntry]:
    by_id = {BY_NAME[t].message_id: t for t in types}
    try:
        # Same field: either value; different fields: both (journal match rules).
        reader.add_match(f"SYSLOG_IDENTIFIER={IDENTIFIER}")
        for mid in by_id:
            reader.add_match(f"MESSAGE_ID={mid}")
        if since is not None:
            reader.seek_realtime(datetime.datetime.fromtimestamp(since))
        else:
            reader.seek_head()
        # The low-level calls, every field at once as bytes: reading fields one by one walks
        # the entry's (compressed) fields again for each, and converting them all costs more.
        while reader._next():
            raw = reader._get_all()
            alert_type = by_id.get(_text(raw, "MESSAGE_ID") or "")
            if alert_type is None:
                continue
            if not _trusted(raw):
                stats.ignored += 1
                if len(stats.ignored_examples) < 3:
                    stats.ignored_examples.append(_describe(raw))
                continue
            fields = {}
            for key in WANTED[alert_type]:
                value = _text(raw, _JOURNAL_NAMES[key])
                if value is not None:
                    fields[key] = value
            stats.used += 1
            yield AlertEntry(
                type=alert_type,
                realtime=reader._get_realtime() / 1e6,
                machine=_text(raw, "_MACHINE_ID") or "unknown",
                hostname=_text(raw, "_HOSTNAME"),
                boot=_text(raw, "_BOOT_ID"),
                fields=fields,
            )
    finally:
        reader.close()


def _trusted(raw: Dict[str, Any]) -> bool:
    return written_by_kcrashd(
        _text(raw, "_UID"),
        _text(raw, "_TRANSPORT"),
        _text(raw, "_COMM"),
        _text(raw, "_EXE"),
        _text(raw, "_CMDLINE"),
    )


def _describe(raw: Dict[str, Any]) -> str:
    """`uid 1000, comm logger, transport journal on host web3`: why an entry was ignored."""
    parts = [f"{label} {_text(raw, name) or '-'}" for label, name in _WHY]
    return ", ".join(parts) + f" on host {_text(raw, '_HOSTNAME') or '?'}"


_WHY = (("uid", "_UID"), ("comm", "_COMM"), ("transport", "_TRANSPORT"))
