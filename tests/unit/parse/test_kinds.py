"""Table tests: one crash log per kind, in real printk formats, and what must come out."""

from __future__ import annotations

import pytest

from kcrashd.parse import parse_text
from tests.unit.parse import logs

# (log, kind, guilty function, module, title)
CASES = [
    (logs.WARNING, "warning", "foo_tx_done", "foo", "WARNING in foo_tx_done"),
    (
        logs.GPF,
        "gpf",
        "nft_set_elem_destroy",
        "nf_tables",
        "general protection fault in nft_set_elem_destroy",
    ),
    (
        logs.HUNG_TASK,
        "hung_task",
        "jbd2_journal_commit_transaction",
        "jbd2",
        "INFO: task hung in jbd2_journal_commit_transaction",
    ),
    (
        logs.RCU_STALL,
        "rcu_stall",
        "spin_dev_ioctl",
        "spin_dev",
        "INFO: rcu detected stall in spin_dev_ioctl",
    ),
    (
        logs.SOFT_LOCKUP,
        "soft_lockup",
        "busy_work_fn",
        "busy_mod",
        "BUG: soft lockup in busy_work_fn",
    ),
    (logs.HARD_LOCKUP, "hard_lockup", "irqoff_spin", "irqoff_mod", "hard lockup in irqoff_spin"),
    (logs.LOCKDEP, "lockdep", "mydev_reset_work", "mydev", "possible deadlock in mydev_reset_work"),
    (logs.MEMORY_LEAK, "memory_leak", "leaky_open", "leaky", "memory leak in leaky_open"),
    (
        logs.DIVIDE_ERROR,
        "exception",
        "pool_io_hints",
        "dm_thin_pool",
        "divide error in pool_io_hints",
    ),
    (
        logs.UBSAN,
        "ubsan",
        "foo_dp_link_train",
        "foo",
        "UBSAN: array-index-out-of-bounds in foo_dp_link_train",
    ),
]


@pytest.mark.parametrize("text,kind,function,module,title", CASES, ids=[c[1] for c in CASES])
def test_kind_table(text: str, kind: str, function: str, module: str, title: str) -> None:
    reports = parse_text(text)
    assert len(reports) == 1, [r.title for r in reports]
    r = reports[0]
    assert (r.kind, r.function, r.module, r.title) == (kind, function, module, title)
    assert r.signature.startswith(f"{kind}:{function}:")
    assert not r.corrupted


def test_seed_example_exact() -> None:
    (r,) = parse_text(logs.read_log("seed_npd.txt"))
    assert r.kind == "page_fault"
    assert r.title == "BUG: unable to handle kernel NULL pointer dereference in faulty_driver_func"
    assert (r.function, r.module) == ("faulty_driver_func", "bad_driver")
    assert r.kernel == "5.15.0-78-generic"
    assert (r.cpu, r.pid, r.comm) == (2, 1234, "bad_process")
    assert [k for k, _ in r.taint] == ["G", "W", "O", "E"]
    assert dict(r.taint)["W"] == "kernel issued a warning"
    assert dict(r.taint)["E"] == "unsigned module was loaded"
    assert r.hardware == "Dell Inc. XPS 15 9570/0VYV0G, BIOS 1.23.0 05/20/2023"
    assert r.rip is not None and (r.rip.function, r.rip.offset, r.rip.size) == (
        "faulty_driver_func",
        0x25,
        0x50,
    )
    assert r.rip.address == 0xFFFFFFFFC0A12345
    assert [(f.function, f.module, f.reliable) for f in r.frames] == [
        ("faulty_driver_func", "bad_driver", True),
        ("some_parent_func", None, True),
    ]
    assert (r.first_line, r.last_line) == (1, 9)


def test_kernel_bug_in_pstore_record_with_panic() -> None:
    (r,) = parse_text(logs.read_log("oops_pstore.txt"))
    assert (r.kind, r.function, r.module) == ("bug", "ext4_writepages", "ext4")
    assert r.title == "kernel BUG in ext4_writepages"
    assert r.panicked, "the Fatal exception panic after the end marker belongs to the oops"
    assert [k for k, _ in r.taint] == ["P", "O", "E"]
    assert r.kernel == "6.1.0-13-amd64"
    assert r.code and "<0f> 0b" in r.code
    assert r.registers["RAX"] == "0000000000000000" and r.registers["R15"] == "0000000000000002"
    assert "nvidia" in r.modules_linked and "ext4" in r.modules_linked
    unreliable = [f.function for f in r.frames if not f.reliable]
    assert unreliable == ["__die_body.cold", "die", "do_trap", "ext4_writepages"]
    assert r.frames[-1].function == "ret_from_fork"


def test_kasan_with_interleaved_other_context() -> None:
    (r,) = parse_text(logs.read_log("kasan_uaf_caller.txt"))
    assert r.kind == "kasan"
    assert r.title == "KASAN: slab-use-after-free Read in tcp_cleanup_ulp"
    assert r.function == "tcp_cleanup_ulp"
    assert r.panicked
    assert not any("hrtimer" in line for line in r.lines), "a [C0] line is another context"
    assert r.comm == "syz-executor.3" and r.pid == 8123


