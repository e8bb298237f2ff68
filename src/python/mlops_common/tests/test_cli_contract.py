"""The CLI contract helper: one JSON object on stdout, exit codes, no traceback for user errors."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

import pytest

from mlops_common import __version__
from mlops_common.cli_contract import (
    EXIT_ERROR,
    EXIT_FLAGGED,
    EXIT_OK,
    EXIT_USAGE,
    UserError,
    run_cli,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="demo")
    parser.add_argument("what", choices=["ok", "noisy", "user-error", "flag", "bug", "nan"])
    return parser


def _command(args: argparse.Namespace) -> dict[str, Any]:
    if args.what == "noisy":  # a library printing, and a child process writing to fd 1
        print("library chatter")
        subprocess.run([sys.executable, "-c", "print('child chatter')"], check=True)
    if args.what == "user-error":
        raise UserError("input.csv does not exist: pass a CSV path")
    if args.what == "bug":
        raise ZeroDivisionError("a bug keeps its traceback")
    if args.what == "nan":
        return {"share": float("nan"), "nested": [{"ratio": float("inf")}]}
    return {"what": args.what, "flagged": args.what == "flag", "output": "/tmp/x"}


@pytest.mark.parametrize("what", ["ok", "noisy"])
def test_stdout_is_exactly_one_json_object(what: str, capfd: pytest.CaptureFixture[str]) -> None:
    assert run_cli(_parser(), _command, [what]) == EXIT_OK
    out, err = capfd.readouterr()
    assert json.loads(out) == {"what": what, "flagged": False, "output": "/tmp/x"}
    if what == "noisy":
        assert "library chatter" in err and "child chatter" in err


def test_flagged_result_exits_3(capfd: pytest.CaptureFixture[str]) -> None:
    assert run_cli(_parser(), _command, ["flag"]) == EXIT_FLAGGED
    assert json.loads(capfd.readouterr().out)["flagged"] is True


def test_user_error_is_one_line_exit_1_and_a_json_error(capfd: pytest.CaptureFixture[str]) -> None:
    assert run_cli(_parser(), _command, ["user-error"]) == EXIT_ERROR
    out, err = capfd.readouterr()
    assert err == "demo: error: input.csv does not exist: pass a CSV path\n"
    assert json.loads(out) == {
        "error": {"code": "UserError", "reason": "input.csv does not exist: pass a CSV path"}
    }


def test_declared_user_errors_are_caught_too(capfd: pytest.CaptureFixture[str]) -> None:
    code = run_cli(_parser(), _command, ["bug"], user_errors=(ArithmeticError,))
    assert code == EXIT_ERROR and "Traceback" not in capfd.readouterr().err


def test_an_undeclared_exception_is_a_bug_and_propagates() -> None:
    with pytest.raises(ZeroDivisionError):
        run_cli(_parser(), _command, ["bug"])


def test_usage_error_exits_2_with_usage_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    assert run_cli(_parser(), _command, ["nope"]) == EXIT_USAGE
    out, err = capfd.readouterr()
    assert "usage: demo" in err and "invalid choice" in err and "Traceback" not in err
    assert json.loads(out)["error"]["code"] == "usage"


def test_version_and_help(capfd: pytest.CaptureFixture[str]) -> None:
    assert run_cli(_parser(), _command, ["--version"]) == EXIT_OK
    assert json.loads(capfd.readouterr().out) == {"prog": "demo", "version": __version__}
    assert run_cli(_parser(), _command, ["--help"]) == EXIT_OK
    assert "CLI contract" in capfd.readouterr().out


def test_nan_becomes_null_so_strict_parsers_accept_it(capfd: pytest.CaptureFixture[str]) -> None:
    assert run_cli(_parser(), _command, ["nan"]) == EXIT_OK
    out = capfd.readouterr().out
    assert "NaN" not in out and "Infinity" not in out
    assert json.loads(out) == {"share": None, "nested": [{"ratio": None}]}
