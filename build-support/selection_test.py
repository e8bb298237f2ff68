"""The selection test: what a canonical change reruns is what ``selection/*.txt`` says.

    python3 build-support/selection_test.py            # check (CI: .ci/run; changed.sh when
                                                       # BUILD files or build-support/ change)
    python3 build-support/selection_test.py --update   # rewrite the expected lists; review the diff

Each ``selection/<case>.txt`` names one file (``# change:``) and lists every test and package a
one-line change to it must rerun. The check makes that change for real — in a scratch git
worktree of the current tree (uncommitted work included), committed there so the change is the
only difference — and runs ``affected.py`` (Pants' own ``--changed-since``) on it. So the lists
prove both ways: a dependency that is lost (a PEX a test runs no longer declared) drops a test
the list holds; a leak (a folder's generator expanded) adds tests it does not.

A dependency Pants cannot see at all (a PEX or repo file a test uses by path, a module it starts
with ``python -m``) would leave both sides agreeing; the second check reads every test's source
for such uses and fails for each one its dependency closure does not hold (a line that only
names one, not uses it, is marked ``# selection: named, not run`` on it or the line above).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from affected import select
from pants_graph import ROOT, Graph

CASES = Path(__file__).resolve().parent / "selection"
HEADER = """\
# change: {path}
# What a one-line change to it reruns (tests and packages), as build-support/affected.py selects
# it. Checked by build-support/selection_test.py; after an intended change of the graph:
#   python3 build-support/selection_test.py --update   (and review the diff)
"""
PEX_OUTPUT = re.compile(r"src\.python\.([\w.]+)/([\w-]+)\.pex")
REPO_PATH = re.compile(r"""["']((?:dashboards|src|3rdparty|build-support)/[\w./-]*[\w/])["']""")
NOT_RUN = "selection: named, not run"
PYTHON_M = re.compile(r"""["']-m["'],\s*["']([a-z_][\w.]*)["']""")


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def scratch_worktree() -> Path:
    """A detached worktree holding the current tree (uncommitted and new files too), committed."""
    path = Path(tempfile.mkdtemp(prefix="mlops-selection-"))
    git("worktree", "add", "--detach", "--quiet", str(path), "HEAD", cwd=ROOT)
    diff = subprocess.run(
        ["git", "diff", "HEAD", "--binary"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    if diff:
        subprocess.run(["git", "apply", "--index"], cwd=path, input=diff, check=True)
    for name in git("ls-files", "-o", "--exclude-standard", cwd=ROOT).splitlines():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, path / name)
    git("add", "-A", cwd=path)
    git("-c", "user.name=selection", "-c", "user.email=selection@localhost",
        "commit", "-q", "--allow-empty", "-m", "scratch", cwd=path)  # fmt: skip
    return path


def remove_worktree(path: Path) -> None:
    subprocess.run(["pkill", "-f", f"pantsd \\[{path}\\]"], check=False)
    git("worktree", "remove", "--force", str(path), cwd=ROOT)


def read_case(case: Path) -> tuple[str, list[str]]:
    lines = case.read_text().splitlines()
    changed = lines[0].removeprefix("# change:").strip()
    return changed, [line for line in lines if line and not line.startswith("#")]


def check_cases(update: bool) -> list[str]:
    problems: list[str] = []
    tree = scratch_worktree()
    try:
        graph = Graph.load(tree)
        for case in sorted(CASES.glob("*.txt")):
            changed, expected = read_case(case)
            target = tree / changed
            with target.open("a") as f:
                f.write("\n")
            selection = select("HEAD", cwd=tree, graph=graph)
            git("checkout", "--", changed, cwd=tree)
            got = selection.tests + selection.packages
            print(f"selection: {case.stem}: {changed} -> {len(got)} target(s)", file=sys.stderr)
            if update:
                case.write_text(HEADER.format(path=changed) + "".join(f"{a}\n" for a in got))
                continue
            for address in sorted(set(got) - set(expected)):
                problems.append(f"{case.name}: {changed} now also selects {address}: "
                                f"{selection.reasons.get(address)}")  # fmt: skip
            for address in sorted(set(expected) - set(got)):
                problems.append(f"{case.name}: {changed} no longer selects {address}")
    finally:
        remove_worktree(tree)
    return problems


def _without_named_only(text: str) -> str:
    """Drop a line that only names a file (say, a Dockerfile's text), marked on it or above it."""
    lines = text.splitlines()
    kept = [
        line
        for i, line in enumerate(lines)
        if NOT_RUN not in line and not (i and NOT_RUN in lines[i - 1])
    ]
    return "\n".join(kept)


def undeclared_runtime_uses(graph: Graph) -> list[str]:
    """Each PEX, repo path or first-party module a test names must be in its closure."""
    problems = []
    for address, target in sorted(graph.targets.items()):
        if target["target_type"] != "python_test":
            continue
        closure = graph.closure(address)
        sources = {s for dep in closure for s in graph.targets.get(dep, {}).get("sources") or []}
        runtime = set(target.get("runtime_package_dependencies") or [])
        for source in target.get("sources") or []:
            text = _without_named_only((ROOT / source).read_text())
            for package, name in PEX_OUTPUT.findall(text):
                pex = f"src/python/{package.replace('.', '/')}:{name}"
                if pex not in runtime:
                    problems.append(f"{address} runs {name}.pex; declare "
                                    f"runtime_package_dependencies=['{pex}']")  # fmt: skip
            for path in REPO_PATH.findall(text):
                if not (ROOT / path).exists():
                    continue
                prefix = path.rstrip("/") + "/"
                if path not in sources and not any(s.startswith(prefix) for s in sources):
                    problems.append(f"{address} reads {path}; add a target that owns it "
                                    "to its dependencies")  # fmt: skip
            for module in PYTHON_M.findall(text):
                stem = ROOT / "src/python" / module.replace(".", "/")
                files = [stem.with_suffix(".py"), stem / "__main__.py", stem / "__init__.py"]
                local = [str(f.relative_to(ROOT)) for f in files if f.exists()]
                if local and not set(local) & sources:
                    problems.append(f"{address} starts `python -m {module}`; add "
                                    f"{local[0]} to its dependencies")  # fmt: skip
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the expected lists")
    args = parser.parse_args(argv)
    os.environ.setdefault("PANTS_BOOTSTRAP_DIR", str(ROOT / ".pants-bootstrap"))
    problems = undeclared_runtime_uses(Graph.load())
    problems += check_cases(args.update)
    for problem in problems:
        print(f"selection_test: {problem}", file=sys.stderr)
    if problems:
        print(f"selection_test: FAILED ({len(problems)} problem(s)); if a change is intended: "
              "python3 build-support/selection_test.py --update", file=sys.stderr)  # fmt: skip
        return 1
    print("selection_test: ok", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
