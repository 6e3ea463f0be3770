# ruff: noqa: E501, W291  (real kernel log lines are long and may end in a blank)
"""Small crash logs in the kernel's printk formats, one per kind: synthetic, written for the
tests (tests/fixtures/logs/synthetic/README.md says where each file comes from)."""

from __future__ import annotations

from pathlib import Path

LOGS = Path(__file__).resolve().parents[2] / "fixtures" / "logs"
SYNTHETIC = LOGS / "synthetic"


def read_log(name: str) -> str:
    return (SYNTHETIC / name).read_text()


WARNING = """\
[  101.000001] ------------[ cut here ]------------
[  101.000002] WARNING: CPU: 1 PID: 871 at drivers/net/wireless/foo/main.c:412 foo_tx_done+0x1c4/0x210 [foo]
[  101.000003] Modules linked in: foo(OE) mac80211 cfg80211
[  101.000004] CPU: 1 PID: 871 Comm: irq/42-foo Tainted: G           OE      6.1.0-13-amd64 #1 Debian 6.1.55-1
[  101.000005] Hardware name: LENOVO 20XW0026GE/20XW0026GE, BIOS N32ET86W (1.62 ) 07/12/2023
[  101.000006] RIP: 0010:foo_tx_done+0x1c4/0x210 [foo]
[  101.000007] Code: 89 df e8 33 fe ff ff eb c4 <0f> 0b e9 5d ff ff ff
[  101.000008] RSP: 0018:ffffb1e3c0133e28 EFLAGS: 00010246
[  101.000009] RAX: 0000000000000000 RBX: ffff9c3a4a1e8000 RCX: 0000000000000000
[  101.000010] Call Trace:
[  101.000011]  <TASK>
[  101.000012]  ? __warn+0x7d/0xc0
[  101.000013]  ? foo_tx_done+0x1c4/0x210 [foo]
[  101.000014]  ? report_bug+0xe2/0x150
[  101.000015]  foo_irq_thread+0x61/0x90 [foo]
[  101.000016]  irq_thread_fn+0x1f/0x60
[  101.000017]  irq_thread+0xe8/0x1a0
[  101.000018]  kthread+0xd7/0x100
[  101.000019]  ret_from_fork+0x1f/0x30
[  101.000020]  </TASK>
[  101.000021] ---[ end trace 0000000000000000 ]---
"""

GPF = """\
[ 2211.900001] general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] PREEMPT SMP NOPTI
[ 2211.900002] CPU: 0 PID: 3321 Comm: nft Not tainted 6.1.0-13-amd64 #1 Debian 6.1.55-1
[ 2211.900003] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[ 2211.900004] RIP: 0010:nft_set_elem_destroy+0x2b/0x90 [nf_tables]
[ 2211.900005] Code: 00 00 55 48 89 fd 53 48 89 f3 <48> 8b 46 08 48 85 c0
[ 2211.900006] RSP: 0018:ffffb1e3c0a1bb48 EFLAGS: 00010286
[ 2211.900007] Call Trace:
[ 2211.900008]  <TASK>
[ 2211.900009]  nf_tables_abort+0x3f1/0x7a0 [nf_tables]
[ 2211.900010]  nfnetlink_rcv_batch+0x2d8/0x8d0 [nfnetlink]
[ 2211.900011]  nfnetlink_rcv+0x14f/0x170 [nfnetlink]
[ 2211.900012]  netlink_unicast+0x1f2/0x2c0
[ 2211.900013]  netlink_sendmsg+0x254/0x4b0
[ 2211.900014]  __sys_sendto+0x1f2/0x200
[ 2211.900015]  __x64_sys_sendto+0x20/0x30
[ 2211.900016]  do_syscall_64+0x55/0xb0
[ 2211.900017]  entry_SYSCALL_64_after_hwframe+0x63/0xcd
[ 2211.900018]  </TASK>
[ 2211.900019] Modules linked in: nf_tables nfnetlink
[ 2211.900020] ---[ end trace 0000000000000000 ]---
"""

