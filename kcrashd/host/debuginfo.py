"""Debug vmlinux discovery: the running kernel's build id (/sys/kernel/notes) and the
build id and DWARF presence of candidate vmlinux files (ELF parsed directly, no readelf)."""

from __future__ import annotations

import struct
from typing import List, NamedTuple, Optional

from kcrashd.host.root import Root

NT_GNU_BUILD_ID = 3


class ElfInfo(NamedTuple):
    build_id: Optional[str]
    has_debug_info: bool


def parse_notes(data: bytes, little: bool = True) -> Optional[str]:
    """The GNU build id in a raw ELF notes blob (the contents of /sys/kernel/notes)."""
    e = "<" if little else ">"
    off = 0
    while off + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from(e + "III", data, off)
        off += 12
        name = data[off : off + namesz].rstrip(b"\0")
        off += (namesz + 3) & ~3
        desc = data[off : off + descsz]
        off += (descsz + 3) & ~3
        if ntype == NT_GNU_BUILD_ID and name == b"GNU":
            return desc.hex()
    return None


def read_kernel_build_id(root: Root) -> Optional[str]:
    try:
        data = root.read_bytes("/sys/kernel/notes", 65536)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return parse_notes(data)


def elf_info(path: str) -> ElfInfo:
    """Build id and `.debug_info` presence, reading only the ELF headers and small sections."""
    with open(path, "rb") as f:
        ident = f.read(64)
        if ident[:4] != b"\x7fELF":
            raise ValueError(f"{path} is not an ELF file")
        is64, little = ident[4] == 2, ident[5] == 1
        e = "<" if little else ">"
        if is64:
            (shoff,) = struct.unpack_from(e + "Q", ident, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", ident, 0x3A)
        else:
            (shoff,) = struct.unpack_from(e + "I", ident, 0x20)
            shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", ident, 0x2E)
        f.seek(shoff)
        table = f.read(shentsize * shnum)
        sections = []
        for i in range(shnum):
            if is64:
                name, stype, _, _, off, size = struct.unpack_from(
                    e + "IIQQQQ", table, i * shentsize
                )
            else:
                name, stype, _, _, off, size = struct.unpack_from(
                    e + "IIIIII", table, i * shentsize
                )
            sections.append((name, stype, off, size))
        _, _, stroff, strsize = sections[shstrndx]
        f.seek(stroff)
        strtab = f.read(min(strsize, 1 << 20))
        build_id = None
        debug = False
        for name_off, _stype, off, size in sections:
            name = strtab[name_off : strtab.find(b"\0", name_off)]
            if name == b".debug_info" and size > 0:
                debug = True
            elif name == b".note.gnu.build-id" and size < 4096:
                f.seek(off)
                build_id = parse_notes(f.read(size), little)
        return ElfInfo(build_id, debug)


def candidates(release: str, build_id: Optional[str]) -> List[str]:
    """Where distros and tools put the debug vmlinux, in crash/perf search order."""
    paths = [
        f"/usr/lib/debug/boot/vmlinux-{release}",
        f"/usr/lib/debug/lib/modules/{release}/vmlinux",
        f"/usr/lib/debug/vmlinux-{release}",
        f"/usr/lib/debug/boot/vmlinux-{release}.debug",
        f"/boot/vmlinux-{release}",
        f"/lib/modules/{release}/build/vmlinux",
    ]
    if build_id and len(build_id) > 2:
        paths.append(f"/usr/lib/debug/.build-id/{build_id[:2]}/{build_id[2:]}.debug")
    return paths


def find_vmlinux(root: Root, release: str, build_id: Optional[str]) -> List[str]:
    return [p for p in candidates(release, build_id) if root.exists(p)]
