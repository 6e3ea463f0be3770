"""Kind-specific details: OOM victim and figures, machine-check bank/status, I/O device."""

from __future__ import annotations

import re
from typing import Any, Dict, Sequence

_OOM_INVOKED = re.compile(
    r"(?P<comm>\S.*?) invoked oom-killer: gfp_mask=(?P<gfp>0x[0-9a-f]+)[^,]*,"
    r" order=(?P<order>-?\d+)"
    r"(?:, oom_score_adj=(?P<adj>-?\d+))?"
)
_OOM_NONE_KILLABLE = "Out of memory and no killable processes"
_OOM_CONSTRAINT = re.compile(r"oom-kill:constraint=(?P<c>\w+)(?P<rest>.*)")
_OOM_KILLED = re.compile(
    r"Killed process (?P<pid>\d+) \((?P<comm>[^)]*)\)(?:,? UID \d+,)?(?: total-vm:(?P<vm>\d+)kB)?"
    r"(?:, anon-rss:(?P<anon>\d+)kB)?(?:, file-rss:(?P<file>\d+)kB)?"
    r"(?:, shmem-rss:(?P<shmem>\d+)kB)?"
    r"(?:.*?oom_score_adj:(?P<adj>-?\d+))?"
)
_OOM_KILL_OLD = re.compile(r"[Oo]ut of memory: Kill process (?P<pid>\d+) \((?P<comm>[^)]*)\)")
# arch/x86/kernel/cpu/mce/core.c print_mce(): "CPU 2: Machine Check Exception: 5 Bank 5: <status>";
# 2.6 padded the MCG status: "CPU 0: Machine Check Exception:                4 Bank 4: ..."
_MCE_BANK = re.compile(
    r"CPU:? (?P<cpu>\d+):? Machine Check(?: Exception)?:?\s+(?:(?P<code>[0-9a-fA-F]+)\s+)?"
    r"Bank (?P<bank>\d+):? (?P<status>[0-9a-fA-F]{8,16})"
)
_MCE_ADDR = re.compile(r"\bADDR (?P<addr>[0-9a-fA-F]+)")
_GHES_SEV = re.compile(r"event severity: (?P<sev>\w+)")
_GHES_SRC = re.compile(r"Hardware error from APEI Generic Hardware Error Source: (?P<src>\d+)")
_OOM_UID = re.compile(r"\bUID:? ?(?P<uid>\d+)")
_OOM_PGTABLES = re.compile(r"\bpgtables:(?P<kb>\d+)kB")
_IO = re.compile(
    r"(?:I/O|medium|target) error, dev (?P<dev>[\w-]+), sector (?P<sector>\d+)"
    r"(?: op 0x[0-9a-f]+:\((?P<op>\w+)\))?"
)
_BUFFER_IO = re.compile(r"Buffer I/O error on dev (?P<dev>[\w-]+), logical block (?P<block>\d+)")
# NVMe (5.x+): "nvme0n1: I/O Cmd(0x2) @ LBA 5800, 8 blocks, I/O Error (sct 0x2 / sc 0x81) MORE DNR"
_NVME_IO = re.compile(
    r"^(?P<dev>nvme\w+): I/O Cmd\(0x[0-9a-f]+\) @ LBA (?P<lba>\d+), \d+ blocks, I/O Error"
)
_EDAC = re.compile(r"^EDAC (?P<mc>[\w ]+): (?P<n>\d+) (?P<sev>[CU]E) ")


def _int(s: Any) -> Any:
    return int(s) if s is not None else None


