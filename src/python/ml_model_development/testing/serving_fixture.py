"""TEST ONLY: a real MLflow registry with real models for the model services' tests.

The services (serving resolve) must not import MLflow or the trainers, so their tests run
this program (the ``serving-fixture`` PEX, training resolve) as a subprocess:

    serving-fixture mlflow-server --port P --root DIR
        exec ``mlflow server`` (SQLite backend, proxied artifacts, job execution off).
    serving-fixture register fraud|churn --tracking-uri URI --home DIR [--versions N]
        train N small models on the fixture Feast repo (``testing.fixture_feature_repo``),
        register each (ONNX logged by the trainer), make version 1 ``champion``;
        prints ``{"name", "versions", "run_ids"}``.
    serving-fixture register-inverted fraud|churn --tracking-uri URI --from-version V
            [--alias challenger] [--tag shadow_state=shadow ...]
        register a new version whose graph is version V's with the probabilities turned
        around (p -> 1 - p): a challenger that flips known decisions, for the shadow and
        canary tests; prints ``{"name", "version"}``.
    serving-fixture enter-shadow fraud|churn --tracking-uri URI --home DIR --from-version V
            [--requests N]
        register version V's model again as a new version, alias ``challenger``, put it in
        shadow with training's own ``enter_shadow`` (tags ``shadow_state=shadow``, start
        time); prints ``{"name", "version", "requests"}``: the N latest labelled fraud
        transactions of the fixture repo as API requests (their outcome labels are known).
    serving-fixture promote-challenger fraud|churn --tracking-uri URI --home DIR
        ``trainer promote-challenger`` (``TRAINING_SHADOW_*`` / ``MLOPS_SHADOW_ROOT`` from the
        environment); prints its JSON decision and the challenger's tags afterwards.
    serving-fixture models-serve --tracking-uri URI --model-uri models:/NAME/V --port P
        exec ``mlflow models serve`` (1 worker, local env): the serving benchmark's baseline.
    serving-fixture score fraud|churn --tracking-uri URI --version V --rows rows.json
        native (sklearn/XGBoost/LightGBM) probabilities of the registered version for the
        given feature rows: the offline reference the services' ONNX scores must equal.
        ``--engine pyfunc [--alias champion]``: instead the probabilities of
        ``mlflow.pyfunc.load_model("models:/NAME@ALIAS")`` (the registered ONNX graph) on
        those rows encoded with the graph's vocabulary (lean contract).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from mlops_common.contracts.features import MODEL_CONTRACTS, USE_CASE_BY_SHORT_NAME

SMALL: dict[str, list[dict[str, float]]] = {
    "fraud": [
        {"n_estimators": 30, "max_depth": 3, "n_jobs": 1},
        {"n_estimators": 8, "max_depth": 2, "learning_rate": 0.3, "n_jobs": 1},
    ],
    "churn": [
        {"n_estimators": 20, "num_leaves": 7},
        {"n_estimators": 6, "num_leaves": 3},
    ],
}
USE_CASE = USE_CASE_BY_SHORT_NAME


def _mlflow_server(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
    }
    cmd = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination", str(root / "artifacts"),
        "--host", "127.0.0.1", "--port", str(args.port), "--workers", "1",
    ]  # fmt: skip
    os.chdir(root)
    os.execvpe(cmd[0], cmd, env)
    return 1  # unreachable


def _models_serve(args: argparse.Namespace) -> int:
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": args.tracking_uri,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
    }
    cmd = [
        sys.executable, "-m", "mlflow", "models", "serve",
        "-m", args.model_uri, "--env-manager", "local",
        "--host", "127.0.0.1", "--port", str(args.port), "--workers", "1",
    ]  # fmt: skip
    os.execvpe(cmd[0], cmd, env)
    return 1  # unreachable


def _trainer(model: str, tracking_uri: str, home: Path, hyperparameters: dict):
    from ml_model_development.cli import discover_trainers
    from mlops_common.settings import PlatformSettings, Profile

    cls = discover_trainers()[model]
    platform = PlatformSettings(
        home=home, profile=Profile.SERVERS, mlflow_tracking_uri=tracking_uri
    )
    settings = cls.settings_class(hyperparameters=hyperparameters)
    return cls(settings=settings, platform=platform)


def _register(args: argparse.Namespace) -> int:
    from ml_model_development.common_ml_utils import mlflow_utils
    from ml_model_development.common_ml_utils.promotion import evaluate_and_promote
    from ml_model_development.testing.fixture_feature_repo import build_fixture_repo

    home = Path(args.home).resolve()
    if not (home / "feature_repo" / "feature_store.yaml").exists():
        build_fixture_repo(home, users=args.users)
    versions, run_ids = [], []
    for i in range(args.versions):
        trainer = _trainer(args.model, args.tracking_uri, home, SMALL[args.model][i % 2])
        result = trainer.run()
        versions.append(str(result.model_version))
        run_ids.append(result.run_id)
        if i == 0:
            evaluate_and_promote(trainer)
    name = MODEL_CONTRACTS[USE_CASE[args.model]].registered_model_name
    mlflow_utils.set_alias(name, "champion", versions[0])
    print(json.dumps({"name": name, "versions": versions, "run_ids": run_ids}))
    return 0


def invert_probabilities(graph):  # onnx.ModelProto -> onnx.ModelProto
    """The same graph with ``probabilities`` replaced by ``1 - probabilities`` ([p0, p1] ->
    [p1, p0]); metadata (the category vocabulary) and inputs unchanged."""
    import numpy as np
    from onnx import checker, helper, numpy_helper

    from mlops_common.contracts.onnx_signature import OUTPUT_PROBABILITIES

    inner = f"{OUTPUT_PROBABILITIES}_before_inversion"
    for node in graph.graph.node:
        node.output[:] = [inner if o == OUTPUT_PROBABILITIES else o for o in node.output]
    one = numpy_helper.from_array(np.array(1.0, dtype=np.float32), "inversion_one")
    graph.graph.initializer.append(one)
    graph.graph.node.append(helper.make_node("Sub", [one.name, inner], [OUTPUT_PROBABILITIES]))
    if not any(o.domain in ("", "ai.onnx") for o in graph.opset_import):
        graph.opset_import.append(helper.make_opsetid("", 13))
    checker.check_model(graph)
    return graph


def _register_inverted(args: argparse.Namespace) -> int:
    import mlflow
    import onnx

    from ml_model_development.common_ml_utils import mlflow_utils

    name = MODEL_CONTRACTS[USE_CASE[args.model]].registered_model_name
    mlflow.set_tracking_uri(args.tracking_uri)
    mlflow.set_registry_uri(args.tracking_uri)
    source = mlflow.artifacts.download_artifacts(f"models:/{name}/{args.from_version}")
    graph = invert_probabilities(onnx.load(str(Path(source) / "model.onnx")))
    mlflow.set_experiment("serving-fixture-inverted")
    with mlflow.start_run():
        info = mlflow.onnx.log_model(graph, name="onnx_model", save_as_external_data=False)
    tags = dict(t.split("=", 1) for t in args.tag)
    version = mlflow_utils.register(info.model_uri, name, args.alias, tags=tags)
    print(json.dumps({"name": name, "version": version}))
    return 0


def _enter_shadow(args: argparse.Namespace) -> int:
    import pandas as pd
    from mlflow import MlflowClient

    from ml_model_development.common_ml_utils import mlflow_utils
    from ml_model_development.common_ml_utils.shadow_promotion import enter_shadow

    trainer = _trainer(args.model, args.tracking_uri, Path(args.home).resolve(), {})
    mlflow_utils.configure(trainer.platform)
    source = MlflowClient().get_model_version(trainer.name, args.from_version)
    version = mlflow_utils.register(str(source.source), trainer.name, "challenger")
    enter_shadow(trainer, version, str(source.run_id))
    contract = trainer.contract
    labels_path = trainer.settings.resolve_labels_path(trainer.platform, contract.use_case)
    labels = pd.read_parquet(labels_path).sort_values("event_timestamp").tail(args.requests)
    fields = ["user_id", "amount", "merchant_category", "country", "hour_of_day"]
    requests = [
        {**{k: row[k] for k in fields}, "transaction_id": str(row["transaction_id"])}
        for row in json.loads(labels.to_json(orient="records"))
    ]
    print(json.dumps({"name": trainer.name, "version": version, "requests": requests}))
    return 0


def _promote_challenger(args: argparse.Namespace) -> int:
    import contextlib
    import io

    from mlflow import MlflowClient

    from ml_model_development.cli import main as trainer_main

    os.environ.update(
        MLOPS_HOME=str(Path(args.home).resolve()),
        MLOPS_PROFILE="servers",
        MLOPS_MLFLOW_TRACKING_URI=args.tracking_uri,
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = trainer_main(["promote-challenger", args.model])
    decision = json.loads(out.getvalue())
    version = decision.get("challenger_version")
    name = MODEL_CONTRACTS[USE_CASE[args.model]].registered_model_name
    client = MlflowClient(tracking_uri=args.tracking_uri, registry_uri=args.tracking_uri)
    tags = dict(client.get_model_version(name, version).tags) if version else {}
    print(json.dumps({"exit_code": code, "decision": decision, "tags": tags}))
    return 0


def _score(args: argparse.Namespace) -> int:
    import mlflow
    import pandas as pd

    from ml_model_development.common_ml_utils import mlflow_utils
    from ml_model_development.common_ml_utils.onnx_export import OnnxScorer, onnx_inputs
    from ml_model_development.common_ml_utils.preprocessing import prepare_frame
    from mlops_common.contracts.onnx_signature import OUTPUT_PROBABILITIES, POSITIVE_CLASS_COLUMN

    contract = MODEL_CONTRACTS[USE_CASE[args.model]]
    mlflow.set_tracking_uri(args.tracking_uri)
    mlflow.set_registry_uri(args.tracking_uri)
    name = contract.registered_model_name
    rows = json.loads(Path(args.rows).read_text())
    frame = prepare_frame(pd.DataFrame(rows), contract)[contract.feature_names]
    if args.engine == "pyfunc":  # the registered ONNX graph, as users load it from MLflow
        uri = f"models:/{name}@{args.alias}"
        graph = Path(mlflow.artifacts.download_artifacts(uri)) / "model.onnx"
        encoder = OnnxScorer(graph.read_bytes(), contract).encoder  # the graph's vocabulary
        feeds = onnx_inputs(frame, contract, encoder)  # lean: {"features": ids and values}
        model = mlflow.pyfunc.load_model(uri)
        proba = model.predict(feeds if encoder else frame)[OUTPUT_PROBABILITIES]
        proba = proba[:, POSITIVE_CLASS_COLUMN]
    else:  # the native Pipeline linked to the version: the offline reference
        uri = mlflow_utils.native_model_uri(name, version=args.version)
        proba = mlflow.sklearn.load_model(uri).predict_proba(frame)[:, 1]
    print(json.dumps([float(p) for p in proba]))
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("FEAST_USAGE", "False")
    parser = argparse.ArgumentParser(prog="serving-fixture")
    sub = parser.add_subparsers(dest="command", required=True)
    srv = sub.add_parser("mlflow-server")
    srv.add_argument("--port", type=int, required=True)
    srv.add_argument("--root", required=True)
    reg = sub.add_parser("register")
    reg.add_argument("model", choices=sorted(USE_CASE))
    reg.add_argument("--tracking-uri", required=True)
    reg.add_argument("--home", required=True)
    reg.add_argument("--versions", type=int, default=1)
    reg.add_argument("--users", type=int, default=300)
    inv = sub.add_parser("register-inverted")
    inv.add_argument("model", choices=sorted(USE_CASE))
    inv.add_argument("--tracking-uri", required=True)
    inv.add_argument("--from-version", required=True)
    inv.add_argument("--alias", default="challenger")
    inv.add_argument("--tag", action="append", default=[], help="KEY=VALUE version tag")
    ent = sub.add_parser("enter-shadow")
    ent.add_argument("model", choices=sorted(USE_CASE))
    ent.add_argument("--tracking-uri", required=True)
    ent.add_argument("--home", required=True)
    ent.add_argument("--from-version", required=True)
    ent.add_argument("--requests", type=int, default=200)
    pro = sub.add_parser("promote-challenger")
    pro.add_argument("model", choices=sorted(USE_CASE))
    pro.add_argument("--tracking-uri", required=True)
    pro.add_argument("--home", required=True)
    serve = sub.add_parser("models-serve")
    serve.add_argument("--tracking-uri", required=True)
    serve.add_argument("--model-uri", required=True)
    serve.add_argument("--port", type=int, required=True)
    score = sub.add_parser("score")
    score.add_argument("model", choices=sorted(USE_CASE))
    score.add_argument("--tracking-uri", required=True)
    score.add_argument("--version", required=True)
    score.add_argument("--rows", required=True)
    score.add_argument("--engine", choices=["native", "pyfunc"], default="native")
    score.add_argument("--alias", default="champion")
    args = parser.parse_args(argv)
    handler = {
        "mlflow-server": _mlflow_server,
        "models-serve": _models_serve,
        "register": _register,
        "register-inverted": _register_inverted,
        "enter-shadow": _enter_shadow,
        "promote-challenger": _promote_challenger,
        "score": _score,
    }
    return handler[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
