"""pstore records: /sys/fs/pstore and systemd-pstore's archive /var/lib/systemd/pstore.

The kernel names each record `<type>-<backend>-<id>[.enc.z]` (dmesg, console, pmsg, ftrace,
mce, powerpc-*). A kmsg dump is cut into parts written newest first: each dmesg part starts
with a `<Reason>#<count> Part<n>` line, Part1 holding the end of the log. We group the parts
of one dump and join them oldest first (highest part number first). `.enc.z` records are the
ones the kernel could not decompress itself; we try zlib, raw deflate and gzip and report a
record that still cannot be read instead of failing. systemd-pstore moves records into its
archive (`<id>/dmesg-*` plus a reassembled `dmesg.txt` for EFI, flat `dmesg-ramoops-N` plus
a `dmesg.txt` of all of them for ramoops), keeping each file's time (the dump's). The
moved files are read as records, each dump on its own (an Oops#1 and the Panic#2 after it
are two records); `dmesg.txt` is only a fallback when the files beside it are gone: it
is split at its "dmesg-<backend>-<id>:" lines back into the records. Every file read goes
through the injected Root.
"""

from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from kcrashd.host.root import Root
from kcrashd.parse.digest import sha256_hex  # not hashlib: no OpenSSL in the daemon

log = logging.getLogger(__name__)

MAX_RECORD_BYTES = 8 * 1024 * 1024
KERNEL_TEXT_TYPES = ("dmesg", "console")
_NAME = re.compile(
    r"^(?P<type>[a-z]+(?:-[a-z]+)?)-(?P<backend>[A-Za-z0-9_]+)-(?P<id>\d+)(?P<z>\.enc\.z)?$"
)
_KNOWN_TYPES = ("dmesg", "console", "pmsg", "ftrace", "mce", "rtas")
_HEADER = re.compile(r"^(?P<reason>[A-Za-z]+)#(?P<count>\d+) Part(?P<part>\d+)\s*$")
# systemd-pstore's reassembled dmesg.txt separates parts with "dmesg-efi-123...:" lines.
_ARCHIVE_SEPARATOR = re.compile(r"^dmesg-[A-Za-z0-9_]+-\d+(?:\.enc\.z)?:\s*$")


@dataclass(frozen=True)
class PstoreRecord:
    """One pstore dump (all its parts joined) or one non-dmesg record."""

    path: str  # host path of the first file (or the archive's dmesg.txt)
    paths: Tuple[str, ...]  # every file it was read from (to delete them together)
    type: str  # dmesg, console, pmsg, ftrace, mce ...
    backend: str  # ramoops, efi, erst, efi_pstore, systemd-pstore ...
    reason: Optional[str]  # Oops, Panic, Emergency ... (dmesg only)
    count: Optional[int]
    parts: int
    text: Optional[str]  # None when unreadable
    mtime: float  # pstore sets it to the record's time
    fingerprint: str
    archived: bool  # in systemd-pstore's archive, not in pstore itself
    error: Optional[str] = None
    dated: bool = True  # mtime is the dump's own time (not so for a dmesg.txt's)
    key: str = ""  # unique per record: the path, and the record's name inside a dmesg.txt

    @property
    def record_key(self) -> str:
        return self.key or self.path

    @property
    def has_kernel_log(self) -> bool:
        return self.type in KERNEL_TEXT_TYPES and bool(self.text)


@dataclass
class _Part:
    path: str
    type: str
    backend: str
    record_id: int
    compressed: bool
    data: bytes
    mtime: float
    text: Optional[str] = None
    error: Optional[str] = None
    reason: Optional[str] = None
    count: Optional[int] = None
    part: Optional[int] = None
    name: Optional[str] = None  # the record's file name, inside a dmesg.txt


def decompress(data: bytes) -> bytes:
    """Inflate a `.enc.z` record: zlib, then raw deflate (crypto API), then gzip."""
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS, zlib.MAX_WBITS | 16):
        try:
            obj = zlib.decompressobj(wbits)
            out = obj.decompress(data, MAX_RECORD_BYTES)
            if out:
                return out
        except zlib.error:
            continue
    raise ValueError("not zlib, deflate or gzip data")


def split_header(text: str) -> Tuple[Optional[Tuple[str, int, int]], str]:
    """(reason, count, part) from a dmesg part's first line, and the text after it."""
    first, _, rest = text.partition("\n")
    m = _HEADER.match(first)
    if not m:
        return None, text
    return (m.group("reason"), int(m.group("count")), int(m.group("part"))), rest


def _read_part(root: Root, host_path: str, name: str) -> Optional[_Part]:
    m = _NAME.match(name)
    if not m or m.group("type").split("-")[0] not in _KNOWN_TYPES + ("powerpc",):
        return None
    try:
        data = root.read_bytes(host_path, MAX_RECORD_BYTES)
        mtime = root.stat(host_path).st_mtime
    except OSError as exc:
        log.warning("pstore: cannot read %s: %s", host_path, exc)
        return _Part(
            host_path,
            m.group("type"),
            m.group("backend"),
            int(m.group("id")),
            bool(m.group("z")),
            b"",
            0.0,
            error=f"cannot read: {exc}",
        )
    part = _Part(
        host_path,
        m.group("type"),
        m.group("backend"),
        int(m.group("id")),
        bool(m.group("z")),
        data,
        mtime,
    )
    if part.compressed:
        try:
            data = decompress(data)
        except ValueError as exc:
            part.error = f"cannot decompress {name}: {exc}"
            return part
    part.text = data.decode("utf-8", "replace")
    if part.type == "dmesg":
        header, body = split_header(part.text)
        if header:
            part.reason, part.count, part.part = header
            part.text = body
    return part


