"""TEST ONLY: the checks every CLI's contract test makes (``mlops_common.cli_contract``).

Each takes the CLI's ``main(argv) -> exit code`` and pytest's ``capsys`` (typed loosely so
this module needs no pytest import and every resolve can use it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Main = Callable[[list[str]], int]  # a CLI's main(argv)


def assert_version(main: Main, prog: str, capsys: Any) -> None:
    """``--version`` exits 0 with one JSON object naming the program."""
    assert main(["--version"]) == 0
    assert json.loads(capsys.readouterr().out)["prog"] == prog


def assert_usage_error(main: Main, argv: list[str], capsys: Any) -> None:
    """A bad argument exits 2: argparse's reason on stderr, no traceback, a JSON error."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "invalid choice" in captured.err and "Traceback" not in captured.err
    assert json.loads(captured.out)["error"]["code"] == "usage"
