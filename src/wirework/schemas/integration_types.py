"""Integration types: credential parameter schemas and the actions a type offers."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from wirework.schemas.common import RequestModel, ResponseModel

ParamType = Literal["string", "number", "boolean", "password", "select", "json"]
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,99}$"


class ParameterSpec(RequestModel):
    """One field of a credential form or of an action's parameters."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$", description="Field name")
    type: ParamType = Field(default="string", description="Field type; password is secret")
    required: bool = False
    description: str = Field(default="", max_length=2000)
    default: Any = Field(default=None, description="Value used when the field is not given")
    options: list[str] | None = Field(
        default=None, description="Allowed values (required for, and only for, type select)"
    )

    @model_validator(mode="after")
    def _check(self) -> ParameterSpec:
        if self.type == "select" and not self.options:
            raise ValueError(f"parameter {self.name!r}: type select needs a non-empty `options`")
        if self.type != "select" and self.options is not None:
            raise ValueError(f"parameter {self.name!r}: `options` is only for type select")
        if self.default is not None:
            from wirework.services.params import check_value

            problem = check_value(self, self.default)
            if problem:
                raise ValueError(f"parameter {self.name!r}: default {problem}")
        if self.type == "password" and self.default is not None:
            raise ValueError(f"parameter {self.name!r}: a password field cannot have a default")
        return self


def _unique(specs: list[Any], what: str) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise ValueError(f"duplicate {what} name {spec.name!r}")
        seen.add(spec.name)


class ActionSpec(RequestModel):
    name: str = Field(pattern=NAME_PATTERN, description="Action name, used as `<type>.<name>`")
    display_name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    parameters: list[ParameterSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> ActionSpec:
        _unique(self.parameters, f"parameter (action {self.name!r})")
        return self


class IntegrationTypeCreate(RequestModel):
    name: str = Field(pattern=NAME_PATTERN, description="Unique slug, e.g. jira")
    display_name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=5000)
    parameters: list[ParameterSpec] = Field(
        default_factory=list, description="Credential fields of integrations of this type"
    )
    actions: list[ActionSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> IntegrationTypeCreate:
        _unique(self.parameters, "parameter")
        _unique(self.actions, "action")
        return self


class IntegrationTypeUpdate(RequestModel):
    display_name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    parameters: list[ParameterSpec] | None = None
    actions: list[ActionSpec] | None = None

    @model_validator(mode="after")
    def _check(self) -> IntegrationTypeUpdate:
        if self.parameters is not None:
            _unique(self.parameters, "parameter")
        if self.actions is not None:
            _unique(self.actions, "action")
        return self


class ParameterOut(BaseModel):
    name: str
    type: ParamType
    required: bool
    description: str
    default: Any = None
    options: list[str] | None = None


class ActionOut(BaseModel):
    name: str
    display_name: str
    description: str
    parameters: list[ParameterOut]


class IntegrationTypeOut(ResponseModel):
    id: int
    name: str
    display_name: str
    description: str
    parameters: list[ParameterOut]
    actions: list[ActionOut]
    builtin: bool
    has_tester: bool = Field(description="Whether `POST /api/integrations/test` can check it")
    created_at: dt.datetime
    updated_at: dt.datetime
