"""The ``trainer`` CLI keeps the CLI contract (mlops_common.cli_contract)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_model_development import cli
from mlops_common.cli_contract_checks import assert_usage_error, assert_version


def test_version_is_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert_version(cli.main, "trainer", capsys)


def test_bad_arguments_exit_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert_usage_error(cli.main, ["train", "no-such-model"], capsys)


def test_scoring_without_a_champion_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))  # a fresh, empty registry
    argv = ["predict-batch", "fraud", "--entities", str(tmp_path / "e.parquet")]
    assert cli.main([*argv, "--output", str(tmp_path / "o.parquet")]) == 1
    captured = capsys.readouterr()
    assert "trainer: error:" in captured.err and "Traceback" not in captured.err
    assert "train and promote first" in json.loads(captured.out)["error"]["reason"]
