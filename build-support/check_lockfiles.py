"""Each resolve's lockfile must come from exactly the requirements its requirements.txt lists.

Pants accepts a lockfile whose recorded requirements are merely equivalent; this check wants
the same lines (Pants records specifiers sorted, e.g. ``pydantic<3,>=2.7``), so a reader of
requirements.txt sees what the lockfile was resolved from. On a mismatch: edit the
requirements, then ``./pants generate-lockfiles --resolve=<name>``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "3rdparty" / "python"
BEGIN = "--- BEGIN PANTS LOCKFILE METADATA: DO NOT EDIT OR REMOVE ---"
END = "--- END PANTS LOCKFILE METADATA ---"


def recorded(lock: Path) -> list[str]:
    text = lock.read_text()
    block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    lines = [line.removeprefix("//").strip() for line in block.splitlines()]
    return sorted(
        json.loads("\n".join(line for line in lines if line))["generated_with_requirements"]
    )


def listed(resolve: Path) -> list[str]:
    return sorted(
        line.split("#", 1)[0].strip()
        for path in resolve.glob("*requirements*.txt")
        for line in path.read_text().splitlines()
        if line.split("#", 1)[0].strip()
    )


def main() -> int:
    problems = []
    for resolve in sorted(p for p in ROOT.iterdir() if p.is_dir()):
        for lock in resolve.glob("*.lock"):
            have, want = recorded(lock), listed(resolve)
            if have != want:
                problems.append(
                    f"{lock.relative_to(ROOT.parent.parent)}: lockfile has "
                    f"{sorted(set(have) - set(want))}, requirements list "
                    f"{sorted(set(want) - set(have))}; write the requirements as Pants records "
                    f"them or run ./pants generate-lockfiles --resolve={resolve.name}"
                )
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(
            f"check_lockfiles: {len(list(ROOT.glob('*/*.lock')))} lockfiles match their requirements"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
