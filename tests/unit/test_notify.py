"""sd_notify from the main loop over real unix datagram sockets: delivered when systemd
reads, dropped (never blocking) when nobody does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import uuid

import pytest

from kcrashd.daemon import notify


@pytest.fixture
def notify_socket(tmp_path, monkeypatch):
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    yield sock
    sock.close()


def _fill(path: str) -> int:
    """Queue datagrams nobody reads until the kernel refuses more (net.unix.max_dgram_qlen)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK) as s:
        for n in range(100000):
            try:
                s.sendto(b"STATUS=filler", path)
            except BlockingIOError:
                return n
    raise AssertionError("the notify socket never filled up")


def test_message_arrives(notify_socket):
    assert notify.notify("READY=1\nSTATUS=following journal")
    assert notify_socket.recv(4096) == b"READY=1\nSTATUS=following journal"


def test_abstract_socket_address(monkeypatch):
    name = f"kcrashd-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify.notify("WATCHDOG=1")
        assert sock.recv(4096) == b"WATCHDOG=1"


def test_outside_systemd_nothing_is_sent(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify.notify("READY=1") is False


def test_a_reader_that_stopped_reading_never_blocks_the_sender(notify_socket):
    queued = _fill(notify_socket.getsockname())
    assert queued > 0
    results = []
    sender = threading.Thread(
        target=lambda: results.append(notify.notify("WATCHDOG=1")), daemon=True
    )
    sender.start()
    sender.join(5)
    assert not sender.is_alive(), "notify() blocked on a full socket"
    assert results == [False]  # dropped
    # once systemd reads again, the next message gets through
    for _ in range(queued):
        assert notify_socket.recv(4096) == b"STATUS=filler"
    assert notify.notify("WATCHDOG=1")
    assert notify_socket.recv(4096) == b"WATCHDOG=1"


def test_libsystemd_notify_blocks_on_the_same_full_socket(notify_socket):
    # Why notify.py does not use systemd.daemon.notify: libsystemd sends on a blocking
    # socket. Should this test start failing, a newer libsystemd no longer blocks and the
    # binding could be used instead.
    _fill(notify_socket.getsockname())
    code = "from systemd import daemon; daemon.notify('WATCHDOG=1')"
    env = dict(os.environ, NOTIFY_SOCKET=notify_socket.getsockname())
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run([sys.executable, "-c", code], env=env, timeout=2)


@pytest.mark.parametrize(
    "usec, pid, expected",
    [("2000000", None, 1.0), ("2000000", "1", None), ("0", None, None), ("x", None, None)],
)
def test_watchdog_interval(monkeypatch, usec, pid, expected):
    monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid is None:
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
    else:
        monkeypatch.setenv("WATCHDOG_PID", pid)
    assert notify.watchdog_interval() == expected
