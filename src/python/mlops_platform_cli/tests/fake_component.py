"""TEST ONLY: stands in for a component PEX and echoes what it was asked to do as JSON.

It keeps the CLI contract: progress on stderr, one JSON object on stdout."""

import json
import os
import sys


def main() -> None:
    print("progress line from the component", file=sys.stderr)
    keys = ("MLOPS_PROFILE", "MLOPS_HOME", "MLOPS_MLFLOW_TRACKING_URI")
    if "FAKE_COMPONENT_STDOUT" in os.environ:  # a component that breaks the contract
        print(os.environ["FAKE_COMPONENT_STDOUT"])
        sys.exit(0)
    print(json.dumps({"argv": sys.argv[1:], "env": {k: os.environ.get(k) for k in keys}}))
    sys.exit(int(os.environ.get("FAKE_COMPONENT_EXIT", "0")))


if __name__ == "__main__":
    main()
