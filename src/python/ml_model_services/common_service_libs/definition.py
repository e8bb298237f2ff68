"""What a model API is made of (:class:`ServiceDefinition`) and where its rules come from."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from ml_model_services.common_service_libs.service_layer import DeriveFn
from ml_model_services.common_service_libs.settings import ServiceSettings
from mlops_common.contracts.features import ModelContract
from mlops_common.label_engine import RuleSet, load_bundled_rules, load_rules


@dataclass(frozen=True)
class ServiceDefinition:
    contract: ModelContract
    description: str
    prefix: str  # e.g. "/v1/fraud"
    request_model: type[BaseModel]
    batch_model: type[BaseModel]  # has ``items: list[request_model]``
    response_model: type[BaseModel]
    batch_response_model: type[BaseModel]
    entity_field: str = "user_id"
    echo_fields: tuple[str, ...] = ()  # request fields copied into each prediction
    derive: DeriveFn | None = None
    version: str = "1.0.0"


def load_rule_set(settings: ServiceSettings, use_case: str) -> RuleSet:
    """The rules file from settings, else the one bundled with the Label Engine."""
    if settings.rules_file is not None:
        return load_rules(settings.rules_file)
    return load_bundled_rules(use_case)
