"""Report fields from the lines around the trace: taint and release in lockdep's banner,
wrapped module lists, RHEL's distribution taint groups, the Workqueue line."""

from __future__ import annotations

from kcrashd.parse import parse_text
from kcrashd.parse.frames import module_names, parse_taint_line, parse_who


def test_lockdep_banner_gives_release_and_taint() -> None:
    # kernel/locking/lockdep.c print_kernel_ident(): "<release> <version word> <print_tainted()>"
    assert parse_taint_line("6.1.0-13-amd64 #1 Tainted: G        W  OE") == (
        "G        W  OE",
        "6.1.0-13-amd64",
    )
    assert parse_taint_line("6.0.0-rc7-syzkaller-18095-gbbed346d5a96 #0 Not tainted") == (
        None,
        "6.0.0-rc7-syzkaller-18095-gbbed346d5a96",
    )
    # a lockdep report cut before its "stack backtrace:" still has a release and taint
    text = (
        "======================================================\n"
        "WARNING: possible circular locking dependency detected\n"
        "5.15.0-91-generic #101-Ubuntu Tainted: G           OE\n"
        "------------------------------------------------------\n"
        "foo/12 is trying to acquire lock:\n"
        "ffff888104a48498 (&dev->lock){+.+.}-{3:3}, at: foo_probe+0x4d/0x3a0 [foo]\n"
    )
    (r,) = parse_text(text)
    assert (r.kernel, [k for k, _ in r.taint]) == ("5.15.0-91-generic", ["G", "O", "E"])
    assert (r.function, r.title) == ("foo_probe", "possible deadlock in foo_probe")


def test_rhel_taint_letter_after_the_dash_group() -> None:
    # RHEL prints its own flags as dash groups; a letter may follow a group directly
    who = parse_who(
        "CPU: 1 PID: 0 Comm: swapper/1 Kdump: loaded Tainted: G           OE  ------------T "
        "3.10.0-957.el7.x86_64 #1"
    )
    assert who is not None
    assert who["kernel"] == "3.10.0-957.el7.x86_64"
    assert "".join(str(who["taint"]).split()) == "GOET"
    spaced = parse_who(
        "CPU: 2 PID: 9 Comm: x Tainted: G           OE    --------- -  - 4.18.0-305.el8.x86_64 #1"
    )
    assert spaced is not None and spaced["kernel"] == "4.18.0-305.el8.x86_64"
    assert "".join(str(spaced["taint"]).split()) == "GOE"


def test_wrapped_modules_list_is_joined() -> None:
    text = (
        "BUG: unable to handle page fault for address: 0000000000001000\n"
        "Modules linked in: foo(OE) nf_tables nfnetlink ip6table_filter ip6_tables\n"
        " iptable_filter bpfilter sunrpc intel_rapl_msr [last unloaded: bar(OE)]\n"
        "CPU: 0 PID: 1 Comm: x Tainted: G           OE      6.1.0-13-amd64 #1\n"
        "RIP: 0010:foo_poke+0x11/0x30 [foo]\n"
        "Call Trace:\n"
        " foo_ioctl+0x20/0x40 [foo]\n"
    )
    (r,) = parse_text(text)
    assert r.modules_linked == (
        "foo", "nf_tables", "nfnetlink", "ip6table_filter", "ip6_tables", "iptable_filter",
        "bpfilter", "sunrpc", "intel_rapl_msr",
    )  # fmt: skip
    assert module_names(" a b(O) [last unloaded: c]") == ["a", "b"]


def test_workqueue_function_names_an_all_infrastructure_hung_worker() -> None:
    # kernel/workqueue.c print_worker_info(): "Workqueue: <wq> <work function>"
    text = (
        "INFO: task kworker/2:1:88 blocked for more than 122 seconds.\n"
        "      Not tainted 6.1.0-13-amd64 #1\n"
        "task:kworker/2:1     state:D stack:0     pid:88    ppid:2      flags:0x00004000\n"
        "Workqueue: events foo_flush_work [foo]\n"
        "Call Trace:\n"
        " <TASK>\n"
        " __schedule+0x351/0xa20\n"
        " schedule+0x5d/0xe0\n"
        " schedule_timeout+0x118/0x150\n"
        " wait_for_completion+0x8a/0x130\n"
        " __flush_work+0x1bc/0x2c0\n"
        " process_one_work+0x1c7/0x380\n"
        " worker_thread+0x4d/0x380\n"
        " kthread+0xd7/0x100\n"
        " ret_from_fork+0x1f/0x30\n"
        " </TASK>\n"
    )
    (r,) = parse_text(text)
    assert (r.kind, r.function) == ("hung_task", "foo_flush_work")
    assert not r.corrupted
