"""A safe YAML loader for configuration files: no aliases, bounded nesting.

yaml.SafeLoader constructs only plain types, but it still expands aliases (a "billion
laughs" document of a few hundred bytes becomes gigabytes) and composes nested collections
by recursion (10,000 levels end in RecursionError). A config needs neither: an alias is
refused and so is nesting deeper than `max_depth`, each with the key where it was found.
"""

from __future__ import annotations

from typing import Any, List

import yaml
from yaml.events import AliasEvent
from yaml.nodes import ScalarNode


class LimitedLoader(yaml.SafeLoader):
    def __init__(self, stream: Any, max_depth: int) -> None:
        super().__init__(stream)
        self.max_depth = max_depth
        self._keys: List[str] = []

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        # `index` is the key node when composing a mapping's value, an int in a sequence
        key = index.value if isinstance(index, ScalarNode) else "" if index is None else index
        self._keys.append(str(key))
        try:
            where = ".".join(k for k in self._keys[1:] if k) or "(top level)"
            if self.check_event(AliasEvent):
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"{where}: YAML aliases (*name) are not allowed", mark
                )
            if len(self._keys) > self.max_depth:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"{where[:120]}: nested deeper than {self.max_depth}", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._keys.pop()
