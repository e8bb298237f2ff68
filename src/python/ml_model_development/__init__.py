"""ml-model-development: trainers, evaluation, MLflow tracking/registry and ONNX export."""