HUNG_TASK = """\
[ 7380.100001] INFO: task jbd2/sda1-8:312 blocked for more than 120 seconds.
[ 7380.100002]       Not tainted 6.1.0-13-amd64 #1 Debian 6.1.55-1
[ 7380.100003] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
[ 7380.100004] task:jbd2/sda1-8     state:D stack:0     pid:312   ppid:2      flags:0x00004000
[ 7380.100005] Call Trace:
[ 7380.100006]  <TASK>
[ 7380.100007]  __schedule+0x351/0xa20
[ 7380.100008]  schedule+0x5d/0xe0
[ 7380.100009]  io_schedule+0x42/0x70
[ 7380.100010]  bit_wait_io+0xd/0x60
[ 7380.100011]  __wait_on_bit+0x48/0x150
[ 7380.100012]  out_of_line_wait_on_bit+0x91/0xb0
[ 7380.100013]  jbd2_journal_commit_transaction+0x1612/0x1a30 [jbd2]
[ 7380.100014]  kjournald2+0xa9/0x280 [jbd2]
[ 7380.100015]  kthread+0xd7/0x100
[ 7380.100016]  ret_from_fork+0x1f/0x30
[ 7380.100017]  </TASK>
"""

RCU_STALL = """\
[  512.300001] rcu: INFO: rcu_preempt self-detected stall on CPU
[  512.300002] rcu: 	1-....: (20999 ticks this GP) idle=c5c/1/0x4000000000000000 softirq=9221/9221 fqs=5245
[  512.300003] 	(t=21000 jiffies g=12345 q=812 ncpus=2)
[  512.300004] CPU: 1 PID: 5123 Comm: spin_ioctl Tainted: G           OE      6.1.0-13-amd64 #1 Debian 6.1.55-1
[  512.300005] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[  512.300006] RIP: 0010:spin_dev_loop+0x22/0x40 [spin_dev]
[  512.300007] RSP: 0018:ffffb1e3c0a1be40 EFLAGS: 00000246
[  512.300008] Call Trace:
[  512.300009]  <IRQ>
[  512.300010]  ? rcu_dump_cpu_stacks+0xc4/0x100
[  512.300011]  ? rcu_sched_clock_irq.cold+0x4c/0x2e7
[  512.300012]  ? update_process_times+0x5f/0x90
[  512.300013]  ? tick_sched_timer+0x6c/0x80
[  512.300014]  ? __hrtimer_run_queues+0x10f/0x2a0
[  512.300015]  ? hrtimer_interrupt+0xf8/0x230
[  512.300016]  ? __sysvec_apic_timer_interrupt+0x5f/0x140
[  512.300017]  ? sysvec_apic_timer_interrupt+0x6d/0x90
[  512.300018]  </IRQ>
[  512.300019]  <TASK>
[  512.300020]  ? asm_sysvec_apic_timer_interrupt+0x16/0x20
[  512.300021]  spin_dev_loop+0x22/0x40 [spin_dev]
[  512.300022]  spin_dev_ioctl+0x55/0x90 [spin_dev]
[  512.300023]  __x64_sys_ioctl+0x8d/0xd0
[  512.300024]  do_syscall_64+0x55/0xb0
[  512.300025]  entry_SYSCALL_64_after_hwframe+0x63/0xcd
[  512.300026]  </TASK>
"""

SOFT_LOCKUP = """\
[  800.000001] watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [kworker/0:2:87]
[  800.000002] Modules linked in: busy_mod(OE)
[  800.000003] CPU: 0 PID: 87 Comm: kworker/0:2 Tainted: G           OEL     6.1.0-13-amd64 #1 Debian 6.1.55-1
[  800.000004] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[  800.000005] Workqueue: events busy_work_fn [busy_mod]
[  800.000006] RIP: 0010:busy_work_fn+0x19/0x30 [busy_mod]
[  800.000007] RSP: 0018:ffffb1e3c0337e78 EFLAGS: 00000202
[  800.000008] Call Trace:
[  800.000009]  <TASK>
[  800.000010]  process_one_work+0x1c7/0x380
[  800.000011]  worker_thread+0x4d/0x380
[  800.000012]  kthread+0xd7/0x100
[  800.000013]  ret_from_fork+0x1f/0x30
[  800.000014]  </TASK>
"""