def test_oom_kill_details() -> None:
    (r,) = parse_text(logs.read_log("oom_kill.txt"))
    assert r.kind == "oom_kill"
    d = r.details
    assert (d["victim_pid"], d["victim_comm"]) == (40123, "stress-ng")
    assert (d["total_vm_kb"], d["anon_rss_kb"], d["file_rss_kb"], d["shmem_rss_kb"]) == (
        7972900,
        7604224,
        176,
        0,
    )
    assert d["constraint"] == "CONSTRAINT_NONE"
    assert d["oom_score_adj"] == 0
    assert d["invoker_comm"] == "stress-ng" and d["order"] == 0
    assert r.title == "oom-kill: killed stress-ng"


def test_mce_details_and_panic() -> None:
    (r,) = parse_text(logs.MCE)
    assert r.kind == "mce"
    assert (r.details["cpu"], r.details["bank"], r.details["status"]) == (
        2,
        4,
        "0xb200000000070f0f",
    )
    assert r.panicked


def test_io_error_run_is_one_report() -> None:
    (r,) = parse_text(logs.IO_ERROR)
    assert r.kind == "io_error"
    assert (r.details["device"], r.details["sector"], r.details["op"]) == ("sdb", 123456789, "READ")
    assert r.details["errors"] == 2
    assert r.title == "I/O error on sdb"


@pytest.mark.parametrize(
    "line",
    [
        "blk_update_request: I/O error, dev sda, sector 2048 op 0x1:(WRITE) flags 0x0 phys_seg 1",
        "Buffer I/O error on dev sda1, logical block 0, async page read",
    ],
)
def test_io_error_shapes(line: str) -> None:
    (r,) = parse_text(line + "\n")
    assert r.kind == "io_error" and r.details["device"].startswith("sda")


def test_panic_alone() -> None:
    (r,) = parse_text(logs.PANIC)
    assert r.kind == "panic" and r.panicked
    assert r.title == "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)"


def test_crash_free_log_has_no_report() -> None:
    assert parse_text(logs.CRASH_FREE) == []


@pytest.mark.parametrize(
    "line",
    [
        "INFO: lockdep is turned off.",
        "WARNING: /etc/ssh/moduli does not exist, using fixed modulus",
        "INFO: NMI handler (perf_event_nmi_handler) took too long to run: 1.356 msecs",
        "ODEBUG: Out of memory. ODEBUG disabled",
        "traps: a.out[812] general protection fault ip:401136 sp:7ffd5 error:0 in a.out[401000+1]",
        "DEBUG:     #15 pc 000000000045c4a0  /system/lib64/libart.so",
        "WARNING: Unsupported flag value(s) of 0x%x in DT_FLAGS_1.",
    ],
)
def test_false_friends(line: str) -> None:
    assert parse_text(f"[   12.000001] {line}\n[   12.000002] next line\n") == []


# Synthetic, in the printk formats of mm/oom_kill.c (6.1): out_of_memory() in a memory cgroup
# that has nothing left to kill prints dump_header() and this last line, and no victim.
OOM_NONE_KILLABLE = """\
[  412.000001] lab-psihog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
[  412.000002] CPU: 0 PID: 812 Comm: lab-psihog Not tainted 6.1.0-57-amd64 #1  Debian 6.1.158-1
[  412.000003] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1
[  412.000004] Call Trace:
[  412.000005]  <TASK>
[  412.000006]  dump_stack_lvl+0x44/0x5c
[  412.000007]  dump_header+0x4a/0x211
[  412.000008]  out_of_memory.cold+0xa/0x7e
[  412.000009]  mem_cgroup_out_of_memory+0x13a/0x150
[  412.000010]  try_charge_memcg+0x6ee/0x7b0
[  412.000011]  charge_memcg+0x45/0xb0
[  412.000012]  __mem_cgroup_charge+0x29/0x80
[  412.000013]  do_anonymous_page+0x101/0x390
[  412.000014]  __handle_mm_fault+0x7e1/0xbb0
[  412.000015]  handle_mm_fault+0xdb/0x2d0
[  412.000016]  do_user_addr_fault+0x191/0x570
[  412.000017]  exc_page_fault+0x70/0x170
[  412.000018]  asm_exc_page_fault+0x22/0x30
[  412.000019]  </TASK>
[  412.000020] memory: usage 24576kB, limit 24576kB, failcnt 3190
[  412.000021] swap: usage 0kB, limit 9007199254740988kB, failcnt 0
[  412.000022] Tasks state (memory values in pages):
[  412.000023] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name
[  412.000024] Out of memory and no killable processes...
[  412.000025] systemd-journald[212]: Received client request to flush runtime journal.
"""


def test_oom_with_no_killable_process_is_said_so_and_ends_there() -> None:
    (r,) = parse_text(OOM_NONE_KILLABLE)
    assert r.kind == "oom_kill" and r.details["no_killable"] is True
    assert "victim_comm" not in r.details and r.details["invoker_comm"] == "lab-psihog"
    assert r.title == "oom-kill: no killable process"
    assert r.lines[-1].endswith("Out of memory and no killable processes...")
