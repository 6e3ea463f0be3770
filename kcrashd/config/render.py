"""Rendering: a Config as a dict, or as the commented YAML that ships in /etc/kcrashd."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional

from kcrashd.config.schema import Config


def to_dict(config: Any) -> Dict[str, Any]:
    return dataclasses.asdict(config)


def render_yaml(config: Optional[Config] = None, commented: bool = True) -> str:
    """YAML for `config` (defaults when None), with each option's doc as a comment."""
    lines: List[str] = []
    if commented:
        lines += [
            "# kcrashd configuration. Every option is listed with its built-in default.",
            "# Drop-ins in /etc/kcrashd/conf.d/*.yaml are merged over this file in lexical order.",
            "# 'kcrashd config check' validates; 'systemctl reload kcrashd' applies.",
        ]
    _render(config or Config(), 0, lines, commented)
    return "\n".join(lines) + "\n"


def _render(obj: Any, indent: int, lines: List[str], commented: bool) -> None:
    pad = "  " * indent
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            if indent == 0 and lines:
                lines.append("")
            lines.append(f"{pad}{f.name}:")
            _render(value, indent + 1, lines, commented)
            continue
        if commented and f.metadata.get("doc"):
            lines.append(f"{pad}# {f.metadata['doc']}")
        lines.append(f"{pad}{f.name}: {_scalar(value)}")


def _scalar(value: Any) -> str:
    import json

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    # JSON strings, lists and mappings are valid YAML flow scalars.
    return json.dumps(value)
