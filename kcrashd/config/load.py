"""Loading: YAML files into the typed schema (kcrashd.config.schema).

`/etc/kcrashd/kcrashd.yaml` and then `conf.d/*.yaml` in lexical order are loaded with a
safe YAML loader and deep-merged. Unknown keys and bad values (kcrashd.config.rules) are
errors; every error is reported at once with the file and key it came from.

A file is hostile input until proven otherwise: it must be a regular file (a FIFO, device or
directory is refused without being opened, so nothing blocks), at most MAX_DOCUMENT_BYTES,
without YAML aliases (billion laughs) and nested at most MAX_DEPTH deep. The main file may
be absent only at its default path; a `--config` naming a missing file is an error.
"""

from __future__ import annotations

import math
import os
import stat
import typing
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from kcrashd.config.constants import DEFAULT_CONFIG_PATH

if TYPE_CHECKING:
    from kcrashd.config.schema import Config

# The schema and the validation table (kcrashd.config.rules) are imported when used: the
# command line needs only the default path; `kcrashd check` on the defaults neither.
# sha256 of etc/kcrashd/kcrashd.yaml, the shipped file: the built-in defaults written out
# (tests/unit/test_registries.py checks both: regenerate the file, then this digest).
SHIPPED_SHA256 = "9901286e7e99b8ff42393ecc45822cbde9be45503139068ffa7b4eced1fb9f59"
MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_DROP_INS = 1000
MAX_INT = 2**63 - 1  # what SQLite and the kernel interfaces take