HARD_LOCKUP = """\
[ 1500.000001] NMI watchdog: Watchdog detected hard LOCKUP on cpu 3
[ 1500.000002] Modules linked in: irqoff_mod(OE)
[ 1500.000003] CPU: 3 PID: 911 Comm: insmod Tainted: G           OE      5.10.0-26-amd64 #1 Debian 5.10.197-1
[ 1500.000004] Hardware name: Supermicro SYS-1029P-WTR/X11DDW-L, BIOS 3.4 11/15/2020
[ 1500.000005] RIP: 0010:irqoff_spin+0x12/0x20 [irqoff_mod]
[ 1500.000006] RSP: 0018:ffffa1b2c0f4bd90 EFLAGS: 00000046
[ 1500.000007] Call Trace:
[ 1500.000008]  irqoff_init+0x2a/0x1000 [irqoff_mod]
[ 1500.000009]  do_one_initcall+0x44/0x1d0
[ 1500.000010]  do_init_module+0x4c/0x250
[ 1500.000011]  __do_sys_finit_module+0xb4/0x120
[ 1500.000012]  do_syscall_64+0x33/0x80
[ 1500.000013]  entry_SYSCALL_64_after_hwframe+0x62/0xc7
[ 1500.000014] ---[ end trace 4f2a1b0c9d8e7f60 ]---
"""

LOCKDEP = """\
[   88.100001] ======================================================
[   88.100002] WARNING: possible circular locking dependency detected
[   88.100003] 6.6.0-rc4 #1 Not tainted
[   88.100004] ------------------------------------------------------
[   88.100005] kworker/1:3/412 is trying to acquire lock:
[   88.100006] ffff88800a1b2c30 (&dev->state_lock){+.+.}-{3:3}, at: mydev_reset_work+0x2a/0x90 [mydev]
[   88.100007] 
[   88.100008] but task is already holding lock:
[   88.100009] ffff88800a1b2d30 (&dev->cfg_lock){+.+.}-{3:3}, at: mydev_apply_cfg+0x1e/0x60 [mydev]
[   88.100010] 
[   88.100011] which lock already depends on the new lock.
[   88.100012] 
[   88.100013] stack backtrace:
[   88.100014] CPU: 1 PID: 412 Comm: kworker/1:3 Not tainted 6.6.0-rc4 #1
[   88.100015] Call Trace:
[   88.100016]  <TASK>
[   88.100017]  dump_stack_lvl+0x44/0x5c
[   88.100018]  check_noncircular+0x113/0x130
[   88.100019]  __lock_acquire+0x1206/0x1e90
[   88.100020]  lock_acquire+0xc2/0x2b0
[   88.100021]  __mutex_lock+0x8f/0x8c0
[   88.100022]  mydev_reset_work+0x2a/0x90 [mydev]
[   88.100023]  process_one_work+0x1c7/0x380
[   88.100024]  </TASK>
"""

MEMORY_LEAK = """\
[  900.000001] kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)
[  900.000002] BUG: memory leak
[  900.000003] unreferenced object 0xffff88810b2c4e00 (size 256):
[  900.000004]   comm "leaky", pid 7001, jiffies 4295012345 (age 14.120s)
[  900.000005]   hex dump (first 32 bytes):
[  900.000006]     00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
[  900.000007]   backtrace:
[  900.000008]     [<ffffffff81234567>] kmalloc_trace+0x26/0x90
[  900.000009]     [<ffffffffc0451234>] leaky_open+0x3c/0x120 [leaky]
[  900.000010]     [<ffffffff81345678>] chrdev_open+0xc2/0x250
[  900.000011]     [<ffffffff81345abc>] do_dentry_open+0x1e6/0x440
[  900.000012]     [<ffffffff81356789>] path_openat+0xb2a/0x1170
"""

