"""YAML mappings read strictly, together with the line each key stands on.

Both site.yaml and front matter need "which line is this key on" for their messages;
PyYAML's composer keeps the marks that `safe_load` throws away. The C parser composes the
node tree and this module turns it into values in one walk, instead of PyYAML's constructor,
so that whatever sitegen refuses is found with its line before any value is used (issue 13):

- anchors and aliases: nine lines of them stand for 387 million values;
- a key given twice: PyYAML keeps the last one without a word;
- tags other than YAML's plain types (!!set, !!binary, !!python/..., !custom);
- timestamps that are not real dates (2020-02-30): PyYAML's constructor raises ValueError;
- characters XML 1.0 forbids: they would make the feeds ill-formed.

Every refusal is a `YamlRefused`, a yaml.YAMLError with a mark, so a caller that reports
YAML syntax errors with their line reports these too; its `issues` lists all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

import yaml

# The C loader is several times faster, which matters at 100 000 articles; same results.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG: Final = "tag:yaml.org,2002:"
_STR, _NULL, _SEQ, _MAP = (_TAG + name for name in ("str", "null", "seq", "map"))
_BOOL, _INT, _FLOAT, _TIMESTAMP = (_TAG + name for name in ("bool", "int", "float", "timestamp"))
_KINDS: Final = {_BOOL: "true or false", _INT: "a number", _FLOAT: "a number",
                 _TIMESTAMP: "a date"}  # fmt: skip
# What PyYAML's reader refuses anywhere in a stream (yaml.reader.Reader.NON_PRINTABLE); it
# stops at the first with a byte offset, so the text is searched here first, for every one.
_UNREADABLE: Final = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# What XML 1.0 forbids: C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF.
XML_FORBIDDEN: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A double-quoted scalar's escapes: the only way a forbidden character gets past the reader.
_ESCAPE: Final = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)
# A top-level `key:` line, to name the key of a line the reader refused.
_TOP_KEY: Final = re.compile(
    r"""^["']?([^\s#'"\-?:][^:'"]*)["']?[ \t]*:(?:[ \t]|$)""", re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class AsWritten:
    """A scalar under a text key that YAML would read as another type; kept as written."""

    key: str
    line: int
    text: str  # the scalar as it stands in the file: 0x1F, 1.10, yes
    kind: str  # what YAML would have read: "a number", "true or false", "a date"


@dataclass(frozen=True, slots=True)
class YamlMapping:
    data: MappingProxyType[str, Any]
    lines: MappingProxyType[str, int]  # key -> line, counted from `first_line`
    as_written: tuple[AsWritten, ...] = ()


class YamlShapeError(ValueError):
    """The YAML parsed but is not a mapping at its top level."""

    def __init__(self, kind: str, line: int) -> None:
        super().__init__(kind)
        self.kind = kind
        self.line = line


class YamlRefused(yaml.MarkedYAMLError):
    """The YAML holds what sitegen refuses; `issues` is every (line, message), in order."""

    def __init__(self, issues: list[tuple[int, str]]) -> None:
        line, message = issues[0]
        super().__init__(problem=message, problem_mark=_mark(line))
        self.issues = tuple(issues)


def load_mapping(
    text: str,
    *,
    first_line: int = 1,
    where: str = "this file",
    text_keys: Collection[str] = (),
) -> YamlMapping:
    """Parse `text` as a YAML mapping; raises yaml.YAMLError (YamlRefused among them) or
    YamlShapeError. An empty document is an empty mapping.

    `first_line` is the line of the file `text` starts on: every line reported, in the
    result and in errors' marks, is a line of that file. `where` names the text in messages.
    Scalars under a top-level key in `text_keys` (or in its list) are kept as written:
    `title: 0x1F` is "0x1F", not 31; each that YAML would have typed is in `as_written`.
    """
    _refuse_unreadable(text, first_line)
    loader = _Loader(text)
    try:
        if "&" in text or "*" in text:  # no anchor or alias can exist without one of them
            _refuse_anchors(text, first_line, where)
        node = loader.get_single_node()
        if node is None:
            return YamlMapping(MappingProxyType({}), MappingProxyType({}))
        if not isinstance(node, yaml.MappingNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            raise YamlShapeError(kind, node.start_mark.line + first_line)
        walk = _Walk(loader, text, first_line, where)
        data, lines = walk.mapping(node, None, frozenset(text_keys))
    except YamlRefused:
        raise
    except yaml.MarkedYAMLError as exc:
        raise _shifted(exc, first_line - 1) from None
    finally:
        loader.dispose()
    if walk.issues:
        raise YamlRefused(walk.issues)
    return YamlMapping(MappingProxyType(data), MappingProxyType(lines), tuple(walk.as_written))


def error_line(exc: yaml.YAMLError) -> int | None:
    """The line of a YAML error, counted from load_mapping's `first_line`, where known."""
    # The context mark is where the broken construct began (the key an editor must fix);
    # the problem mark is where the parser gave up, often a line later.
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None


