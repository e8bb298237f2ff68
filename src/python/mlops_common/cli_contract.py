"""The one contract every command line of the platform keeps (CONTRIBUTING.md, "CLI contract").

* progress and logs go to **stderr**; **stdout** carries exactly one JSON object: the
  command's result (with the paths of what it wrote), or ``{"error": {"code", "reason"}}``;
* exit codes: 0 ok, 1 error (one line on stderr naming the cause and the fix, no traceback
  for a user error), 2 usage (bad arguments), 3 flagged (the command ran and flagged
  something a caller branches on, e.g. drift → retrain);
* ``--version`` prints ``{"prog": ..., "version": ...}`` from :data:`mlops_common.__version__`.

Callers (the ``mlops`` CLI, Airflow tasks) read the result with ``json.loads`` on stdout —
never by matching text — so :func:`run_cli` makes stdout unusable for anything else while
the command runs: ``sys.stdout`` *and* file descriptor 1 point at stderr, which also catches
libraries and child processes (dbt, Spark's JVM, MLflow) that print to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from mlops_common import __version__

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_FLAGGED = 3

CONTRACT_HELP = (
    "Output contract (CONTRIBUTING.md, 'CLI contract'): progress and logs on stderr, one JSON "
    "object on stdout; exit 0 ok, 1 error, 2 usage, 3 flagged."
)

Result = Mapping[str, Any]
Command = Callable[[argparse.Namespace], Result]


class UserError(Exception):
    """A problem the user can fix (bad file, missing artefact, bad setting): no traceback.

    The message names the cause and the fix; :func:`run_cli` prints it as one line on stderr
    and exits with :data:`EXIT_ERROR`.
    """


def add_version(parser: argparse.ArgumentParser) -> None:
    """``--version``: the platform version as one JSON object (the contract's stdout shape)."""
    payload = json.dumps({"prog": parser.prog, "version": __version__})
    parser.add_argument("--version", action="version", version=payload)
    if parser.epilog is None:
        parser.epilog = CONTRACT_HELP


def _strict(value: Any) -> Any:
    """NaN/inf become null: Python's json writes ``NaN``, which ``jq`` and most parsers reject."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    return value


def emit(result: Result, stream: Any = None) -> None:
    """Write ``result`` as one line of strict JSON (paths and dates as strings)."""
    out = stream if stream is not None else sys.stdout
    out.write(json.dumps(_strict(result), default=str, allow_nan=False) + "\n")
    out.flush()


def eprint(*parts: object) -> None:
    """``print`` to stderr: the progress/log channel of every CLI."""
    print(*parts, file=sys.stderr, flush=True)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout (Python and fd 1, children too) to stderr."""
    sys.stdout.flush()
    saved_fd: int | None
    try:
        saved_fd = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no fd 1 (embedded interpreters): the Python-level swap still holds
        saved_fd = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        if saved_fd is not None:
            os.dup2(saved_fd, 1)
            os.close(saved_fd)


def run_cli(
    parser: argparse.ArgumentParser,
    command: Command,
    argv: list[str] | None = None,
    *,
    user_errors: tuple[type[BaseException], ...] = (),
) -> int:
    """Parse ``argv``, run ``command(args)`` under the contract, print its JSON result.

    ``user_errors`` are the exception types the CLI knows to be the user's to fix (besides
    :class:`UserError`): they become one line on stderr and exit 1. A result with
    ``"flagged": true`` exits 3. Anything else is a bug and keeps its traceback (exit 1).
    """
    prog = parser.prog
    if not any("--version" in action.option_strings for action in parser._actions):
        add_version(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help / --version (0) or a usage error (2, usage on stderr)
        if exc.code not in (0, None):
            reason = "invalid arguments; the usage line above says what is expected"
            emit({"error": {"code": "usage", "reason": reason}})
            return EXIT_USAGE
        return EXIT_OK
    caught: tuple[type[BaseException], ...] = (UserError, *user_errors)
    try:
        with stdout_to_stderr():
            result = command(args)
    except caught as exc:
        reason = str(exc).strip() or type(exc).__name__
        eprint(f"{prog}: error: {reason}")
        emit({"error": {"code": type(exc).__name__, "reason": reason}})
        return EXIT_ERROR
    emit(result)
    return EXIT_FLAGGED if result.get("flagged") is True else EXIT_OK
