"""pstore and kdump readers against fixture roots in the real formats."""

from __future__ import annotations

import os
import time

import pytest

from kcrashd.host.root import Root
from kcrashd.sources import kdump, pstore
from tests import postmortem_roots as roots

T = time.time() - 3600


def test_multipart_dmesg_is_joined_oldest_first(tmp_path):
    roots.ramoops(tmp_path, T, parts=3)
    records = pstore.read_pstore(Root(str(tmp_path)))
    dmesg = [r for r in records if r.type == "dmesg"]
    assert len(dmesg) == 1
    rec = dmesg[0]
    assert (rec.parts, rec.reason, rec.count, rec.backend) == (3, "Panic", 1, "ramoops")
    lines = [line.split("]", 1)[1].strip() for line in rec.text.splitlines()]
    expected = [line.split("]", 1)[1].strip() for line in roots.crash_lines()]
    assert lines == expected  # every line, in the order the kernel printed them
    assert "Part" not in rec.text
    assert abs(rec.mtime - T) < 1
    assert {r.type for r in records} == {"dmesg", "console", "pmsg"}


def test_compressed_part_is_inflated(tmp_path):
    roots.ramoops(tmp_path, T, parts=2, compress_part=1, extra=False)
    (rec,) = pstore.read_pstore(Root(str(tmp_path)))
    assert rec.error is None
    assert "Kernel panic - not syncing" in rec.text
    assert rec.paths[-1].endswith(".enc.z")


def test_undecompressable_record_is_reported_not_raised(tmp_path):
    roots.ramoops(tmp_path, T, parts=2, corrupt_part=1, extra=False)
    records = pstore.read_pstore(Root(str(tmp_path)))
    bad = [r for r in records if r.error]
    good = [r for r in records if not r.error]
    assert len(bad) == 1 and "cannot decompress" in bad[0].error and bad[0].text is None
    assert "BUG: kernel NULL pointer dereference" in good[0].text  # Part2 still read


def test_two_dumps_with_the_same_part_numbers_stay_apart(tmp_path):
    d = tmp_path / "sys/fs/pstore"
    d.mkdir(parents=True)
    (d / "dmesg-ramoops-0").write_text("Oops#1 Part1\n<4>[ 1.0] first\n")
    (d / "dmesg-ramoops-1").write_text("Oops#1 Part1\n<4>[ 2.0] second\n")
    records = pstore.read_pstore(Root(str(tmp_path)))
    assert sorted(r.text.strip() for r in records) == ["<4>[ 1.0] first", "<4>[ 2.0] second"]


def test_systemd_pstore_archive(tmp_path):
    roots.systemd_pstore_archive(tmp_path, T)
    (rec,) = pstore.read_archive(Root(str(tmp_path)))
    assert rec.archived and rec.backend == "efi" and rec.reason == "Panic" and rec.parts == 2
    assert rec.text.index("BUG: kernel NULL") < rec.text.index("Kernel panic")
    assert rec.dated and rec.mtime == T  # the moved files keep the dump's time
    assert "dmesg-efi-" not in rec.text


def test_efi_dump_of_28_parts_is_one_record(tmp_path):
    roots.systemd_pstore_archive(tmp_path, T, parts=28)
    (rec,) = pstore.read_archive(Root(str(tmp_path)))
    assert rec.parts == 28 and len(rec.paths) == 28
    assert rec.text.splitlines() == roots.kmsg_lines(roots.crash_lines())


@pytest.mark.parametrize("keep_parts", [True, False])
def test_efi_dump_across_two_archive_directories_is_one_record(tmp_path, keep_parts):
    """The lab's finding: a dump written across a 10-second boundary was two records."""
    dirs = roots.systemd_pstore_split_archive(tmp_path, T)
    assert [d.name for d in dirs] == ["179602984", "179602985"]
    if not keep_parts:  # only the dmesg.txt of each directory left
        for f in tmp_path.glob("var/lib/systemd/pstore/*/dmesg-efi-*"):
            f.unlink()
    (rec,) = pstore.read_archive(Root(str(tmp_path)))
    assert (rec.parts, rec.reason, rec.count) == (11, "Panic", 1)
    assert rec.text.splitlines() == roots.kmsg_lines(roots.crash_lines())
    assert rec.dated == keep_parts


