"""TEST ONLY: stands in for a component PEX and echoes what it was asked to do as JSON."""

import json
import os
import sys


def main() -> None:
    print("progress line from the component")
    keys = ("MLOPS_PROFILE", "MLOPS_HOME", "MLOPS_MLFLOW_TRACKING_URI")
    print(json.dumps({"argv": sys.argv[1:], "env": {k: os.environ.get(k) for k in keys}}))
    sys.exit(int(os.environ.get("FAKE_COMPONENT_EXIT", "0")))


if __name__ == "__main__":
    main()
