"""``label-engine``: check rule files and dry-run a candidate over scored history.

    label-engine check RULES.yaml
    label-engine dry-run --current A.yaml --candidate B.yaml --history scored.jsonl [--json]

History is what the services or batch scoring decided on: JSON Lines, CSV, or a batch-scoring
parquet output (``$MLOPS_HOME/predictions/<use_case>/...``) where pyarrow is installed.

Exit 0 on success, 2 on a bad rules/history file (the message says what to fix).
"""

from __future__ import annotations

import argparse
import json
import sys

from mlops_common.label_engine.dry_run import dry_run, read_history
from mlops_common.label_engine.rules import RuleFileError, load_rules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="label-engine", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a rules file")
    check.add_argument("rules")
    replay = sub.add_parser("dry-run", help="how labels would change under a candidate file")
    replay.add_argument("--current", required=True)
    replay.add_argument("--candidate", required=True)
    replay.add_argument(
        "--history", required=True, help="scored rows: .jsonl, .csv or .parquet (needs pyarrow)"
    )
    replay.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            rules = load_rules(args.rules)
            print(f"{args.rules}: {rules.name} v{rules.version}, {len(rules.rules)} rules, OK")
            return 0
        report = dry_run(
            load_rules(args.current), load_rules(args.candidate), read_history(args.history)
        )
    except RuleFileError as exc:
        print(f"label-engine: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_dict()) if args.json else report.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
