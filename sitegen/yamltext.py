"""YAML mappings read together with the line each key stands on.

Both site.yaml and front matter need "which line is this key on" for their messages;
PyYAML's composer keeps the marks that `safe_load` throws away.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import yaml

# The C loader is several times faster, which matters at 100 000 articles; same results.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class YamlMapping:
    data: MappingProxyType[str, Any]
    lines: MappingProxyType[str, int]  # key -> 1-based line within the YAML text


class YamlShapeError(ValueError):
    """The YAML parsed but is not a mapping at its top level."""

    def __init__(self, kind: str, line: int) -> None:
        super().__init__(kind)
        self.kind = kind
        self.line = line


def load_mapping(text: str) -> YamlMapping:
    """Parse `text` as a YAML mapping; raises yaml.YAMLError or YamlShapeError.

    An empty document is an empty mapping.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlMapping(MappingProxyType({}), MappingProxyType({}))
        if not isinstance(node, yaml.MappingNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            raise YamlShapeError(kind, node.start_mark.line + 1)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    lines = {
        str(key.value): key.start_mark.line + 1
        for key, _ in node.value
        if isinstance(key, yaml.ScalarNode)
    }
    data = {str(k): v for k, v in data.items()}
    return YamlMapping(MappingProxyType(data), MappingProxyType(lines))


def error_line(exc: yaml.YAMLError) -> int | None:
    """The 1-based line of a YAML error within its text, where PyYAML knows it."""
    # The context mark is where the broken construct began (the key an editor must fix);
    # the problem mark is where the parser gave up, often a line later.
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None


def error_text(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    parts = [p for p in (context, problem) if p]
    return "; ".join(parts) if parts else str(exc).splitlines()[0]
