"""What a change since BASE reruns: the tests and packages whose own dependency closure holds a
changed file, and nothing else — each with the dependency path that selected it.

    python3 build-support/affected.py --since BASE            # report on stderr
    python3 build-support/affected.py --since BASE --list     # addresses, one a line, on stdout
    python3 build-support/affected.py --since BASE --plan DIR # spec files for changed.sh

Pants computes the change (``--changed-since=BASE --changed-dependents=transitive``: files,
BUILD files, lockfiles through their ``_lockfile`` targets); this keeps the runnable targets
among them that are not generators (see ``pants_graph``). Files Pants does not model are
handled here: ``pants``/``pants.toml``/the pytest lockfile change how every test runs, so they
select everything; the ``docker`` shim builds every image. Files no target owns (READMEs, CI
scripts) select nothing and are listed, so a missing target is visible, not silent.

The plan splits tests into a fast tier and a slow tier (tags ``slow`` and ``containers``:
whole-platform end-to-end runs, images); ``changed.sh`` runs the fast tier first.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pants_graph import PACKAGE_TYPES, ROOT, TEST_TYPES, Graph, pants

# Files whose change Pants' graph cannot see the reach of.
EVERYTHING = ("pants", "pants.toml", "3rdparty/python/pytest/")
IMAGE_BUILD = ("build-support/docker-cli/",)
# Files that change what is selected: the selection test reruns (changed.sh).
SELECTION_INPUTS = ("build-support/", "pants.toml")


@dataclass
class Selection:
    changed_files: list[str]
    roots: set[str]
    tests: list[str]
    packages: list[str]
    paths: dict[str, list[str]]
    reasons: dict[str, str]
    unowned: list[str]
    graph: Graph

    @property
    def fast_tests(self) -> list[str]:
        return [t for t in self.tests if not self.graph.is_slow(t)]

    @property
    def slow_tests(self) -> list[str]:
        return [t for t in self.tests if self.graph.is_slow(t)]

    @property
    def rerun_selection_test(self) -> bool:
        return any(
            f.startswith(SELECTION_INPUTS) or Path(f).name == "BUILD" for f in self.changed_files
        )


def changed_files(base: str, cwd: Path = ROOT) -> list[str]:
    """Committed and uncommitted changes since BASE, and new files (what Pants compares too)."""

    def git(*args: str) -> list[str]:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
        return [line for line in out.stdout.splitlines() if line]

    return sorted(
        set(git("diff", "--name-only", base)) | set(git("ls-files", "-o", "--exclude-standard"))
    )


def select(base: str, cwd: Path = ROOT, graph: Graph | None = None) -> Selection:
    graph = graph or Graph.load(cwd)
    files = changed_files(base, cwd)
    since = f"--changed-since={base}"
    roots = set(pants(since, "list", cwd=cwd).split())
    affected = set(pants(since, "--changed-dependents=transitive", "list", cwd=cwd).split())
    runnable = TEST_TYPES | PACKAGE_TYPES
    reasons: dict[str, str] = {}
    everything = [f for f in files if f.startswith(EVERYTHING)]
    if everything:
        for address, target in graph.targets.items():
            if target["target_type"] in runnable:
                affected.add(address)
                reasons[address] = f"{everything[0]} changes how every target builds and runs"
    if any(f.startswith(IMAGE_BUILD) for f in files):
        for address, target in graph.targets.items():
            if target["target_type"] == "docker_image":
                affected.add(address)
                reasons.setdefault(address, "build-support/docker-cli builds every image")
    selected = {a for a in affected if a in graph.targets and graph.type_of(a) in runnable}
    paths = graph.paths_from(roots, affected)
    for address in selected:
        if address in paths and address not in reasons:
            reasons[address] = " -> ".join(paths[address])
    owned = {path for t in graph.targets.values() for path in t.get("sources") or []}
    unowned = [f for f in files if f not in owned and Path(f).name != "BUILD"]
    return Selection(
        changed_files=files,
        roots=roots,
        tests=sorted(a for a in selected if graph.type_of(a) in TEST_TYPES),
        packages=sorted(a for a in selected if graph.type_of(a) in PACKAGE_TYPES),
        paths=paths,
        reasons=reasons,
        unowned=unowned,
        graph=graph,
    )


def report(selection: Selection, base: str) -> str:
    lines = [f"affected: {len(selection.changed_files)} file(s) changed since {base}"]
    lines += [f"  {f}" for f in selection.changed_files]
    if selection.unowned:
        lines.append(
            "owned by no target, so they select nothing (declare a target if a test reads one):"
        )
        lines += [f"  {f}" for f in selection.unowned]
    for title, group in (
        ("fast tests", selection.fast_tests),
        ("slow tests (tags slow/containers)", selection.slow_tests),
        ("packages", selection.packages),
    ):
        lines.append(f"{title}: {len(group)}")
        for address in group:
            lines.append(f"  {address}")
            lines.append(f"      because {selection.reasons.get(address, 'it changed')}")
    return "\n".join(lines)


def write_plan(selection: Selection, plan: Path) -> None:
    """Spec files for ``pants --spec-files``; images and image tests apart (podman may lack)."""
    graph = selection.graph
    images = [p for p in selection.packages if graph.type_of(p) == "docker_image"]
    container_tests = [t for t in selection.tests if "containers" in graph.tags(t)]
    groups = {
        "fast_tests": selection.fast_tests,
        "slow_tests": [t for t in selection.slow_tests if t not in container_tests],
        "container_tests": container_tests,
        "pex_packages": [p for p in selection.packages if p not in images],
        "images": images,
        "selection_test": ["yes"] if selection.rerun_selection_test else [],
    }
    plan.mkdir(parents=True, exist_ok=True)
    for name, addresses in groups.items():
        (plan / f"{name}.txt").write_text("".join(f"{a}\n" for a in addresses))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--since", required=True, help="git revision to compare with")
    parser.add_argument("--list", action="store_true", help="print the selected addresses only")
    parser.add_argument("--plan", type=Path, help="write spec files for changed.sh here")
    args = parser.parse_args(argv)
    selection = select(args.since)
    if args.list:
        print("\n".join(selection.tests + selection.packages))
        return 0
    print(report(selection, args.since), file=sys.stderr)
    if args.plan:
        write_plan(selection, args.plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
