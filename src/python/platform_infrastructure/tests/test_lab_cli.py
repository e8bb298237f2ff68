"""``python -m platform_infrastructure.lab.cli`` keeps the CLI contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_common.cli_contract_checks import assert_usage_error, assert_version
from platform_infrastructure.lab.cli import main


def test_version_is_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert_version(main, "lab", capsys)


def test_bad_arguments_exit_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert_usage_error(main, ["up"], capsys)


def test_down_of_an_empty_lab_prints_one_json_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLOPS_LAB_ROOT", str(tmp_path / "lab"))
    assert main(["down"]) == 0
    assert json.loads(capsys.readouterr().out) == {"stopped": []}
