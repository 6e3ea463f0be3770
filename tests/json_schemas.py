"""The published JSON Schemas (doc/schemas/) as validators for tests.

`validate(name, doc)` checks a document against doc/schemas/NAME.schema.json as published
(open: unknown fields allowed, as consumers must allow them). With `strict=True` every
object description (`"type": "object"` with its properties) is closed first
(`additionalProperties: false`), so a field kcrashd writes but the schema does not describe
fails: the schemas stay complete.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any, Dict, List

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMAS = Path(__file__).resolve().parents[1] / "doc" / "schemas"
BASE = "https://kcrashd.org/schemas/"


def load_all() -> Dict[str, dict]:
    """Schema name (file name without .schema.json) -> schema document."""
    return {
        p.name[: -len(".schema.json")]: json.loads(p.read_text())
        for p in sorted(SCHEMAS.glob("*.schema.json"))
    }


def _close(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _close(v) for k, v in node.items()}
        # Object descriptions only: not the property lists of if/then conditions.
        described = node.get("type") == "object" and "properties" in node
        if described and "additionalProperties" not in node:
            node["additionalProperties"] = False
    elif isinstance(node, list):
        node = [_close(v) for v in node]
    return node


@cache
def _validator(name: str, strict: bool) -> Draft7Validator:
    schemas = load_all()
    if strict:
        schemas = {n: _close(copy.deepcopy(s)) for n, s in schemas.items()}
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT7))
        for s in schemas.values()
    )
    return Draft7Validator(schemas[name], registry=registry)


def errors(name: str, doc: Any, strict: bool = True) -> List[str]:
    """Every way `doc` breaks schema `name`, as readable lines (empty when it is valid)."""
    found = sorted(_validator(name, strict).iter_errors(doc), key=lambda e: list(e.path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in found]


def validate(name: str, doc: Any, strict: bool = True) -> None:
    problems = errors(name, doc, strict)
    assert not problems, f"{name}.schema.json:\n" + "\n".join(problems[:20])