def error_text(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    parts = [p for p in (context, problem) if p]
    return "; ".join(parts) if parts else str(exc).splitlines()[0]


def char_message(owner: str, char: str, column: int) -> str:
    """What to say about a character that cannot be read or cannot go into XML."""
    code = ord(char)
    kind = "control character" if code < 0x20 or 0x7F <= code <= 0x9F else "character"
    return f"{owner} holds the {kind} U+{code:04X} at column {column}: remove it"


def _mark(line: int) -> yaml.Mark:
    return yaml.Mark("<yaml>", 0, line - 1, 0, None, None)


def _shifted(exc: yaml.MarkedYAMLError, by: int) -> yaml.MarkedYAMLError:
    for name in ("context_mark", "problem_mark"):
        mark = getattr(exc, name, None)
        if mark is not None and by:
            moved = yaml.Mark(mark.name, mark.index, mark.line + by, mark.column, None, None)
            setattr(exc, name, moved)
    return exc


def _position(text: str, index: int, first_line: int) -> tuple[int, int]:
    """(file line, 1-based column) of a character index into `text`."""
    return first_line + text.count("\n", 0, index), index - text.rfind("\n", 0, index)


def _refuse_unreadable(text: str, first_line: int) -> None:
    issues, seen = [], set()
    for found in _UNREADABLE.finditer(text):
        line, column = _position(text, found.start(), first_line)
        if line not in seen:  # the first on each line is enough to find the rest
            seen.add(line)
            key = _top_key_before(text, found.start())
            owner = repr(key) if key else "this line"
            issues.append((line, char_message(owner, found.group(), column)))
    if issues:
        raise YamlRefused(issues)


def _top_key_before(text: str, index: int) -> str | None:
    """The top-level key whose value holds `index`, by the look of the lines: the text
    cannot be parsed (it holds characters PyYAML refuses), so this is a best guess."""
    end = text.find("\n", index)
    keys = _TOP_KEY.findall(text, 0, len(text) if end < 0 else end)
    return keys[-1].strip() if keys else None


def _refuse_anchors(text: str, first_line: int, where: str) -> None:
    """Refuse anchors and aliases from the events, before anything is composed."""
    issues, seen = [], set()
    for event in yaml.parse(text, Loader=_Loader):
        name = getattr(event, "anchor", None)
        if name is not None and name not in seen:
            seen.add(name)
            line = event.start_mark.line + first_line
            message = f"YAML aliases (&{name} / *{name}) are not allowed in {where}: "
            issues.append((line, message + "write the value out"))
    if issues:
        raise YamlRefused(issues)


class _Walk:
    """Node tree -> values, collecting every issue on the way."""

    def __init__(self, loader: Any, text: str, first_line: int, where: str) -> None:
        self.text, self.first_line, self.where = text, first_line, where
        self.issues: list[tuple[int, str]] = []
        self.as_written: list[AsWritten] = []
        self.typed: dict[str, Callable[[yaml.Node], Any]] = {
            _NULL: loader.construct_yaml_null,
            _BOOL: loader.construct_yaml_bool,
            _INT: loader.construct_yaml_int,
            _FLOAT: loader.construct_yaml_float,
            _TIMESTAMP: loader.construct_yaml_timestamp,
        }

    def line(self, node: yaml.Node) -> int:
        return node.start_mark.line + self.first_line

    def mapping(
        self, node: yaml.MappingNode, owner: str | None, text_keys: frozenset[str] = frozenset()
    ) -> tuple[dict[str, Any], dict[str, int]]:
        values: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node)
            if key is None:
                continue
            line = self.line(key_node)
            if key in lines:
                self.issues.append(
                    (line, f"key {key!r} is given twice (first on line {lines[key]}): keep one")
                )
                continue
            lines[key] = line
            if key in text_keys:
                values[key] = self.text_value(value_node, key)
            else:
                values[key] = self.value(value_node, owner or key)
        return values, lines

    def key(self, node: yaml.Node) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.issues.append((self.line(node), "a key must be a name, not a list or mapping"))
            return None
        if node.tag == _TAG + "merge":
            message = f"YAML merge keys (<<) are not allowed in {self.where}: write the keys out"
            self.issues.append((self.line(node), message))
            return None
        if node.tag != _STR and node.tag not in self.typed:
            self.refuse_tag(node)
            return None
        # A key is its text as written: `1:` is the key "1", as a layout would look it up.
        return self.string(node, "a key") if node.tag == _STR else node.value

    def value(self, node: yaml.Node, owner: str) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, owner)
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return [self.value(item, owner) for item in node.value]
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            return self.mapping(node, owner)[0]
        return self.refuse_tag(node)

    def text_value(self, node: yaml.Node, key: str) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.as_text(node, key)
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return [
                self.as_text(item, key) if isinstance(item, yaml.ScalarNode) else
                self.value(item, key)
                for item in node.value
            ]  # fmt: skip
        return self.value(node, key)

    def as_text(self, node: yaml.ScalarNode, key: str) -> Any:
        kind = _KINDS.get(node.tag)
        if kind is None:
            return self.scalar(node, key)
        self.as_written.append(AsWritten(key, self.line(node), node.value, kind))
        return node.value

    def scalar(self, node: yaml.ScalarNode, owner: str) -> Any:
        if node.tag == _STR:
            return self.string(node, repr(owner))
        construct = self.typed.get(node.tag)
        if construct is None:
            return self.refuse_tag(node)
        try:
            return construct(node)
        except (ValueError, OverflowError) as exc:  # PyYAML's own tracebacks (2020-02-30)
            self.issues.append((self.line(node), _unreadable(node, exc)))
            return None

    def string(self, node: yaml.ScalarNode, owner: str) -> str:
        value = node.value
        if XML_FORBIDDEN.search(value) is not None:
            index, char = self.forbidden_in_source(node)
            line, column = _position(self.text, index, self.first_line)
            self.issues.append((line, char_message(owner, char, column)))
        return value

    def forbidden_in_source(self, node: yaml.ScalarNode) -> tuple[int, str]:
        """Where the first forbidden character of a scalar stands in the text, and which.

        The reader refuses such characters written as they are, so they come from escapes
        of double-quoted scalars (\\e, \\x00, \\u001B): point at the escape."""
        start, end = node.start_mark.index, node.end_mark.index
        for escape in _ESCAPE.finditer(self.text, start, end):
            char = _unescape(escape.group())
            if XML_FORBIDDEN.match(char):
                return escape.start(), char
        found = XML_FORBIDDEN.search(node.value)
        return start, found.group() if found else "\0"

    def refuse_tag(self, node: yaml.Node) -> None:
        tag = node.tag.replace(_TAG, "!!")
        message = f"YAML tag {tag} is not allowed in {self.where}: write plain text, a list "
        self.issues.append((self.line(node), message + "or key: value lines"))


def _unreadable(node: yaml.ScalarNode, exc: Exception) -> str:
    if node.tag == _TIMESTAMP:
        return (f"date {node.value!r} is not a real date ({exc}): "
                "write it as 2018-09-21 or 2018-09-21 14:29")  # fmt: skip
    return f"cannot read {node.value!r}: {exc}"


def _unescape(escape: str) -> str:
    """The character a double-quoted scalar's escape stands for ('' for a line break)."""
    code = escape[1]
    if code in "xuU":
        number = int(escape[2:], 16)
        return chr(number) if number <= 0x10FFFF else ""
    return yaml.scanner.Scanner.ESCAPE_REPLACEMENTS.get(code, "")
