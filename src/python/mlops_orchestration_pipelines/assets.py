"""The platform's data products as Airflow Assets, so the UI and REST API show its lineage.

Airflow records an asset event when a task that lists the asset in ``outlets`` succeeds, and
starts a DAG whose ``schedule`` is an asset once that asset has a new event. The assets name
the data, not where it lives (``mlops://`` URIs): the same DAGs run on the embedded profile
(files under ``$MLOPS_HOME``) and on the servers (PostgreSQL, Redis, MLflow on PostgreSQL).

* raw data — written outside Airflow (the data generator, the card network's feed); producers
  outside Airflow record events with ``POST /api/v2/assets/events``.
* features — the offline tables (``run_dbt_feast_models``) and the online store
  (``materialize_feast_online_store``, the daily pipeline's ``materialize``).
* champion — one per model, from the training DAG's evaluation gate (the event's ``extra``
  says whether the alias moved).
* predictions — one per use case, from batch scoring; each event's ``extra`` names the day
  (``partition_date``) and its row count, which the drift check reads.
"""

from __future__ import annotations

from airflow.sdk import Asset

RAW_DATA = Asset(name="raw_data", uri="mlops://raw-data", group="raw-data")
OFFLINE_FEATURES = Asset(name="offline_features", uri="mlops://features/offline", group="features")
ONLINE_FEATURES = Asset(name="online_features", uri="mlops://features/online", group="features")


def champion(registered_model_name: str) -> Asset:
    """The registry's ``champion`` alias of one model."""
    return Asset(
        name=f"champion_{registered_model_name}",
        uri=f"mlops://models/{registered_model_name}/champion",
        group="models",
    )


def predictions(use_case: str) -> Asset:
    """A use case's daily batch predictions (one partition per day, ``dt=YYYY-MM-DD``)."""
    return Asset(
        name=f"predictions_{use_case}",
        uri=f"mlops://predictions/{use_case}",
        group="predictions",
    )
