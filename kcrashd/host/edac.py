"""EDAC memory controllers: /sys/devices/system/edac/mc/mc*/ counters and DIMM/rank/csrow
breakdown. A missing mc directory means no EDAC (no driver, non-ECC RAM, a VM)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

from kcrashd.host.root import Root
from kcrashd.host.sysfs import read_int_or_none

EDAC_MC = "/sys/devices/system/edac/mc"


@dataclass(frozen=True)
class Controller:
    name: str  # mc0
    mc_name: str  # driver's name for it
    ce: int
    ue: int
    modules: Tuple[Tuple[str, int, int], ...] = ()  # (label, ce, ue) per dimm/rank/csrow channel


def edac_available(root: Root) -> bool:
    return root.is_dir(EDAC_MC)


def _label(root: Root, path: str, fallback: str) -> str:
    text = root.read_value(path) if root.exists(path) else None
    return (text or "").replace("#", "").strip() or fallback


def read_controllers(root: Root) -> List[Controller]:
    out = []
    for mc in root.glob(f"{EDAC_MC}/mc[0-9]*"):
        name = mc.rsplit("/", 1)[1]
        ce, ue = read_int_or_none(root, f"{mc}/ce_count"), read_int_or_none(root, f"{mc}/ue_count")
        if ce is None and ue is None:
            continue
        modules: List[Tuple[str, int, int]] = []
        for d in root.glob(f"{mc}/dimm[0-9]*") + root.glob(f"{mc}/rank[0-9]*"):
            leaf = d.rsplit("/", 1)[1]
            modules.append(
                (
                    _label(root, f"{d}/dimm_label", f"{name}/{leaf}"),
                    read_int_or_none(root, f"{d}/dimm_ce_count") or 0,
                    read_int_or_none(root, f"{d}/dimm_ue_count") or 0,
                )
            )
        if not modules:  # legacy csrow layout: per channel CE counts
            for row in root.glob(f"{mc}/csrow[0-9]*"):
                leaf = row.rsplit("/", 1)[1]
                for ch in root.glob(f"{row}/ch[0-9]*_ce_count"):
                    chan = ch.rsplit("/", 1)[1][: -len("_ce_count")]
                    label = _label(root, f"{row}/{chan}_dimm_label", f"{name}/{leaf}/{chan}")
                    modules.append((label, read_int_or_none(root, ch) or 0, 0))
        mc_name = root.read_value(f"{mc}/mc_name") if root.exists(f"{mc}/mc_name") else None
        out.append(Controller(name, mc_name or name, ce or 0, ue or 0, tuple(modules)))
    return out


def counts(controllers: List[Controller]) -> Dict[str, Tuple[int, int]]:
    return {c.name: (c.ce, c.ue) for c in controllers}


def module_counts(c: Controller) -> Dict[str, Tuple[int, int]]:
    return {label: (ce, ue) for label, ce, ue in c.modules}


__all__ = ["Controller", "edac_available", "read_controllers", "counts", "module_counts"]
