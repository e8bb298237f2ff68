"""Dockerfiles, compose and Kubernetes manifests, checked without Docker or a cluster.

Each checker is first shown a broken input (so the test could fail), then the real files.
"""

from pathlib import Path

import pytest
import yaml

from platform_infrastructure.manifest_checks import check_compose, check_workload, lint_dockerfile

DOCKER_DIR = Path("src/docker")
K8S_DIR = Path("src/kubernetes")
COMPOSE_FILE = Path("src/compose/docker-compose.yml")
DOCKERFILES = sorted(DOCKER_DIR.glob("Dockerfile.*"))


def test_the_expected_dockerfiles_exist() -> None:
    assert {p.name for p in DOCKERFILES} == {
        "Dockerfile.model_service",
        "Dockerfile.airflow_custom_worker",
        "Dockerfile.mlflow_server",
        "Dockerfile.feast_cli",
    }


def test_dockerfile_linter_catches_bad_practice() -> None:
    bad = "FROM python\nADD app.py /app/\nRUN apt-get install -y curl && pip install x\nCMD python app.py\n"
    problems = " ".join(lint_dockerfile(bad))
    for rule in ("DL3006", "DL3020", "DL3015", "DL3009", "DL3042", "DL3025", "DL3002"):
        assert rule in problems


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_is_clean(dockerfile: Path) -> None:
    assert lint_dockerfile(dockerfile.read_text()) == []


def test_compose_checker_catches_broken_references() -> None:
    broken = {
        "services": {
            "api": {
                "image": "x:1",
                "depends_on": {"db": {"condition": "service_healthy"}},
                "volumes": ["data:/d"],
            },
            "db": {"image": "postgres:15", "ports": ["5432"]},
        }
    }
    problems = " ".join(check_compose(broken))
    assert (
        "no healthcheck" in problems
        and "'data' is not declared" in problems
        and "ports/0" in problems
    )


def test_compose_stack_has_the_whole_platform_and_is_consistent() -> None:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    assert check_compose(compose) == []
    assert {
        "postgres",
        "redis",
        "mlflow",
        "airflow",
        "fraud-detection-api",
        "customer-churn-api",
        "prometheus",
        "grafana",
    } <= set(compose["services"])
    for mounted in ("postgres-init.sql", "prometheus.yml", "grafana/datasources.yml"):
        assert (COMPOSE_FILE.parent / mounted).exists(), mounted
    scraped = yaml.safe_load((COMPOSE_FILE.parent / "prometheus.yml").read_text())
    targets = {
        t for job in scraped["scrape_configs"] for c in job["static_configs"] for t in c["targets"]
    }
    assert {"fraud-detection-api:8001", "customer-churn-api:8002"} <= targets


def _k8s_docs() -> list[dict]:
    docs = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def test_workload_checker_catches_missing_probes_and_limits() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"app": "x"}},
            "template": {
                "metadata": {"labels": {"app": "y"}},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        },
    }
    problems = " ".join(check_workload(deployment))
    assert "does not match" in problems and "no readinessProbe" in problems
    assert "resources.limits.memory missing" in problems and "without a tag" in problems


def test_kubernetes_manifests_have_probes_limits_and_matching_services() -> None:
    docs = _k8s_docs()
    for doc in docs:
        assert check_workload(doc) == []
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    assert set(deployments) == {"fraud-detection-api", "customer-churn-api"} == set(services)
    for name, service in services.items():
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert all(pod_labels.get(k) == v for k, v in service["spec"]["selector"].items())
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    assert set(kustomization["resources"]) == {p.name for p in K8S_DIR.glob("*.yaml")} - {
        "kustomization.yaml"
    }
