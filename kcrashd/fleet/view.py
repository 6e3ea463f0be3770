"""The fleet view: kcrashd alerts of many hosts folded into crashes and readiness.

Crashes (crash_report, crash_repeated, previous_boot_crashed) are grouped by signature:
title, kind, guilty function and module, hosts, boots, kernels, first and last seen. A crash
whose first kernel is newer than any it was seen on, on hosts that ran another kernel
before, is "new in <kernel>". Readiness is each host's latest word: the start-up summary
(which checks are CRIT and WARN) updated by the changes after it.

Memory is bounded by signatures x hosts (and hosts x kernels, hosts x failing checks), never
by the number of alerts: boots are counted as they go by (a host's alerts come in time
order, so a boot is new when it differs from the last one that host had for the signature),
not remembered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Set

from kcrashd.checks.job import parse_changes
from kcrashd.fleet.entries import CRASH_TYPES, AlertEntry

SCHEMA = 1
NOT_NAMED = "?"  # a readiness summary that counts CRIT checks without naming them
_ABSENT = ("", "-", "unknown")


def _value(fields: Dict[str, str], key: str) -> Optional[str]:
    value = fields.get(key)
    return None if value is None or value in _ABSENT else value


def _earliest(times: Dict[str, float], key: str, when: float) -> None:
    if key not in times or when < times[key]:
        times[key] = when


def _ids(text: Optional[str]) -> List[str]:
    return [c for c in (text or "").split(",") if c]


class CrashGroup:
    """One signature across the fleet."""

    __slots__ = (
        "signature", "title", "kind", "function", "module", "first", "last", "alerts",
        "boots", "host_boot", "kernel_hosts", "kernel_first",
    )  # fmt: skip

    def __init__(self, signature: str, when: float) -> None:
        self.signature = signature
        self.title: Optional[str] = None
        self.kind: Optional[str] = None
        self.function: Optional[str] = None
        self.module: Optional[str] = None
        self.first = when
        self.last = when
        self.alerts = 0
        self.boots = 0
        self.host_boot: Dict[int, str] = {}  # host -> the last boot seen with this crash
        self.kernel_hosts: Dict[str, Set[int]] = {}
        self.kernel_first: Dict[str, float] = {}

    def add(self, host: int, boot: str, fields: Dict[str, str], when: float) -> None:
        self.alerts += 1
        self.first = min(self.first, when)
        self.last = max(self.last, when)
        for key in ("title", "kind", "function", "module"):
            if getattr(self, key) is None:
                setattr(self, key, _value(fields, key))
        if self.host_boot.get(host) != boot:
            self.boots += 1
            self.host_boot[host] = boot
        kernel = _value(fields, "kernel")
        if kernel:
            self.kernel_hosts.setdefault(kernel, set()).add(host)
            _earliest(self.kernel_first, kernel, when)


@dataclass
class Host:
    machine: str
    hostname: Optional[str]
    last_seen: float
    kernels: Dict[str, float]  # release -> first seen on this host
    bad_checks: Optional[Dict[str, str]] = None  # check -> CRIT/WARN; None: no readiness word


class FleetView:
    """Feed it alerts in journal order with add(); document() is the result."""

    def __init__(self) -> None:
        self.hosts: List[Host] = []
        self._index: Dict[str, int] = {}
        self.groups: Dict[str, CrashGroup] = {}
        self.kernel_first: Dict[str, float] = {}  # release -> first seen in the fleet
        self.first: Optional[float] = None
        self.last: Optional[float] = None

    def add_all(self, entries: Iterable[AlertEntry]) -> FleetView:
        for entry in entries:
            self.add(entry)
        return self

    def add(self, entry: AlertEntry) -> None:
        when = entry.realtime
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)
        h = self._host(entry)
        if entry.type in CRASH_TYPES:
            self._crash(h, entry)
        elif entry.type == "readiness_summary":
            self._summary(h, entry)
        else:
            self._change(h, entry)

    def _host(self, entry: AlertEntry) -> int:
        h = self._index.get(entry.machine)
        if h is None:
            h = self._index[entry.machine] = len(self.hosts)
            self.hosts.append(Host(entry.machine, entry.hostname, entry.realtime, {}))
        host = self.hosts[h]
        if entry.realtime >= host.last_seen:
            host.last_seen = entry.realtime
            host.hostname = entry.hostname or host.hostname  # the newest name it goes by
        return h

    def _ran(self, h: int, kernel: Optional[str], when: float) -> None:
        """Host h ran `kernel` at `when`."""
        if kernel:
            _earliest(self.hosts[h].kernels, kernel, when)
            self._fleet_ran(kernel, when)

    def _fleet_ran(self, kernel: Optional[str], when: float) -> None:
        if kernel:
            _earliest(self.kernel_first, kernel, when)

    def _crash(self, h: int, entry: AlertEntry) -> None:
        f = entry.fields
        signature = _value(f, "signature") or f"{f.get('kind', '?')}:{f.get('title', '?')}"
        group = self.groups.get(signature)
        if group is None:
            group = self.groups[signature] = CrashGroup(signature, entry.realtime)
        boot = _value(f, "boot_id")
        if boot is None:
            # previous_boot_crashed of a boot the journal did not know: one per incident
            boot = f"incident:{f['incident']}" if f.get("incident") else entry.boot or "?"
        group.add(h, boot, f, entry.realtime)
        if entry.type == "crash_report" and boot == entry.boot:
            self._ran(h, _value(f, "kernel"), entry.realtime)  # a live report: this kernel ran
        else:
            # an earlier boot's kernel: the fleet ran it, no later than this
            self._fleet_ran(_value(f, "kernel"), entry.realtime)

    def _summary(self, h: int, entry: AlertEntry) -> None:
        f = entry.fields
        bad = {c: "WARN" for c in _ids(f.get("warn_checks"))}
        bad.update({c: "CRIT" for c in _ids(f.get("crit_checks"))})
        if "crit_checks" not in f and f.get("critical", "0") != "0":
            bad[NOT_NAMED] = "CRIT"
        self.hosts[h].bad_checks = bad
        self._ran(h, _value(f, "kernel"), entry.realtime)

    def _change(self, h: int, entry: AlertEntry) -> None:
        f = entry.fields
        moves = [(check, after) for check, _, after in parse_changes(f.get("changes"))]
        if not moves and f.get("check"):  # one alert per check (older kcrashd)
            moves = [(f["check"], f.get("status"))]
        if not moves:
            return
        host = self.hosts[h]
        if host.bad_checks is None:
            host.bad_checks = {}
        for check, status in moves:
            if status in ("CRIT", "WARN"):
                host.bad_checks[check] = status
            else:
                host.bad_checks.pop(check, None)

    # --- the result ------------------------------------------------------------------------

    def names(self) -> List[str]:
        """A display name per host: its hostname, with the machine id where names repeat."""
        count: Dict[str, int] = {}
        for host in self.hosts:
            if host.hostname:
                count[host.hostname] = count.get(host.hostname, 0) + 1
        out = []
        for host in self.hosts:
            name = host.hostname
            if not name:
                out.append(host.machine[:12])
            else:
                out.append(name if count[name] == 1 else f"{name} ({host.machine[:12]})")
        return out

    def new_in(self, group: CrashGroup) -> Optional[Dict[str, Any]]:
        """{"kernel", "hosts", "of"} when the crash came with a kernel: first seen on kernel
        K, never on a kernel the fleet ran before K, on `hosts` hosts that had run another
        kernel before K (of `of` hosts with the crash on K)."""
        if not group.kernel_first:
            return None
        kernel = min(group.kernel_first, key=lambda k: (group.kernel_first[k], k))
        since = self.kernel_first.get(kernel, group.kernel_first[kernel])
        for other in group.kernel_hosts:
            if other != kernel and self.kernel_first.get(other, since) < since:
                return None  # also seen on an older kernel: not new in this one
        changed = 0
        for h in group.kernel_hosts[kernel]:
            ran = self.hosts[h].kernels
            started = ran.get(kernel, group.kernel_first[kernel])
            if any(k != kernel and t < started for k, t in ran.items()):
                changed += 1
        if not changed:
            return None
        return {"kernel": kernel, "hosts": changed, "of": len(group.kernel_hosts[kernel])}

    def crashes(self, names: List[str]) -> List[Dict[str, Any]]:
        out = []
        for g in self.groups.values():
            out.append(
                {
                    "signature": g.signature,
                    "title": g.title,
                    "kind": g.kind,
                    "function": g.function,
                    "module": g.module,
                    "alerts": g.alerts,
                    "hosts": len(g.host_boot),
                    "boots": g.boots,
                    "kernels": [
                        {"kernel": k, "hosts": len(hs)}
                        for k, hs in sorted(
                            g.kernel_hosts.items(), key=lambda kv: g.kernel_first[kv[0]]
                        )
                    ],
                    "first_seen": g.first,
                    "last_seen": g.last,
                    "host_names": sorted(names[h] for h in g.host_boot),
                    "new_in": self.new_in(g),
                }
            )
        out.sort(key=lambda c: (-c["hosts"], -c["last_seen"], c["signature"]))
        return out

    def readiness(self, names: List[str]) -> Dict[str, Any]:
        by_check: Dict[str, Dict[str, List[str]]] = {}
        reporting = not_ready = 0
        for h, host in enumerate(self.hosts):
            if host.bad_checks is None:
                continue
            reporting += 1
            if "CRIT" in host.bad_checks.values():
                not_ready += 1
            for check, status in host.bad_checks.items():
                entry = by_check.setdefault(check, {"CRIT": [], "WARN": []})
                entry[status].append(names[h])
        checks = [
            {
                "check": check,
                "crit": len(v["CRIT"]),
                "warn": len(v["WARN"]),
                "crit_hosts": sorted(v["CRIT"]),
                "warn_hosts": sorted(v["WARN"]),
            }
            for check, v in by_check.items()
        ]
        checks.sort(key=lambda c: (-c["crit"], -c["warn"], c["check"]))
        return {"hosts_reporting": reporting, "not_ready": not_ready, "checks": checks}

    def document(self) -> Dict[str, Any]:
        """The --json document (schema 1); the text output renders the same facts."""
        names = self.names()
        crashes = self.crashes(names)
        crashed_hosts: Set[int] = set()
        for g in self.groups.values():
            crashed_hosts.update(g.host_boot)
        return {
            "schema": SCHEMA,
            "hosts": len(self.hosts),
            "hosts_with_crashes": len(crashed_hosts),
            "first_alert": self.first,
            "last_alert": self.last,
            "crashes": crashes,
            "readiness": self.readiness(names),
        }