def test_parts_of_dumps_far_apart_are_not_joined(tmp_path):
    """Part1 of one panic and Part2 of another an hour later (the rest lost): two dumps."""
    archive = tmp_path / "var/lib/systemd/pstore"
    for n, (at, stamp) in enumerate(((T, 1709295045), (T + 3600, 1709298645)), start=1):
        record_id = str((stamp * 100 + n) * 1000 + 1)
        path = archive / record_id[:-6] / f"dmesg-efi-{record_id}"
        path.parent.mkdir(parents=True)
        path.write_text(f"Panic#1 Part{n}\n<0>[ {n}.0] Kernel panic - not syncing: crash {n}\n")
        os.utime(path, (at, at))
    records = pstore.read_archive(Root(str(tmp_path)))
    assert sorted((r.parts, r.mtime) for r in records) == [(1, T), (1, T + 3600)]


def test_archive_dmesg_txt_alone_is_split_into_its_records(tmp_path):
    roots.systemd_pstore_archive(tmp_path, T, parts=3, keep_parts=False)
    (rec,) = pstore.read_archive(Root(str(tmp_path)))
    assert rec.parts == 3 and rec.reason == "Panic" and rec.backend == "efi"
    assert rec.text.splitlines() == roots.kmsg_lines(roots.crash_lines())
    assert not rec.dated  # dmesg.txt is dated when systemd-pstore wrote it


@pytest.mark.parametrize("keep_parts", [True, False])
def test_ramoops_archive_shows_the_oops_and_the_panic(tmp_path, keep_parts):
    """The lab's finding (issue 11, D): the Panic#2 record was hidden in dmesg.txt."""
    roots.systemd_pstore_ramoops_archive(tmp_path, T, keep_parts)
    records = pstore.read_archive(Root(str(tmp_path)))
    assert sorted((r.reason, r.count) for r in records) == [("Oops", 1), ("Panic", 2)]
    panic = next(r for r in records if r.reason == "Panic")
    assert "Kernel panic" in panic.text
    assert len({r.record_key for r in records}) == 2
    assert all(r.dated == keep_parts for r in records)


def test_missing_pstore_is_empty(tmp_path):
    assert pstore.read_pstore(Root(str(tmp_path))) == []
    assert pstore.read_archive(Root(str(tmp_path))) == []


def test_kdump_layouts_and_incomplete_dumps(tmp_path):
    roots.debian_dump(tmp_path, T)
    roots.debian_dump(tmp_path, T, stamp="202403020800", dump_bytes=b"", dmesg=False)
    roots.rhel_dump(tmp_path, T)
    roots.rhel_dump(tmp_path, T, name="127.0.0.1-2024-03-03-09:00:00", complete=False)
    (tmp_path / "var/crash/linux-image-6.1.0-18-amd64-1709.crash").write_text("apport")
    dumps = {
        d.path.rsplit("/", 1)[-1]: d for d in kdump.read_dumps(Root(str(tmp_path)), ["/var/crash"])
    }
    assert len(dumps) == 4
    deb = dumps["202403011230"]
    assert deb.layout == "debian" and deb.complete and deb.vmcore.endswith("dump.202403011230")
    assert "Kernel panic" in deb.dmesg
    empty = dumps["202403020800"]
    assert not empty.complete
    assert any("0 bytes" in p for p in empty.problems) and "no dmesg file" in empty.problems
    rhel = dumps["127.0.0.1-2024-03-01-12:30:45"]
    assert rhel.layout == "rhel" and rhel.complete and rhel.vmcore.endswith("/vmcore")
    inc = dumps["127.0.0.1-2024-03-03-09:00:00"]
    assert not inc.complete and any("did not finish" in p for p in inc.problems)


def test_dump_with_garbage_is_not_complete(tmp_path):
    roots.debian_dump(tmp_path, T, dump_bytes=b"oops, not a dump")
    (d,) = kdump.read_dumps(Root(str(tmp_path)), ["/var/crash"])
    assert not d.complete and "not a makedumpfile" in d.problems[0]
