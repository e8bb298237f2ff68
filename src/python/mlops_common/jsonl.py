"""Reading JSON-lines files (one JSON object a line): scored history, notification logs.

Standard library only, so every resolve can use it. Blank lines are skipped (an editor's final
newline, a log rotated mid-write); a line that is not JSON raises :class:`JsonLinesError`
naming the file and line number, because a silently skipped record would change a replay or a
report without anyone noticing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class JsonLinesError(ValueError):
    """A line of a JSON-lines file is not JSON; the message says which."""


def iter_json_lines(path: Path) -> Iterator[Any]:
    """Each non-blank line of ``path`` parsed as JSON, lazily (history files can be large)."""
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise JsonLinesError(f"{path}:{number}: not JSON ({exc.msg})") from exc


def read_json_lines(path: Path) -> list[Any]:
    """Every record of ``path``, in order."""
    return list(iter_json_lines(path))
