"""The training CLI with Spark batch scoring (packaged as ``batch-scoring-spark.pex``).

The same commands and JSON contract as ``trainer.pex`` (:mod:`ml_model_development.cli`);
this entry point only imports :mod:`spark_batch_scoring` so that Pants packages pyspark into
this PEX and not into ``trainer.pex`` (see :mod:`batch_runtime`).
"""

from __future__ import annotations

import sys

from ml_model_development.cli import main
from ml_model_development.common_ml_utils import spark_batch_scoring  # noqa: F401  (pyspark)

if __name__ == "__main__":
    sys.exit(main())