def oom_details(lines: Sequence[str]) -> Dict[str, Any]:
    d: Dict[str, Any] = {}
    for line in lines:
        m = _OOM_INVOKED.search(line)
        if m and "invoker_comm" not in d:
            d["invoker_comm"] = m.group("comm").split()[-1]
            d["gfp_mask"] = m.group("gfp")
            d["order"] = int(m.group("order"))
            if m.group("adj") is not None:
                d["invoker_oom_score_adj"] = int(m.group("adj"))
            continue
        m = _OOM_CONSTRAINT.search(line)
        if m:
            d["constraint"] = m.group("c")
            for kv in m.group("rest").split(","):
                k, _, v = kv.partition("=")
                if k in ("task", "pid", "uid", "task_memcg", "oom_memcg", "cpuset") and v:
                    d.setdefault("constraint_" + k, v)
            continue
        m = _OOM_KILLED.search(line)
        if m:
            d["victim_pid"] = int(m.group("pid"))
            d["victim_comm"] = m.group("comm")
            for key, grp in (("total_vm_kb", "vm"), ("anon_rss_kb", "anon")):
                if m.group(grp) is not None:
                    d[key] = int(m.group(grp))
            for key, grp in (("file_rss_kb", "file"), ("shmem_rss_kb", "shmem")):
                if m.group(grp) is not None:
                    d[key] = int(m.group(grp))
            if m.group("adj") is not None:
                d["oom_score_adj"] = int(m.group("adj"))
            m2 = _OOM_UID.search(line, m.end("comm"))
            if m2:
                d["victim_uid"] = int(m2.group("uid"))
            m2 = _OOM_PGTABLES.search(line, m.end("comm"))
            if m2:
                d["pgtables_kb"] = int(m2.group("kb"))
            if "Memory cgroup" in line:
                d.setdefault("constraint", "CONSTRAINT_MEMCG")
            continue
        if _OOM_NONE_KILLABLE in line:  # mm/oom_kill.c: out_of_memory() chose no victim
            d["no_killable"] = True
            continue
        m = _OOM_KILL_OLD.search(line)
        if m:
            d.setdefault("victim_pid", int(m.group("pid")))
            d.setdefault("victim_comm", m.group("comm"))
            if "Memory cgroup" in line:
                d.setdefault("constraint", "CONSTRAINT_MEMCG")
    return d


def mce_details(lines: Sequence[str]) -> Dict[str, Any]:
    d: Dict[str, Any] = {}
    for line in lines:
        m = _MCE_BANK.search(line)
        if m and "bank" not in d:
            d["cpu"] = int(m.group("cpu"))
            d["bank"] = int(m.group("bank"))
            d["status"] = "0x" + m.group("status").lower()
            continue
        m = _MCE_ADDR.search(line)
        if m and "address" not in d and "Hardware Error" in line:
            d["address"] = "0x" + m.group("addr").lower()
        m = _GHES_SEV.search(line)
        if m and "severity" not in d:
            d["severity"] = m.group("sev")
        m = _GHES_SRC.search(line)
        if m and "source" not in d:
            d["source"] = "APEI GHES " + m.group("src")
        m = _EDAC.search(line)
        if m and "edac" not in d:
            d["edac"] = m.group("mc")
            d.setdefault("severity", "corrected" if m.group("sev") == "CE" else "uncorrected")
        if "fatal" in line.lower() and "Fatal" in line and "severity" not in d:
            d["severity"] = "fatal"
    return d


def io_details(lines: Sequence[str]) -> Dict[str, Any]:
    d: Dict[str, Any] = {}
    count = 0
    for line in lines:
        m = _IO.search(line)
        if m:
            count += 1
            if "device" not in d:
                d["device"] = m.group("dev")
                d["sector"] = int(m.group("sector"))
                if m.group("op"):
                    d["op"] = m.group("op")
            continue
        m = _BUFFER_IO.search(line)
        if m:
            count += 1
            d.setdefault("device", m.group("dev"))
            d.setdefault("logical_block", int(m.group("block")))
            continue
        m = _NVME_IO.search(line)
        if m:
            count += 1
            d.setdefault("device", m.group("dev"))
            d.setdefault("sector", int(m.group("lba")))
    d["errors"] = count
    return d


DETAILS = {"oom_kill": oom_details, "mce": mce_details, "io_error": io_details}
