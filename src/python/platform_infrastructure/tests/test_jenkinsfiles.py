"""The six component pipelines: same stages, change-aware, each scoped to its component.

Jenkins cannot run here, so the Pants commands of each Jenkinsfile are checked for the ways
they broke before: ``--changed-since`` combined with target arguments is an error in Pants
2.17 (and ``|| true`` turned it into a green pipeline that tested nothing), and the junit step
must read the folder Pants writes its reports to.
"""

import re
import shlex
import tomllib
from pathlib import Path

import pytest

JENKINS_DIR = Path("src/jenkins")
PANTS_TOML = Path("pants.toml")
GOALS = {"list", "lint", "test", "package", "fmt", "fix", "check", "dependencies", "run"}
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


def _pants_commands(text: str) -> list[list[str]]:
    """Each ``./pants ...`` command of the file as shell words, up to a redirection or the
    next command."""
    commands = []
    for match in re.finditer(r"\./pants [^\n]*", text):
        words = []
        for word in shlex.split(match.group(0).rstrip("'"), posix=True):
            if word in {">", ">>", "|", "||", "&&", ";"} or word.startswith((">", "|")):
                break
            words.append(word)
        commands.append(words)
    return commands


def _problems(command: list[str]) -> list[str]:
    """Why Pants 2.17 would refuse this command line (the Affected stage's old bug)."""
    options = [w for w in command[1:] if w.startswith("-")]
    specs = [w for w in command[1:] if not w.startswith("-") and w not in GOALS]
    if any(o.startswith("--changed-since") for o in options) and specs:
        return [f"--changed-since with target arguments {specs}: Pants 2.17 refuses that"]
    return []


def _scope(command: list[str]) -> re.Pattern[str]:
    regexes = [w.split("=", 1)[1] for w in command if w.startswith("--filter-address-regex=")]
    assert len(regexes) == 1, command
    return re.compile(regexes[0])


def test_the_command_check_catches_changed_since_with_targets() -> None:
    old = './pants --changed-since="$BASE" --changed-dependents=transitive list src/x:: > a.txt || true'
    (command,) = _pants_commands(old)
    assert _problems(command)
    assert not _problems(_pants_commands("./pants --changed-since=HEAD list > a.txt")[0])


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_pipeline_is_change_aware_and_scoped(component: str) -> None:
    text = (JENKINS_DIR / f"Jenkinsfile.{component}").read_text()
    assert "pipeline {" in text and _balanced(text), "unbalanced braces"
    assert _stages(text) == STAGES
    assert "bash build-support/changed.sh" in text
    assert "|| true" not in text and "|| :" not in text, "a failing step must fail the stage"
    commands = _pants_commands(text)
    assert len(commands) == 2, commands  # Affected (list) and Package
    for command in commands:
        assert "--changed-dependents=transitive" in command
        assert any(w.startswith("--changed-since=") for w in command)
        assert _problems(command) == [], command
        # Scoped to the component by address: its targets in, the shared library's out.
        scope = _scope(command)
        assert scope.search(f"src/python/{component}:{component}")
        assert scope.search(f"src/python/{component}/tests:tests")
        assert not scope.search("src/python/mlops_common:mlops_common")
    assert [c[-1] for c in commands] == ["list", "package"]
    deploy = text.split("stage('Deploy')", 1)[1]
    assert "branch 'main'" in deploy, "deploy only from main"


@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_junit_reads_the_reports_pants_writes(component: str) -> None:
    test_options = tomllib.loads(PANTS_TOML.read_text())["test"]
    assert test_options.get("report") is True, "without [test] report Pants writes no XML"
    report_dir = test_options.get("report_dir", "{distdir}/test/reports").format(distdir="dist")
    text = (JENKINS_DIR / f"Jenkinsfile.{component}").read_text()
    (results,) = re.findall(r"junit [^\n]*testResults: '([^']+)'", text)
    assert results == f"{report_dir}/*.xml"


def test_the_infrastructure_pipeline_packages_images_where_podman_works() -> None:
    text = (JENKINS_DIR / "Jenkinsfile.platform_infrastructure").read_text()
    package = text.split("stage('Package')", 1)[1].split("stage('Deploy')", 1)[0]
    assert "bash build-support/bootstrap_containers.sh" in package
    assert "types=pex_binary,docker_image" in package
    (command,) = _pants_commands(package)
    assert _scope(command).search("src/docker:fraud-detection-api")


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
