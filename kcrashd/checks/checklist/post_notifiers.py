"""post_notifiers: how pstore and kdump share a panic."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.host.sysfs import module_param_path, parse_flag
from kcrashd.model import Fact, Result, Status

CHECK_ID = "post_notifiers"
TITLE = "pstore written before kdump"
AREA = "panic"
EXPLAIN = (
    "Reads crash_kexec_post_notifiers (kernel module parameter) and printk.always_kmsg_dump. "
    "With N (default) and kdump loaded, the panic jumps to the crash kernel before kmsg_dump, "
    "so pstore stays empty after a kdump crash: expected, not a fault. Y writes pstore first, "
    "which slightly raises the risk that kdump fails."
)


def run(host: HostView) -> Result:
    return judge(
        host.module_param("kernel", "crash_kexec_post_notifiers"),
        host.module_param("printk", "always_kmsg_dump"),
    )


def judge(post: Optional[str], always: Optional[str]) -> Result:
    facts = (
        Fact(module_param_path("kernel", "crash_kexec_post_notifiers"), post, None),
        Fact(module_param_path("printk", "always_kmsg_dump"), always, None),
    )
    if post is None:
        return Result(CHECK_ID, Status.SKIP, "crash_kexec_post_notifiers not present", facts=facts)
    if parse_flag(post):
        return Result(
            CHECK_ID, Status.INFO, "pstore gets the panic log before kdump runs", facts=facts
        )
    return Result(
        CHECK_ID,
        Status.INFO,
        "with kdump loaded, a panic is not written to pstore (default)",
        facts=facts,
    )
