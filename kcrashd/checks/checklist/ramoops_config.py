"""ramoops_config: ramoops is sized to keep a panic log."""

from __future__ import annotations

from typing import Dict, Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import grub_args
from kcrashd.host.pstore_info import NEEDS_ROOT
from kcrashd.model import Fact, Result, Status

CHECK_ID = "ramoops_config"
TITLE = "ramoops sizing"
AREA = "logs"
EXPLAIN = (
    "Only when the pstore backend is ramoops: reads /sys/module/ramoops/parameters "
    "(mem_size, record_size, max_reason, ecc ...; mode 0400, so root only). record_size 0 "
    "means no dmesg records (only console/pmsg), mem_size 0 means no store at all, and "
    "max_reason 0 records nothing: each silently drops the panic log."
)
ARGS = "ramoops.mem_size=0x100000 ramoops.record_size=0x4000 ramoops.ecc=1"


def run(host: HostView) -> Result:
    return judge(host.pstore.backend, host.ramoops, host.family)


def judge(backend: Optional[str], params: Dict[str, str], family: str) -> Result:
    facts = tuple(Fact(f"/sys/module/ramoops/parameters/{k}", v, None) for k, v in params.items())
    if backend != "ramoops":
        return Result(
            CHECK_ID,
            Status.SKIP,
            f"pstore backend is {backend or 'none'}, not ramoops",
            facts=facts,
        )
    if NEEDS_ROOT in params.values():
        return Result(
            CHECK_ID,
            Status.ERROR,
            "ramoops parameters are readable by root only: run as root",
            facts=facts,
        )
    fix = grub_args(family, ARGS)
    if int(params.get("mem_size", "0")) == 0:
        return Result(CHECK_ID, Status.WARN, "ramoops mem_size is 0", fix, facts)
    if int(params.get("record_size", "0")) == 0:
        return Result(
            CHECK_ID,
            Status.WARN,
            "ramoops record_size is 0: no dmesg records, a panic log is not kept",
            fix,
            facts,
        )
    if int(params.get("max_reason", "-1")) == 0:
        return Result(
            CHECK_ID, Status.WARN, "ramoops max_reason is 0: nothing is recorded", fix, facts
        )
    return Result(
        CHECK_ID,
        Status.OK,
        f"ramoops keeps {params['record_size']}-byte dmesg records in {params['mem_size']} bytes",
        facts=facts,
    )
