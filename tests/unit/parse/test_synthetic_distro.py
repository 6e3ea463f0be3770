"""Distribution and architecture formats beyond syzkaller's: RHEL 7/8/9, Ubuntu, Debian,
arm64, powerpc, s390, Xen/KVM guests, and the OOM / MCE / I/O / stall reports of 5.x and 6.x
kernels. Each log in tests/fixtures/logs/synthetic/distro was written by hand in the kernel's
own printk format, with placeholder values (PIDs, addresses, timestamps): synthetic, not
captured (real reports from a real kernel are the crash lab's, tests/fixtures/logs/lab)."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from kcrashd.parse import parse_text
from tests.unit.parse.logs import SYNTHETIC

DISTRO = SYNTHETIC / "distro"

# file -> the fields that must come out of its one report (taint as the letters set)
CASES: Dict[str, Dict[str, Any]] = {
    "rhel7_npd_qla2xxx.txt": dict(
        kind="page_fault",
        function="qla2x00_abort_isp",
        module="qla2xxx",
        kernel="3.10.0-1160.el7.x86_64",
        taint="GOE",
        cpu=3,
        pid=1234,
        comm="qla2xxx_dpc",
        rip="qla2x00_abort_isp",
        title="BUG: unable to handle kernel NULL pointer dereference in qla2x00_abort_isp",
    ),
    "rhel8_warning_kdump.txt": dict(
        kind="warning",
        function="tcp_send_loss_probe",
        module=None,
        kernel="4.18.0-477.10.1.el8_8.x86_64",
        taint="GOE",
        cpu=14,
        pid=98765,
        comm="java",
        rip="tcp_send_loss_probe",
    ),
    "rhel9_gpf_notainted.txt": dict(
        kind="gpf",
        function="nvmet_tcp_uninit_data_in_cmds",
        module="nvmet_tcp",
        kernel="5.14.0-362.8.1.el9_3.x86_64",
        taint="",
        cpu=6,
        pid=4421,
        comm="kworker/6:2",
        panicked=True,
    ),
    "ubuntu_bug_at.txt": dict(
        kind="bug",
        function="__ext4_journalled_writepage",
        kernel="5.15.0-91-generic",
        taint="PO",
        cpu=1,
        pid=2816,
        comm="kworker/u8:2",
        title="kernel BUG in __ext4_journalled_writepage",
    ),
    "arm64_npd_6x.txt": dict(
        kind="page_fault",
        function="spi_foo_xfer_done",
        module="spi_foo",
        kernel="6.1.0-rpi7-rpi-v8",
        taint="GCO",
        cpu=2,
        pid=456,
        comm="kworker/2:1",
        rip="spi_foo_xfer_done",
        lr="spi_foo_work+0x5c/0x90 [spi_foo]",
    ),
    "arm64_oops_4x.txt": dict(
        kind="exception",
        function="vpu_dec_buf_done",
        module="hantro_vpu",
        kernel="4.14.98-imx+g1175b59",
        taint="GO",
        cpu=3,
        pid=1877,
        comm="gst-launch-1.0",
        rip="vpu_dec_buf_done",
        lr="vpu_dec_isr+0x9c/0x130 [hantro_vpu]",
    ),
    "ppc64le_npd_rhel9.txt": dict(
        kind="page_fault",
        function="ibmvfc_rport_work",
        module="ibmvfc",
        kernel="5.14.0-284.11.1.el9_2.ppc64le",
        taint="GE",
        cpu=4,
        pid=2345,
        comm="kworker/4:2",
        rip="ibmvfc_rport_work",
        lr="ibmvfc_rport_work+0x20/0x3a0 [ibmvfc]",
    ),
    "s390x_oops.txt": dict(
        kind="page_fault",
        function="dasd_foo_probe",
        module="dasd_foo",
        kernel="5.14.0-284.11.1.el9_2.s390x",
        taint="GOE",
        cpu=1,
        pid=1234,
        comm="modprobe",
        rip="dasd_foo_probe",
    ),
    "xen_pv_softlockup.txt": dict(
        kind="soft_lockup",
        function="nfsd",
        module="nfsd",
        kernel="5.10.0-26-cloud-amd64",
        cpu=1,
        pid=2012,
        comm="nfsd",
    ),
    "kvm_rcu_stall.txt": dict(
        kind="rcu_stall",
        function="vhost_scsi_ioctl",
        module="vhost_scsi",
        kernel="5.15.0-1049-kvm",
        taint="GW",
        cpu=3,
        pid=7712,
        comm="qemu-kvm",
    ),
    "rcu_self_detected_6x.txt": dict(
        kind="rcu_stall",
        function="sys_io_submit",
        kernel="6.1.0-18-amd64",
        taint="GE",
        cpu=2,
        pid=30551,
        comm="fio",
        rip="raid5_get_active_stripe",
    ),
    "hung_task_ubuntu.txt": dict(
        kind="hung_task",
        function="jbd2_journal_commit_transaction",
        kernel="5.15.0-78-generic",
        taint="GOE",
        cpu=None,
        pid=512,
        comm="jbd2/dm-0-8",
        title="INFO: task hung in jbd2_journal_commit_transaction",
    ),
    "hung_task_rhel7.txt": dict(
        kind="hung_task",
        function="_xfs_log_force",
        module="xfs",
        kernel=None,
        pid=1187,
        comm="xfsaild/dm-3",
    ),
    "soft_lockup_6x.txt": dict(
        kind="soft_lockup",
        function="i40e_service_task",
        module="i40e",
        kernel="6.1.0-17-amd64",
        taint="GOEL",
        cpu=2,
        pid=28871,
        comm="kworker/2:0",
        rip="i40e_sync_vsi_filters",
        title="BUG: soft lockup in i40e_service_task",
    ),
    "hard_lockup_6x.txt": dict(
        kind="hard_lockup",
        function="megasas_isr_fusion",
        module="megaraid_sas",
        kernel="6.1.0-18-amd64",
        cpu=3,
        pid=0,
        comm="swapper/3",
        panicked=True,
    ),
    "kasan_uaf_6x.txt": dict(
        kind="kasan",
        function="nfc_llcp_sock_unlink",
        module="nfc",
        kernel="6.6.8-200.fc39.x86_64",
        taint="GB",
        cpu=1,
        pid=219,
        comm="kworker/u8:3",
        title="KASAN: slab-use-after-free Read in nfc_llcp_sock_unlink",
    ),
    "ubsan_shift_6x.txt": dict(
        kind="ubsan",
        function="bw_frc_to_fixed",  # the ".cold" clone is the same function
        module="amdgpu",
        kernel="6.5.0-14-generic",
        cpu=7,
        pid=412,
        comm="systemd-udevd",
        title="UBSAN: shift-out-of-bounds in bw_frc_to_fixed",
    ),
    "kfence_oob_6x.txt": dict(
        kind="kfence",
        function="mlx5e_rx_cqe_process",
        module="mlx5_core",
        kernel="6.1.0-18-amd64",
        cpu=5,
        pid=0,
        comm="swapper/5",
    ),
    "oom_global_6x.txt": dict(
        kind="oom_kill",
        function=None,
        kernel="6.1.0-13-amd64",
        cpu=1,
        pid=23456,
        comm="stress-ng-vm",
        title="oom-kill: killed stress-ng-vm",
        details=dict(
            victim_pid=23456,
            victim_comm="stress-ng-vm",
            total_vm_kb=14404936,
            anon_rss_kb=13827156,
            file_rss_kb=4,
            shmem_rss_kb=0,
            victim_uid=1000,
            pgtables_kb=27200,
            oom_score_adj=1000,
            constraint="CONSTRAINT_NONE",
            constraint_task_memcg="/user.slice/user-1000.slice/session-3.scope",
            invoker_comm="stress-ng-vm",
        ),
    ),
    "oom_memcg_6x.txt": dict(
        kind="oom_kill",
        kernel="6.5.0-1015-azure",
        pid=4567,
        comm="python3",
        details=dict(
            victim_pid=4567,
            victim_comm="python3",
            anon_rss_kb=520000,
            constraint="CONSTRAINT_MEMCG",
            constraint_oom_memcg="/system.slice/docker-3f1a2b4c5d6e.scope",
        ),
    ),
    "oom_rhel7.txt": dict(
        kind="oom_kill",
        kernel="3.10.0-1160.88.1.el7.x86_64",
        cpu=5,
        pid=30212,
        comm="java",
        details=dict(
            victim_pid=30212,
            victim_comm="java",
            total_vm_kb=21316484,
            anon_rss_kb=15448012,
            victim_uid=1001,
        ),
    ),
    "mce_fatal.txt": dict(
        kind="mce",
        cpu=2,
        panicked=True,
        title="machine check: bank 5",
        details=dict(bank=5, status="0xbe00000000800400", address="0x1234567000"),
    ),
    "mce_corrected.txt": dict(
        kind="mce",
        cpu=2,
        details=dict(bank=5, edac="MC0", severity="corrected"),
    ),
    "ghes_memory.txt": dict(
        kind="mce",
        details=dict(source="APEI GHES 0", severity="recoverable"),
    ),
    "io_error_sata_6x.txt": dict(
        kind="io_error",
        title="I/O error on sdb",
        details=dict(device="sdb", sector=1240, op="READ"),
    ),
    "io_error_blk_update_5x.txt": dict(
        kind="io_error",
        details=dict(device="sda", sector=1234, op="READ", logical_block=12, errors=2),
    ),
    "io_error_nvme_6x.txt": dict(
        kind="io_error",
        details=dict(device="nvme0n1", sector=5800, errors=2),
    ),
    "io_error_xfs_metadata.txt": dict(
        kind="io_error",
        details=dict(device="dm-3", op="WRITE"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_synthetic_distro_format(name: str) -> None:
    want = dict(CASES[name])
    reports = parse_text((DISTRO / name).read_text())
    assert len(reports) == 1, [r.title for r in reports]
    r = reports[0]
    details = want.pop("details", {})
    for key, value in details.items():
        assert r.details.get(key) == value, (key, r.details)
    got: Dict[str, Any] = {
        "kind": r.kind,
        "function": r.function,
        "module": r.module,
        "kernel": r.kernel,
        "taint": "".join(k for k, _ in r.taint),
        "cpu": r.cpu,
        "pid": r.pid,
        "comm": r.comm,
        "rip": r.rip.function if r.rip else None,
        "lr": r.registers.get("lr"),
        "title": r.title,
        "panicked": r.panicked,
    }
    assert {k: got[k] for k in want} == want
    assert not r.corrupted


def test_every_synthetic_distro_log_has_a_case() -> None:
    logs = {p.name for p in DISTRO.glob("*.txt") if not p.name.startswith("clean_")}
    assert logs == set(CASES)


def test_rhel_cpu_line_variants() -> None:
    from kcrashd.parse.frames import parse_who

    cases = [
        (
            "CPU: 3 PID: 1234 Comm: x Kdump: loaded Tainted: G OE ------------ "
            "3.10.0-1160.el7.x86_64 #1",
            (3, 1234, "x", "G OE", "3.10.0-1160.el7.x86_64"),
        ),
        (
            "CPU: 0 PID: 1 Comm: systemd Kdump: loaded Not tainted 4.18.0-513.5.1.el8_9.x86_64 #1",
            (0, 1, "systemd", None, "4.18.0-513.5.1.el8_9.x86_64"),
        ),
        (
            "CPU: 5 PID: 7 Comm: Web Content Tainted: G        W          6.12.9-amd64 #1",
            (5, 7, "Web Content", "G        W", "6.12.9-amd64"),
        ),
        (
            "CPU: 1 UID: 0 PID: 88 Comm: kworker/1:1 Not tainted 6.13.0-rc1 #1",
            (1, 88, "kworker/1:1", None, "6.13.0-rc1"),
        ),
        (
            "CPU: 2 PID: 1234 Comm: bad_process Tainted: G        W  OE     "
            "5.15.0-78-generic #85-Ubuntu",
            (2, 1234, "bad_process", "G        W  OE", "5.15.0-78-generic"),
        ),
        ("CPU: 1 PID: 2 Comm: kthreadd", (1, 2, "kthreadd", None, None)),
    ]
    for line, (cpu, pid, comm, taint, kernel) in cases:
        who = parse_who(line)
        assert who is not None, line
        assert (who["cpu"], who["pid"], who["comm"], who["taint"], who["kernel"]) == (
            cpu,
            pid,
            comm,
            taint,
            kernel,
        ), line


def test_rhel6_pid_comm_line() -> None:
    text = (
        "BUG: unable to handle kernel NULL pointer dereference at 0000000000000018\n"
        "IP: [<ffffffffa02f1c3e>] ext3_foo+0x1e/0x80 [ext3]\n"
        "PGD 0 \n"
        "Oops: 0000 [#1] SMP \n"
        "CPU 7 \n"
        "Modules linked in: ext3 jbd mbcache\n"
        "\n"
        "Pid: 4321, comm: tar Not tainted 2.6.32-754.35.1.el6.x86_64 #1 Dell Inc. "
        "PowerEdge R710/00NH4P\n"
        "RIP: 0010:[<ffffffffa02f1c3e>]  [<ffffffffa02f1c3e>] ext3_foo+0x1e/0x80 [ext3]\n"
        "Call Trace:\n"
        " [<ffffffffa02f3a11>] ext3_bar+0x51/0x90 [ext3]\n"
        " [<ffffffff811a1b2c>] vfs_read+0xb5/0x1a0\n"
    )
    (r,) = parse_text(text)
    assert (r.cpu, r.pid, r.comm, r.kernel, r.function, r.module) == (
        7,
        4321,
        "tar",
        "2.6.32-754.35.1.el6.x86_64",
        "ext3_foo",
        "ext3",
    )


def test_kernel_6_10_taint_line_gives_letters() -> None:
    text = (
        "------------[ cut here ]------------\n"
        "WARNING: CPU: 0 PID: 1 at drivers/foo/foo.c:12 foo_probe+0x1a/0x40 [foo]\n"
        "CPU: 0 UID: 0 PID: 1 Comm: swapper/0 Tainted: G        W  O       6.12.0 #1\n"
        "Tainted: [W]=WARN, [O]=OOT_MODULE\n"
        "RIP: 0010:foo_probe+0x1a/0x40 [foo]\n"
        "Call Trace:\n"
        " <TASK>\n"
        " really_probe+0x1c/0x80\n"
        " </TASK>\n"
        "---[ end trace 0000000000000000 ]---\n"
    )
    (r,) = parse_text(text)
    assert [k for k, _ in r.taint] == ["G", "W", "O"]
    assert (r.kernel, r.pid, r.function) == ("6.12.0", 1, "foo_probe")


def test_lockdep_invalid_wait_context_and_task_held_locks() -> None:
    wait_ctx = (
        "=============================\n"
        "[ BUG: Invalid wait context ]\n"
        "6.1.0-13-amd64 #1 Not tainted\n"
        "-----------------------------\n"
        "swapper/0/1 is trying to lock:\n"
        "ffff888100a1b2c8 (&dev->lock){....}-{3:3}, at: foo_probe+0x2a/0x90 [foo]\n"
        "other info that might help us debug this:\n"
        "context-{4:4}\n"
        "1 lock held by swapper/0/1:\n"
        " #0: ffffffff82a1b2c0 (rcu_read_lock){....}-{1:2}, at: bar_init+0x10/0x80\n"
        "stack backtrace:\n"
        "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-13-amd64 #1\n"
        "Call Trace:\n"
        " <TASK>\n"
        " dump_stack_lvl+0x5b/0x77\n"
        " __lock_acquire+0x4b3/0x1d60\n"
        " lock_acquire+0xd3/0x2f0\n"
        " _raw_spin_lock+0x2f/0x40\n"
        " foo_probe+0x2a/0x90 [foo]\n"
        " </TASK>\n"
    )
    (r,) = parse_text(wait_ctx)
    assert (r.kind, r.function, r.module) == ("lockdep", "foo_probe", "foo")
    assert r.title == "BUG: Invalid wait context in foo_probe"
    held = (
        "====================================\n"
        "WARNING: kworker/2:1/123 still has locks held!\n"
        "6.1.0-13-amd64 #1 Not tainted\n"
        "------------------------------------\n"
        "1 lock held by kworker/2:1/123:\n"
        " #0: ffff888104a1c0a8 (&priv->mutex){+.+.}-{3:3}, at: baz_work+0x3e/0x120 [baz]\n"
        "stack backtrace:\n"
        "CPU: 2 PID: 123 Comm: kworker/2:1 Not tainted 6.1.0-13-amd64 #1\n"
        "Call Trace:\n"
        " <TASK>\n"
        " dump_stack_lvl+0x5b/0x77\n"
        " process_one_work+0x2a3/0x5b0\n"
        " </TASK>\n"
    )
    (r,) = parse_text(held)
    assert (r.kind, r.function) == ("lockdep", "baz_work")
