"""The six component pipelines: same stages, change-aware, each scoped to its component."""

import re
from pathlib import Path

import pytest

JENKINS_DIR = Path("src/jenkins")
COMPONENTS = {
    "feature_store_management",
    "ml_model_development",
    "ml_model_services",
    "mlops_orchestration_pipelines",
    "platform_infrastructure",
    "ml_reporting_monitoring",
}
STAGES = ["Services", "Affected", "Test", "Package", "Deploy"]


def _stages(text: str) -> list[str]:
    return re.findall(r"stage\('([^']+)'\)", text)


def _balanced(text: str) -> bool:
    depth = 0
    for char in re.sub(r"'''.*?'''|'[^'\n]*'|\"[^\"\n]*\"", "", text, flags=re.S):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def test_one_jenkinsfile_per_component() -> None:
    assert {
        p.name.removeprefix("Jenkinsfile.") for p in JENKINS_DIR.glob("Jenkinsfile.*")
    } == COMPONENTS


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_pipeline_is_change_aware_and_scoped(component: str) -> None:
    text = (JENKINS_DIR / f"Jenkinsfile.{component}").read_text()
    assert "pipeline {" in text and _balanced(text), "unbalanced braces"
    assert _stages(text) == STAGES
    assert "bash build-support/changed.sh" in text
    assert "--changed-since" in text and "--changed-dependents=transitive" in text
    assert f"src/python/{component}::" in text
    deploy = text.split("stage('Deploy')", 1)[1]
    assert "branch 'main'" in deploy, "deploy only from main"


def test_balance_check_can_fail() -> None:
    assert not _balanced("pipeline { stages { stage('x') { }")


def test_plugins_cover_the_pipeline_steps() -> None:
    plugins = {
        line.strip()
        for line in (JENKINS_DIR / "plugins.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    # declarative pipeline, readFile/archive (core), junit, git checkout, credentials for vault.
    assert {
        "workflow-aggregator",
        "junit",
        "git",
        "credentials-binding",
        "pipeline-utility-steps",
    } <= plugins
