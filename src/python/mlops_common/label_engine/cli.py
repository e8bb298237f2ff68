"""``label-engine``: check rule files and dry-run a candidate over scored history.

    label-engine check RULES.yaml
    label-engine dry-run --current A.yaml --candidate B.yaml --history scored.jsonl [--json]

History is what the services or batch scoring decided on: JSON Lines, CSV, or a batch-scoring
parquet output (``$MLOPS_HOME/predictions/<use_case>/...``) where pyarrow is installed.

Keeps the CLI contract (mlops_common.cli_contract): the report as one JSON object on stdout,
the readable rendering on stderr; exit 0 ok, 1 a bad rules/history file (one line saying
what to fix), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlops_common.cli_contract import CONTRACT_HELP, eprint, run_cli
from mlops_common.label_engine.dry_run import dry_run, read_history
from mlops_common.label_engine.rules import RuleFileError, load_rules


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="label-engine", description=__doc__.splitlines()[0], epilog=CONTRACT_HELP
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a rules file")
    check.add_argument("rules")
    replay = sub.add_parser("dry-run", help="how labels would change under a candidate file")
    replay.add_argument("--current", required=True)
    replay.add_argument("--candidate", required=True)
    replay.add_argument(
        "--history", required=True, help="scored rows: .jsonl, .csv or .parquet (needs pyarrow)"
    )
    replay.add_argument("--json", action="store_true", help="accepted for old scripts: stdout "
                        "is always the JSON report")  # fmt: skip
    return parser


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.command == "check":
        rules = load_rules(args.rules)
        eprint(f"{args.rules}: {rules.name} v{rules.version}, {len(rules.rules)} rules, OK")
        return {"rules": args.rules, "name": rules.name, "version": rules.version,
                "rule_count": len(rules.rules)}  # fmt: skip
    report = dry_run(
        load_rules(args.current), load_rules(args.candidate), read_history(args.history)
    )
    eprint(report.render())
    return dict(report.as_dict())


def main(argv: list[str] | None = None) -> int:
    return run_cli(_parser(), run, argv, user_errors=(RuleFileError,))


if __name__ == "__main__":
    sys.exit(main())