DIVIDE_ERROR = """\
[   61.000001] divide error: 0000 [#1] SMP PTI
[   61.000002] CPU: 1 PID: 1853 Comm: docker Tainted: G         C    5.4.0-150-generic #167-Ubuntu
[   61.000003] Hardware name: Xen HVM domU, BIOS 4.2.amazon 05/12/2016
[   61.000004] RIP: 0010:pool_io_hints+0xf0/0x1a0 [dm_thin_pool]
[   61.000005] RSP: 0018:ffff8801e47abbc8 EFLAGS: 00010246
[   61.000006] Call Trace:
[   61.000007]  dm_calculate_queue_limits+0x12d/0x1a0
[   61.000008]  dm_setup_md_queue+0x3c/0x90
[   61.000009]  table_load+0x1b8/0x330
[   61.000010]  ctl_ioctl+0x1c5/0x4a0
[   61.000011] ---[ end trace 2b1f3c4d5e6f7081 ]---
"""

UBSAN = """\
[   45.000001] ================================================================================
[   45.000002] UBSAN: array-index-out-of-bounds in drivers/gpu/drm/foo/foo_dp.c:1187:23
[   45.000003] index 8 is out of range for type 'u8 [8]'
[   45.000004] CPU: 0 PID: 544 Comm: Xorg Not tainted 6.5.0-1-amd64 #1 Debian 6.5.3-1
[   45.000005] Call Trace:
[   45.000006]  <TASK>
[   45.000007]  dump_stack_lvl+0x47/0x60
[   45.000008]  __ubsan_handle_out_of_bounds+0xc6/0x110
[   45.000009]  foo_dp_link_train+0x6a1/0x6f0 [foo]
[   45.000010]  foo_dp_enable+0x8c/0x130 [foo]
[   45.000011]  </TASK>
[   45.000012] ================================================================================
"""

MCE = """\
[ 3001.000001] mce: [Hardware Error]: CPU 2: Machine Check Exception: 5 Bank 4: b200000000070f0f
[ 3001.000002] mce: [Hardware Error]: TSC 0 ADDR 1ffff8a3c MISC d012000100000086
[ 3001.000003] mce: [Hardware Error]: PROCESSOR 0:50654 TIME 1732615200 SOCKET 0 APIC 4 microcode 2006e05
[ 3001.000004] mce: [Hardware Error]: Run the above through 'mcelog --ascii'
[ 3001.000005] mce: [Hardware Error]: Machine check: Processor context corrupt
[ 3001.000006] Kernel panic - not syncing: Fatal machine check
"""

IO_ERROR = """\
[ 4020.000001] sd 2:0:0:0: [sdb] tag#7 FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_OK cmd_age=3s
[ 4020.000002] sd 2:0:0:0: [sdb] tag#7 Sense Key : Medium Error [current]
[ 4020.000003] I/O error, dev sdb, sector 123456789 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 2
[ 4020.000004] Buffer I/O error on dev sdb1, logical block 15432098, async page read
[ 4020.000005] EXT4-fs warning (device sdb1): ext4_end_bio:343: I/O error 10 writing to inode 12
"""

PANIC = """\
[    2.100001] VFS: Cannot open root device "sda9" or unknown-block(8,9): error -6
[    2.100002] Please append a correct "root=" boot option; here are the available partitions:
[    2.100003] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(8,9)
[    2.100004] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-13-amd64 #1 Debian 6.1.55-1
[    2.100005] Call Trace:
[    2.100006]  <TASK>
[    2.100007]  dump_stack_lvl+0x44/0x5c
[    2.100008]  panic+0x118/0x2ed
[    2.100009]  mount_block_root+0x1d3/0x1e6
[    2.100010]  prepare_namespace+0x136/0x165
[    2.100011]  kernel_init_freeable+0x25c/0x286
[    2.100012]  kernel_init+0x16/0x130
[    2.100013]  ret_from_fork+0x1f/0x30
[    2.100014]  </TASK>
[    2.100015] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(8,9) ]---
"""

CRASH_FREE = """\
[    0.000000] Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)
[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-13-amd64 root=UUID=0a1b ro quiet
[    0.412345] ACPI: Added _OSI(Module Device)
[    1.234567] EXT4-fs (sda1): mounted filesystem with ordered data mode. Quota mode: none.
[    2.345678] systemd[1]: Started systemd-journald.service - Journal Service.
[    3.456789] e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx
[    5.000001] audit: type=1400 audit(1732615200.123:42): apparmor="STATUS" operation="profile_load"
"""
