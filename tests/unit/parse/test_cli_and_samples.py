"""`kcrashd parse` end to end, and the real kernel_log samples from ../shared/fixtures."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kcrashd.cli import main
from kcrashd.parse import parse_text
from tests.conftest import SHARED
from tests.unit.parse.logs import SYNTHETIC

SAMPLES = SHARED / "fixtures" / "kernel_log"


def test_json_lines_and_exit_codes(tmp_path, capsys) -> None:
    clean = tmp_path / "clean.log"
    clean.write_text("[    1.0] nothing to see\n")
    missing = tmp_path / "missing.log"
    rc = main(["parse", "--json", str(SYNTHETIC / "seed_npd.txt"), str(missing), str(clean)])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rc == 2
    assert [d["source"] for d in out] == [str(SYNTHETIC / "seed_npd.txt"), str(missing), str(clean)]
    assert all(d["schema"] == 1 for d in out)
    assert out[0]["reports"][0]["function"] == "faulty_driver_func"
    assert "error" in out[1] and out[1]["reports"] == []
    assert out[2]["reports"] == []
    assert main(["parse", "--json", str(clean)]) == 0
    assert main(["parse", "--json", str(SYNTHETIC / "oom_kill.txt")]) == 1


def test_text_output_is_readable(capsys) -> None:
    assert main(["parse", str(SYNTHETIC / "seed_npd.txt")]) == 1
    out = capsys.readouterr().out
    assert "BUG: unable to handle kernel NULL pointer dereference in faulty_driver_func" in out
    assert "faulty_driver_func [bad_driver]" in out
    assert "CPU 2, PID 1234, Comm bad_process" in out
    assert "W: kernel issued a warning" in out
    assert "some_parent_func+0x1a/0x30" in out


def test_stdin_garbage_bytes_without_optional_packages(tmp_path) -> None:
    data = b"\xff\xfe\x00garbage\x00\n" + (SYNTHETIC / "seed_npd.txt").read_bytes() + b"\x80\x00\n"
    # -S: no site-packages, so systemd/pyudev/prometheus_client cannot be imported
    proc = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            "import sys; from kcrashd.cli import main; sys.exit(main())",
            "parse",
            "--json",
            "-",
        ],
        input=data,
        capture_output=True,
        timeout=60,
        cwd=str(SYNTHETIC.parents[3]),
    )
    assert proc.returncode == 1, proc.stderr
    (doc,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert doc["source"] == "-" and doc["reports"][0]["kind"] == "page_fault"


@pytest.mark.parametrize(
    "name,kind,function",
    [
        ("npd_null_pointer.txt", "page_fault", "pick_next_task_fair"),
        ("npd_divide_zero.txt", "exception", "pool_io_hints"),
        ("npd_docker_hung.txt", "hung_task", "copy_net_ns"),
        ("npd_aufs_umount_hung.txt", "hung_task", None),
        ("npd_oom_kill.txt", "oom_kill", None),
        ("npd_hardware_error.txt", "mce", None),
        ("npd_unregister_netdevice.txt", "hung_task", None),
    ],
)
def test_shared_kernel_log_samples(name: str, kind: str, function) -> None:
    reports = parse_text((SAMPLES / name).read_text(errors="replace"))
    assert reports, name
    assert reports[0].kind == kind
    if function:
        assert reports[0].function == function


def test_shared_samples_details() -> None:
    (oom,) = parse_text((SAMPLES / "npd_oom_kill.txt").read_text())
    assert oom.details["victim_comm"] == "heapster" and oom.details["victim_pid"] == 1012
    assert oom.details["anon_rss_kb"] == 306328 and oom.details["constraint"] == "CONSTRAINT_MEMCG"
    (mce,) = parse_text((SAMPLES / "npd_hardware_error.txt").read_text())
    assert mce.details["severity"] == "fatal" and mce.details["source"] == "APEI GHES 5"
    assert parse_text((SAMPLES / "npd_readonly_filesystem.txt").read_text()) == []
