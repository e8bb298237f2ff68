"""``feature-store-cli`` keeps the CLI contract (mlops_common.cli_contract)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feature_store_management import cli
from mlops_common.cli_contract_checks import assert_usage_error, assert_version


def test_version_is_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert_version(cli.main, "feature-store-cli", capsys)


def test_bad_arguments_exit_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert_usage_error(cli.main, ["entities", "--use-case", "nope"], capsys)


def test_missing_input_file_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))
    missing = tmp_path / "decisions.json"
    assert cli.main(["skew", "--decisions", str(missing), "--model", "m"]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert f"feature-store-cli: error: [Errno 2] No such file or directory: '{missing}'" in (
        captured.err
    )
    assert json.loads(captured.out)["error"]["code"] == "FileNotFoundError"