class ConfigError(Exception):
    """All problems found in a configuration, one per line."""

    def __init__(self, errors: List[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


def config_files(path: str = DEFAULT_CONFIG_PATH, required: Optional[bool] = None) -> List[str]:
    """The main file and then its conf.d drop-ins in lexical order. The main file is left
    out when it is absent and not `required` (by default: required unless it is the default
    path); a required file is listed anyway, so that loading it reports it missing."""
    if required is None:
        required = path != DEFAULT_CONFIG_PATH
    files = [path] if required or _lexists(path) else []
    drop_dir = os.path.join(os.path.dirname(path), "conf.d")
    try:
        names = sorted(n for n in os.listdir(drop_dir) if n.endswith((".yaml", ".yml")))
    except (OSError, ValueError):
        names = []
    return files + [os.path.join(drop_dir, n) for n in names[:MAX_DROP_INS]]


def load_unless_default(path: str = DEFAULT_CONFIG_PATH) -> Optional[Config]:
    """None when the configuration is the built-in defaults as written: no file at all, or
    only the main file, empty or exactly as shipped (SHIPPED_SHA256), with no drop-ins; else
    load(path). A caller that reads few options (`kcrashd check`) then needs neither
    PyYAML nor the schema."""
    files = config_files(path)
    if files == [path]:
        text, problem = _read_limited(path)
        if not problem and (not text or _sha256(text) == SHIPPED_SHA256):
            return None
    return load(path) if files else None


def _sha256(text: str) -> str:
    from kcrashd.parse.digest import sha256_hex  # not hashlib: OpenSSL costs ~10 ms to load

    return sha256_hex(text.encode("utf-8"))


def load(path: str = DEFAULT_CONFIG_PATH) -> Config:
    """Load and validate; raises ConfigError listing every problem. The one judge of a
    configuration: `config check`, `run` and a reload all call it."""
    from kcrashd.config.schema import Config

    errors: List[str] = []
    merged: Dict[str, Any] = {}
    origin: Dict[str, str] = {}
    for file in config_files(path):
        data, problem = read_document(file)
        file = shown_path(file)  # messages stay one short line
        if problem:
            errors.append(f"{file}: {problem}")
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            errors.append(f"{file}: top level must be a mapping, not {type(data).__name__}")
            continue
        _merge(merged, data, origin, file, "")
    if not merged and not errors:
        # Nothing set (no file, or only empty ones): the built-in defaults, which are valid
        # (tests/unit/config), without the validation table (`kcrashd check` starts faster).
        return Config()
    config = build(Config, merged, origin, errors)
    _check_order(config, origin, errors)
    if errors:
        raise ConfigError(errors)
    return config


def shown_path(path: str, limit: int = 200) -> str:
    return path if len(path) <= limit else f"{path[:100]}...{path[-60:]}"


def read_document(file: str) -> Tuple[Any, Optional[str]]:
    """(the parsed YAML, None) or (None, what is wrong with the file)."""
    import yaml  # imported here: `kcrashd parse` must not need it

    from kcrashd.config.yaml_loader import LimitedLoader

    text, problem = _read_limited(file)
    if problem:
        return None, problem
    loader = LimitedLoader(text, MAX_DEPTH)
    try:
        return loader.get_single_data(), None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return None, f"invalid YAML: {_one_line(exc.problem or exc)}{where}"
    except yaml.YAMLError as exc:
        return None, f"invalid YAML: {_one_line(exc)}"
    finally:
        loader.dispose()


def _is_dev_null(st: os.stat_result) -> bool:
    """The null device (char 1:3 on Linux), whatever its path: empty, never blocks."""
    return stat.S_ISCHR(st.st_mode) and (os.major(st.st_rdev), os.minor(st.st_rdev)) == (1, 3)


def _read_limited(file: str) -> Tuple[str, Optional[str]]:
    try:
        st = os.stat(file)
    except ValueError:
        return "", "path contains a NUL byte"
    except FileNotFoundError:
        return "", "does not exist"
    except OSError as exc:
        return "", f"cannot read: {exc.strerror or exc}"
    if _is_dev_null(st):
        return "", None  # `--config /dev/null`: the usual way to say "no file, defaults"
    if not stat.S_ISREG(st.st_mode):
        return "", f"not a regular file ({_kind(st.st_mode)}): refused unopened"
    if st.st_size > MAX_DOCUMENT_BYTES:
        return "", f"larger than {MAX_DOCUMENT_BYTES} bytes ({st.st_size})"
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after the stat, open() still
        # returns at once; the fstat below then refuses it.
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        return "", f"cannot read: {exc.strerror or exc}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "", "not a regular file: refused"
        data = os.read(fd, MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        return "", f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)
    if len(data) > MAX_DOCUMENT_BYTES:
        return "", f"larger than {MAX_DOCUMENT_BYTES} bytes"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", f"not UTF-8 text (byte {exc.start})"


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a file"


def _lexists(path: str) -> bool:
    try:
        return os.path.lexists(path)
    except ValueError:  # a NUL byte: load() reports it
        return True


def _check_order(config: Config, origin: Dict[str, str], errors: List[str]) -> None:
    import dataclasses  # only with a config file: `kcrashd check` runs without one

    from kcrashd.config import rules

    flat: Dict[str, Any] = {}
    _flatten(dataclasses.asdict(config), "", flat)
    for key, problem in rules.order_problems(flat):
        errors.append(f"{origin.get(key) or _section_origin(origin, key)}: {key}: {problem}")


def _section_origin(origin: Dict[str, str], key: str) -> str:
    """The file that set a key's section (or any key in it), for a problem of two keys."""
    section = key.rsplit(".", 1)[0]
    for k, file in origin.items():
        if k.startswith(section + "."):
            return file
    return "<config>"


def _flatten(tree: Dict[str, Any], prefix: str, out: Dict[str, Any]) -> None:
    for k, v in tree.items():
        if isinstance(v, dict) and k != "severity":
            _flatten(v, f"{prefix}{k}.", out)
        else:
            out[prefix + k] = v


def from_dict(data: Dict[str, Any], source: str = "<dict>") -> Config:
    """Build a Config from one mapping (tests, drop-in previews)."""
    from kcrashd.config.schema import Config

    errors: List[str] = []
    origin: Dict[str, str] = {}
    merged: Dict[str, Any] = {}
    _merge(merged, data, origin, source, "")
    config = build(Config, merged, origin, errors)
    _check_order(config, origin, errors)
    if errors:
        raise ConfigError(errors)
    return config


def _one_line(exc: Any) -> str:
    return " ".join(str(exc).split())[:300]


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
    import dataclasses  # only with a config file: `kcrashd check` runs without one

    from kcrashd.config import rules  # the validation table: only when there is a value

    def where(key: str) -> str:
        file = origin.get(key) or origin.get(prefix.rstrip(".")) or "<config>"
        return f"{file}: {rules.short_key(key)}"

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
    for name in fields:
        if name not in data:
            continue
        key = prefix + name
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            values[name] = build(hint, data[name], origin, errors, key + ".")
            continue
        value, problem = _coerce(data[name], hint)
        problem = problem or rules.value_problem(key, value)
        if problem:
            errors.append(f"{where(key)}: {problem}")
        else:
            values[name] = value
    return cls(**values)


def _coerce(value: Any, hint: Any) -> Tuple[Any, Optional[str]]:
    from kcrashd.config import rules

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:  # Optional[X]
        if value is None:
            return None, None
        hint = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is bool:
        if not isinstance(value, bool):
            return None, f"must be true or false, not {rules.short(value)}"
        return value, None
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"must be a number, not {rules.short(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return None, f"must be a finite number, not {value!r}"
        if abs(value) > MAX_INT:
            return None, f"must be at most {MAX_INT}, not {rules.short(value)}"
        if hint is int and not float(value).is_integer():
            return None, f"must be a whole number, not {value!r}"
        return hint(value), None
    if hint is str:
        if not isinstance(value, str):
            return None, f"must be a string, not {rules.short(value)}"
        return value, None
    if origin in (list, List):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, f"must be a list of strings, not {rules.short(value)}"
        return list(value), None
    if origin in (dict, Dict):
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            return None, f"must be a mapping of strings, not {rules.short(value)}"
        return dict(value), None
    return None, f"unsupported option type {hint!r}"