def _fingerprint(parts: List[_Part]) -> str:
    return sha256_hex(b"".join(p.data for p in parts))[:32]


DUMP_SECONDS = 60.0  # one dump's parts are written within this (a slow EFI store: ~1 s)


def _group_dmesg(parts: List[_Part]) -> List[List[_Part]]:
    """Parts of one dump together; a repeated part number, or a part written long after
    the dump's last, starts another dump."""
    groups: Dict[Tuple, List[List[_Part]]] = {}
    order: List[Tuple] = []
    for p in sorted(parts, key=lambda p: (p.mtime, p.record_id)):
        if p.part is None:
            key: Tuple = ("single", p.path)
        else:
            key = (p.backend, p.reason, p.count)
        dumps = groups.setdefault(key, [])
        if key not in order:
            order.append(key)
        if (
            not dumps
            or any(q.part == p.part for q in dumps[-1])
            or p.mtime - dumps[-1][-1].mtime > DUMP_SECONDS
        ):
            dumps.append([])
        dumps[-1].append(p)
    return [dump for key in order for dump in groups[key]]


def _record(parts: List[_Part], archived: bool, dated: bool = True) -> PstoreRecord:
    # Part1 is the newest text: join highest part number first.
    ordered = sorted(parts, key=lambda p: -(p.part or 0))
    errors = [p.error for p in ordered if p.error]
    texts = [p.text for p in ordered if p.text is not None]
    first = min(parts, key=lambda p: p.record_id)
    return PstoreRecord(
        path=first.path,
        paths=tuple(p.path for p in ordered),
        type=first.type,
        backend=first.backend,
        reason=first.reason,
        count=first.count,
        parts=len(parts),
        text="".join(t if t.endswith("\n") else t + "\n" for t in texts) if texts else None,
        mtime=max(p.mtime for p in parts),
        fingerprint=_fingerprint(ordered),
        archived=archived,
        error="; ".join(errors) or None,
        dated=dated,
        key=f"{first.path}#{first.name}" if first.name else first.path,
    )


def _parts_in(root: Root, directory: str) -> List[_Part]:
    parts = []
    for name in root.listdir(directory):
        host_path = f"{directory.rstrip('/')}/{name}"
        if root.is_dir(host_path):
            continue
        part = _read_part(root, host_path, name)
        if part is not None:
            parts.append(part)
    return parts


def _records_of(parts: List[_Part], archived: bool, dated: bool = True) -> List[PstoreRecord]:
    dmesg = [p for p in parts if p.type == "dmesg"]
    records = [_record(group, archived, dated) for group in _group_dmesg(dmesg)]
    records += [_record([p], archived, dated) for p in parts if p.type != "dmesg"]
    return records


def read_pstore(root: Root, directory: str = "/sys/fs/pstore") -> List[PstoreRecord]:
    """Every record in the pstore filesystem, dmesg parts reassembled."""
    return _records_of(_parts_in(root, directory), archived=False)


def _dmesg_txt_parts(root: Root, host_path: str) -> List[_Part]:
    """The parts in a systemd-pstore dmesg.txt whose moved files are gone: split at its
    "dmesg-<backend>-<id>:" lines into the files it was made of, read as those."""
    data = root.read_bytes(host_path, MAX_RECORD_BYTES)
    mtime = root.stat(host_path).st_mtime
    parts: List[_Part] = []
    name: Optional[str] = None
    body: List[str] = []

    def close() -> None:
        m = _NAME.match(name or "")
        if not m:
            return
        text = "\n".join(body) + "\n"
        part = _Part(
            host_path,
            "dmesg",
            m.group("backend"),
            int(m.group("id")),
            False,
            text.encode(),
            mtime,
            text=text,
            name=name,
        )
        header, rest = split_header(text)
        if header:
            part.reason, part.count, part.part = header
            part.text = rest
        parts.append(part)

    for line in data.decode("utf-8", "replace").splitlines():
        if _ARCHIVE_SEPARATOR.match(line):
            close()
            name, body = line.strip().rstrip(":").replace(".enc.z", ""), []
        else:
            body.append(line)
    close()
    if not parts:  # no separators: one text of unknown origin
        name = "dmesg-systemd_pstore-0"
        close()
    return parts


def read_archive(
    root: Root, directory: str = "/var/lib/systemd/pstore", max_depth: int = 3
) -> List[PstoreRecord]:
    """Records systemd-pstore archived: the moved files (`<id>/dmesg-*`, flat
    `dmesg-ramoops-N`), or a `dmesg.txt` where those are gone. The moved files of every
    directory are grouped together: systemd-pstore names an EFI record's directory after
    its id less the last 6 digits (part, count and the timestamp's last digit), so a dump
    written across a 10-second boundary lands in two directories (seen in the crash lab)."""
    parts: List[_Part] = []
    from_text: List[_Part] = []  # dmesg.txt's time, not the dump's
    stack = [(directory.rstrip("/"), 0)]
    while stack:
        current, depth = stack.pop()
        names = root.listdir(current)
        subdirs = [n for n in names if root.is_dir(f"{current}/{n}")]
        found = _parts_in(root, current)
        parts += found
        if "dmesg.txt" in names and not any(p.type == "dmesg" for p in found):
            try:
                from_text += _dmesg_txt_parts(root, f"{current}/dmesg.txt")
            except OSError as exc:
                log.warning("pstore archive: cannot read %s/dmesg.txt: %s", current, exc)
        if depth < max_depth:
            stack += [(f"{current}/{n}", depth + 1) for n in reversed(subdirs)]
    texts = _records_of(from_text, archived=True, dated=False)
    return _records_of(parts, archived=True) + texts
