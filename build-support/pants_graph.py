"""The build graph as Pants itself resolves it, read once with ``pants peek ::`` (about 3 s).

Shared by ``affected.py`` (what a change reruns) and ``selection_test.py`` (that the selection
holds). Stdlib only, so it runs before any resolve is built.

Why not ``pants --changed-since … test`` alone: a *target generator* (``python_tests``,
``python_sources``, ``files``…) depends on each target it generates, so it is a dependent of any
of them; running a goal on a selected generator expands it to *all* its generated targets. One
test that runs the fraud PEX used to pull the whole ``ml_reporting_monitoring/tests`` folder in.
Here a generator is never run itself: only what it generates, one file at a time.
"""

from __future__ import annotations

import json
import subprocess
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_TYPES = frozenset({"python_test"})
PACKAGE_TYPES = frozenset({"pex_binary", "docker_image"})
# Tests in the slow tier: whole-platform end-to-end runs and everything that runs an image.
SLOW_TAGS = frozenset({"slow", "containers"})


def pants(*args: str, cwd: Path = ROOT) -> str:
    """Run ./pants quietly; its stdout. Pants' own log goes to stderr, left as is on failure."""
    result = subprocess.run(
        ["./pants", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"./pants {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result.stdout


def generator_of(address: str) -> str | None:
    """The generator address of a generated target, or None for a target written in a BUILD file.

    Generated targets are ``dir/file.py`` (generator ``dir:dir``), ``dir/file.py:name``
    (``dir:name``), ``dir/sub/file.yml:../name`` (``dir:name``) and ``dir:name#key``.
    """
    if "@" in address:  # parametrized (`file.py@resolve=serving`): same parameters
        base, params = address.split("@", 1)
        generator = generator_of(base)
        return f"{generator}@{params}" if generator else None
    if "#" in address:
        return address.split("#", 1)[0]
    path, _, name = address.partition(":")
    if not Path(path).suffix and "/" not in name:
        return None  # `dir:name` or `dir`: written in a BUILD file
    parent = Path(path).parent
    for part in name.split("/"):
        if part == "..":
            parent = parent.parent
    base = name.split("/")[-1] if name else parent.name
    return f"{parent.as_posix()}:{base}"


@dataclass
class Graph:
    """Every target with its type, tags, sources and resolved dependencies."""

    targets: dict[str, dict]
    dependents: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, cwd: Path = ROOT) -> Graph:
        targets = {t["address"]: t for t in json.loads(pants("peek", "::", cwd=cwd))}
        graph = cls(targets)
        for address, target in targets.items():
            for dep in target.get("dependencies") or []:
                graph.dependents.setdefault(dep, set()).add(address)
        return graph

    @property
    def generators(self) -> set[str]:
        return {g for a in self.targets if (g := generator_of(a)) and g in self.targets}

    def type_of(self, address: str) -> str:
        return self.targets[address]["target_type"]

    def tags(self, address: str) -> set[str]:
        return set(self.targets[address].get("tags") or [])

    def is_slow(self, address: str) -> bool:
        return bool(self.tags(address) & SLOW_TAGS)

    def owners(self, path: str) -> set[str]:
        return {a for a, t in self.targets.items() if path in (t.get("sources") or [])}

    def closure(self, address: str) -> set[str]:
        """Everything ``address`` depends on, transitively (itself included)."""
        seen, todo = {address}, [address]
        while todo:
            for dep in self.targets.get(todo.pop(), {}).get("dependencies") or []:
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return seen

    def paths_from(self, roots: set[str], within: set[str]) -> dict[str, list[str]]:
        """For each target in ``within``, one shortest dependency path from a changed root.

        Breadth-first over dependents, not through generators (they add no real edge).
        """
        generators = self.generators
        parent: dict[str, str | None] = {r: None for r in roots}
        queue = deque(sorted(roots))
        while queue:
            node = queue.popleft()
            for dependent in sorted(self.dependents.get(node, ())):
                if dependent in parent or dependent not in within or dependent in generators:
                    continue
                parent[dependent] = node
                queue.append(dependent)
        paths: dict[str, list[str]] = {}
        for target in within:
            if target not in parent:
                continue
            path: list[str] = []
            step: str | None = target
            while step is not None:
                path.append(step)
                step = parent[step]
            paths[target] = path[::-1]
        return paths
