"""The boot id comes from the journal when /proc lies (kcrashd.sources.boot): real journal
files made by systemd-journal-remote, a /proc tree whose boot_id is another machine's (what
the daemon's private /proc shows inside systemd-nspawn)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from kcrashd.host.root import Root
from kcrashd.sources.boot import current_boot_id
from tests import postmortem_roots as roots

pytestmark = pytest.mark.journald


def _dashed(hex_id: str) -> str:
    return str(uuid.UUID(hex_id))


def _root(tmp_path: Path, boot_id: str) -> Root:
    path = tmp_path / "root" / "proc" / "sys" / "kernel" / "random"
    path.mkdir(parents=True, exist_ok=True)
    (path / "boot_id").write_text(_dashed(boot_id) + "\n")
    return Root(str(tmp_path / "root"))


@pytest.fixture
def journal(tmp_path):
    from systemd import journal as sd

    info = roots.two_boots(tmp_path / "journal", "clean")
    reader = sd.Reader(path=str(tmp_path / "journal"))
    yield info, reader
    reader.close()


def test_a_sandboxed_proc_showing_a_foreign_boot_is_overruled(tmp_path, journal):
    info, reader = journal
    host = uuid.uuid4().hex  # not a boot of this journal: the host's, seen through /proc
    assert current_boot_id(_root(tmp_path, host), reader) == info["current"]


def test_proc_naming_a_boot_of_the_journal_is_trusted(tmp_path, journal):
    # /proc names the older boot (the clock was set back so another boot looks newest):
    # it is a real boot of this journal, so it wins
    info, reader = journal
    assert current_boot_id(_root(tmp_path, info["previous"]), reader) == info["previous"]
    assert current_boot_id(_root(tmp_path, info["current"]), reader) == info["current"]


def test_without_a_journal_proc_is_all_there_is(tmp_path):
    boot = uuid.uuid4().hex
    assert current_boot_id(_root(tmp_path, boot)) == boot  # not the live root: no journal
    empty = tmp_path / "empty"
    empty.mkdir()
    from systemd import journal as sd

    reader = sd.Reader(path=str(empty))
    try:
        assert current_boot_id(_root(tmp_path, boot), reader) == boot
    finally:
        reader.close()
