"""Data files (plans, reorganisations) read as YAML or JSON by one line-aware parser, so
that a refusal names the line and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _


class DataFileError(Exception):
    """A data file that cannot be used: which line, which field, and why."""

    def __init__(self, message: str, *, field: str = "", line: int | None = None) -> None:
        self.message = message
        self.field = field
        self.line = line
        where = []
        if line is not None:
            where.append(_("line %(line)s") % {"line": line})
        if field:
            where.append(_("field “%(field)s”") % {"field": field})
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class LineMap(dict[str, Any]):
    """A mapping that remembers its own line and the line of each of its keys."""

    line: int = 0
    key_lines: dict[str, int]


class LineSeq(list[Any]):
    """A sequence that remembers the line of each of its items."""

    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineMap:
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            raise DataFileError(_("this key appears twice"), field=str(key), line=line)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineSeq:
    result = LineSeq(loader.construct_object(child, deep=True) for child in node.value)
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def data_file_read(path: Path, error: type[DataFileError] = DataFileError) -> tuple[Any, bytes]:
    """The parsed content of ``path`` (YAML, or JSON read by the same parser) and its raw
    bytes; a missing file, text that is not UTF-8, bad syntax or a key given twice is
    refused as ``error`` with the line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise error(_("file not found: %(path)s") % {"path": path.name}) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(_("the file is not UTF-8 text")) from exc
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise error(_("not valid YAML/JSON: %(err)s") % {"err": exc.problem}, line=line) from exc
    except DataFileError as exc:
        raise error(exc.message, field=exc.field, line=exc.line) from None
    return data, raw
