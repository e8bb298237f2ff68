"""Point-in-time training frames that look the same whichever offline store served them.

Feast's file (dask) and PostgreSQL offline stores are both point-in-time correct but return
different frames for the same data (see ``shared/reference/stack-facts.md``):

* the file store **drops** an entity row when one of its feature views has rows for the
  entity that all fall outside ``[event_timestamp - ttl, event_timestamp]`` (only newer rows,
  or only rows older than the TTL); the PostgreSQL store keeps the row with nulls;
* the PostgreSQL store returns ``event_timestamp`` without a time zone, the file store in UTC;
* row order differs, and integer features come back as ``int64`` or ``float64`` depending on
  whether a null happened to be present.

:func:`training_frame` hides all of that: the result has exactly the entity frame's rows, in
its order, with its own columns and dtypes (``event_timestamp`` as UTC), then every requested
feature in request order, numeric features as ``float64`` (null = NaN) and string features as
``object`` (null = ``None``). Rows a store dropped are fetched again view by view (a view
that drops them again has no valid value for them) and their on-demand features are computed
with the registered UDF, exactly as Feast does for the rows it returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
from feast import FeatureService, FeatureStore
from feast.types import PrimitiveFeastType

from feature_store_management.settings import FeatureStoreSettings

TIMESTAMP = "event_timestamp"
ROW_ID = "fs_entity_row"


def feature_refs(store: FeatureStore, features: FeatureService | str | Sequence[str]) -> list[str]:
    """``view:feature`` references of a feature service (object or name) or a list of refs."""
    if isinstance(features, str):
        features = store.get_feature_service(features)
    if isinstance(features, FeatureService):
        return [
            f"{projection.name_to_use()}:{feature.name}"
            for projection in features.feature_view_projections
            for feature in projection.features
        ]
    return list(features)


def _feature_kinds(store: FeatureStore, refs: list[str]) -> dict[str, str]:
    """Feature name -> ``"string"`` or ``"numeric"`` from the registered schemas."""
    schemas: dict[str, dict[str, object]] = {}
    for view in [*store.list_feature_views(), *store.list_on_demand_feature_views()]:
        schemas[view.name] = {f.name: f.dtype for f in view.features}
    kinds = {}
    for ref in refs:
        view_name, name = ref.split(":", 1)
        dtype = schemas[view_name][name]
        is_string = isinstance(dtype, PrimitiveFeastType) and dtype.name in ("STRING", "BYTES")
        kinds[name] = "string" if is_string else "numeric"
    return kinds


def _utc(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    if stamps.dt.tz is None:
        return stamps.dt.tz_localize("UTC")
    return stamps.dt.tz_convert("UTC")


def training_frame(
    store: FeatureStore,
    entity_df: pd.DataFrame,
    features: FeatureService | str | Sequence[str],
) -> pd.DataFrame:
    """Point-in-time join of ``features`` onto ``entity_df``, identical across offline stores."""
    if TIMESTAMP not in entity_df.columns:
        raise ValueError(f"entity frame needs an '{TIMESTAMP}' column")
    if ROW_ID in entity_df.columns:
        raise ValueError(f"entity frame must not have a column named '{ROW_ID}'")
    refs = feature_refs(store, features)
    names = [ref.split(":", 1)[1] for ref in refs]
    if len(set(names)) != len(names):
        raise ValueError(f"feature names must be unique across views: {names}")
    kinds = _feature_kinds(store, refs)

    entities = entity_df.reset_index(drop=True).copy()
    entities[TIMESTAMP] = _utc(entities[TIMESTAMP])
    query = entities.copy()
    query[ROW_ID] = range(len(query))
    found = store.get_historical_features(entity_df=query, features=refs).to_df()
    found = found.drop_duplicates(ROW_ID).set_index(ROW_ID)[names]

    missing = sorted(set(range(len(entities))) - set(found.index))
    if missing:
        found = pd.concat([found, _refetch(store, query.loc[missing], refs)[names]])

    features_frame = found.reindex(range(len(entities)))
    out = entities.copy()
    for name in names:
        column = features_frame[name]
        if kinds[name] == "string":
            out[name] = column.astype(object).where(column.notna(), None)
        else:
            out[name] = pd.to_numeric(column, errors="raise").astype("float64")
    return out


def _refetch(store: FeatureStore, rows: pd.DataFrame, refs: list[str]) -> pd.DataFrame:
    """Stored features of ``rows`` view by view, then their on-demand features."""
    odfvs = {v.name: v for v in store.list_on_demand_feature_views()}
    by_view: dict[str, list[str]] = {}
    for ref in refs:
        view, _ = ref.split(":", 1)
        by_view.setdefault(view, []).append(ref)
    wanted_odfvs = [odfvs[v] for v in by_view if v in odfvs]
    # On-demand views need their source features even when those were not requested.
    for odfv in wanted_odfvs:
        for projection in odfv.source_feature_view_projections.values():
            for feature in projection.features:
                ref = f"{projection.name_to_use()}:{feature.name}"
                if ref not in by_view.setdefault(projection.name_to_use(), []):
                    by_view[projection.name_to_use()].append(ref)

    frame = rows.set_index(ROW_ID)
    for view, view_refs in by_view.items():
        if view in odfvs:
            continue
        got = store.get_historical_features(entity_df=rows, features=view_refs).to_df()
        got = got.drop_duplicates(ROW_ID).set_index(ROW_ID)
        for ref in view_refs:
            name = ref.split(":", 1)[1]
            frame[name] = got[name].reindex(frame.index)
    for odfv in wanted_odfvs:
        table = pa.Table.from_pandas(frame.reset_index(), preserve_index=False)
        transformed = odfv.transform_arrow(table, full_feature_names=False).to_pandas()
        transformed.index = frame.index
        for feature in odfv.features:
            frame[feature.name] = transformed[feature.name]
    return frame


def write_training_set(settings: FeatureStoreSettings, use_case: str, output: Path) -> int:
    """The ``labels`` step's rows of ``use_case`` with their features, as parquet at ``output``.

    Same frame on both profiles (see :func:`training_frame`); written atomically.
    """
    from feature_store_management.data_generation.raw_store import write_parquet_atomically
    from feature_store_management.feature_repo.store import feature_store
    from feature_store_management.labels import labels_path
    from mlops_common.contracts.features import MODEL_CONTRACTS

    if use_case not in MODEL_CONTRACTS:
        raise ValueError(
            f"unknown use case '{use_case}'; expected one of {sorted(MODEL_CONTRACTS)}"
        )
    path = labels_path(settings, use_case)
    if not path.exists():
        raise FileNotFoundError(f"no label table at {path}; run `feature-store-cli labels` first")
    labels = pd.read_parquet(path)
    frame = training_frame(
        feature_store(settings), labels, MODEL_CONTRACTS[use_case].feature_service
    )
    write_parquet_atomically(frame, Path(output))
    return len(frame)
