"""Loading: YAML files into the typed schema (kcrashd.config.schema).

`/etc/kcrashd/kcrashd.yaml` and then `conf.d/*.yaml` in lexical order are loaded with
`yaml.safe_load` and deep-merged. Unknown keys and bad values are errors; every error is
reported at once with the file and key it came from.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from typing import Any, Dict, List, Optional, Tuple

from kcrashd.config.schema import DEFAULT_CONFIG_PATH, Config


class ConfigError(Exception):
    """All problems found in a configuration, one per line."""

    def __init__(self, errors: List[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


def config_files(path: str = DEFAULT_CONFIG_PATH) -> List[str]:
    """The main file (when it exists) and then its conf.d drop-ins in lexical order."""
    files = [path] if os.path.exists(path) else []
    drop_dir = os.path.join(os.path.dirname(path), "conf.d")
    try:
        names = sorted(n for n in os.listdir(drop_dir) if n.endswith((".yaml", ".yml")))
    except OSError:
        names = []
    return files + [os.path.join(drop_dir, n) for n in names]


def load(path: str = DEFAULT_CONFIG_PATH) -> Config:
    """Load and validate; raises ConfigError listing every problem."""
    import yaml  # imported here: `kcrashd parse` must not need it

    errors: List[str] = []
    merged: Dict[str, Any] = {}
    origin: Dict[str, str] = {}
    for file in config_files(path):
        try:
            with open(file, encoding="utf-8") as f:
                data = yaml.safe_load(f)
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{file}: cannot read: {exc}")
            continue
        except yaml.YAMLError as exc:
            errors.append(f"{file}: invalid YAML: {_one_line(exc)}")
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            errors.append(f"{file}: top level must be a mapping, not {type(data).__name__}")
            continue
        _merge(merged, data, origin, file, "")
    config = build(Config, merged, origin, errors)
    if errors:
        raise ConfigError(errors)
    return config


def from_dict(data: Dict[str, Any], source: str = "<dict>") -> Config:
    """Build a Config from one mapping (tests, drop-in previews)."""
    errors: List[str] = []
    origin: Dict[str, str] = {}
    merged: Dict[str, Any] = {}
    _merge(merged, data, origin, source, "")
    config = build(Config, merged, origin, errors)
    if errors:
        raise ConfigError(errors)
    return config


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _merge(
    into: Dict[str, Any], data: Dict[str, Any], origin: Dict[str, str], file: str, prefix: str
) -> None:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, origin, file, dotted + ".")
        else:
            into[key] = _copy_tree(value)
            _mark(origin, value, file, dotted)


def _copy_tree(value: Any) -> Any:
    return {k: _copy_tree(v) for k, v in value.items()} if isinstance(value, dict) else value


def _mark(origin: Dict[str, str], value: Any, file: str, dotted: str) -> None:
    origin[dotted] = file
    if isinstance(value, dict):
        for k, v in value.items():
            _mark(origin, v, file, f"{dotted}.{k}")


def build(cls: type, data: Any, origin: Dict[str, str], errors: List[str], prefix: str = "") -> Any:
    """Build dataclass `cls` from `data`, appending every problem to `errors`."""

    def where(key: str) -> str:
        return f"{origin.get(key) or origin.get(prefix.rstrip('.')) or '<config>'}: {key}"

    if not isinstance(data, dict):
        errors.append(f"{where(prefix.rstrip('.'))}: must be a mapping")
        return cls()
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            known = ", ".join(sorted(fields))
            errors.append(f"{where(prefix + str(key))}: unknown key (known: {known})")
    values: Dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            continue
        key = prefix + name
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            values[name] = build(hint, data[name], origin, errors, key + ".")
            continue
        value, problem = _coerce(data[name], hint, f.metadata)
        if problem:
            errors.append(f"{where(key)}: {problem}")
        else:
            values[name] = value
    return cls(**values)


def _coerce(value: Any, hint: Any, meta: Any) -> Tuple[Any, Optional[str]]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:  # Optional[X]
        if value is None:
            return None, None
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is bool:
        if not isinstance(value, bool):
            return None, f"must be true or false, not {value!r}"
        return value, None
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"must be a number, not {value!r}"
        if hint is int and not float(value).is_integer():
            return None, f"must be a whole number, not {value!r}"
        value = hint(value)
        minimum = meta.get("minimum")
        if minimum is not None and value < minimum:
            return None, f"must be at least {minimum}, not {value!r}"
        return value, None
    if hint is str:
        if not isinstance(value, str):
            return None, f"must be a string, not {value!r}"
        choices = meta.get("choices")
        if choices and value not in choices:
            return None, f"must be one of {', '.join(choices)}, not {value!r}"
        return value, None
    if origin in (list, List):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, f"must be a list of strings, not {value!r}"
        return list(value), None
    if origin in (dict, Dict):
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            return None, f"must be a mapping of strings, not {value!r}"
        return dict(value), None
    return None, f"unsupported option type {hint!r}"
