"""``ai.classify``: each item goes to the output named by the label a model gives its text
(ports named by the labels, like ``core.switch``'s rules), or to ``fallback``."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from pydantic import BaseModel, Field, field_validator, model_validator

from wirework.nodes.ai.common import ModelParams, Providers, request_of, typed
from wirework.nodes.ai.structured import answer_following
from wirework.nodes.base import ParamsModel, check_problems, set_path
from wirework.sdk.ai import Message, Role
from wirework.sdk.fields import PORT_PATTERN
from wirework.sdk.node import NodeContext, Outputs
from wirework.sdk.registry import NodeSpec, registry


class Label(ParamsModel):
    label: str = Field(
        pattern=PORT_PATTERN, description="The label; its items leave by the output of this name"
    )
    description: str = Field(
        default="", max_length=2000, description="What belongs here (helps the model)"
    )

    @field_validator("label")
    @classmethod
    def _not_error(cls, value: str) -> str:
        if value == "error":
            raise ValueError("'error' is reserved for the error output")
        return value


class ClassifyParams(ModelParams):
    """Route each item by the label a model gives its text."""

    text: str = Field(description="The text to classify, e.g. {{ json.subject }}: {{ json.body }}")
    labels: list[Label] = Field(
        min_length=1, max_length=100, description="The labels (each an output)"
    )
    fallback: str | None = Field(
        default=None,
        pattern=PORT_PATTERN,
        description="Output for items that fit no label (e.g. other); none = drop them",
    )
    multi_label: bool = Field(
        default=False, description="An item may get several labels (and leave by each output)"
    )
    instructions: str | None = Field(default=None, description="More instructions for the model")
    field: str | None = Field(
        default="classification",
        max_length=200,
        description="Field set on each item to {labels: [...]} (empty: items unchanged)",
    )
    attempts: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Model calls at most when an answer is not one of the labels",
    )

    @model_validator(mode="after")
    def _distinct(self) -> ClassifyParams:
        names = [label.label for label in self.labels]
        problems = []
        if len(set(names)) != len(names):
            problems.append(("labels", "labels must be distinct"))
        if self.fallback is not None and self.fallback in names:
            problems.append(("fallback", "the fallback must not be one of the labels"))
        if self.fallback == "error":
            problems.append(("fallback", "'error' is reserved for the error output"))
        check_problems(problems)
        return self


def classify_outputs(params: BaseModel) -> tuple[str, ...]:
    assert isinstance(params, ClassifyParams)
    names = [label.label for label in params.labels]
    if params.fallback is not None:
        names.append(params.fallback)
    return tuple(names)


def label_schema(params: ClassifyParams) -> dict[str, Any]:
    names: list[Any] = [label.label for label in params.labels]
    if params.multi_label:
        return {
            "type": "object",
            "properties": {
                "labels": {"type": "array", "items": {"enum": names}, "uniqueItems": True}
            },
            "required": ["labels"],
        }
    return {
        "type": "object",
        "properties": {"label": {"enum": [*names, None]}},
        "required": ["label"],
    }


def prompt_of(params: ClassifyParams) -> str:
    lines = [
        f"- {label.label}" + (f": {label.description}" if label.description else "")
        for label in params.labels
    ]
    how = (
        'Answer with {"labels": [...]}: every label that applies (an empty list if none does).'
        if params.multi_label
        else 'Answer with {"label": "<label>"}: the one label that fits best, or null if none fits.'
    )
    text = "Classify the user's text with these labels:\n" + "\n".join(lines) + "\n" + how
    if params.instructions:
        text += "\n\n" + params.instructions
    return text + "\nAnswer with only the JSON object."


async def run_classify(ctx: NodeContext) -> Outputs:
    out: Outputs = {}
    async with Providers(ctx) as providers:
        for index, item in enumerate(ctx.items):
            params: ClassifyParams = typed(ClassifyParams, await ctx.aparams(index), ctx.node_id)
            schema = label_schema(params)
            provider = await providers.get(params.integration_id)
            request = request_of(
                params,
                [
                    Message(role=Role.SYSTEM, content=prompt_of(params)),
                    Message(role=Role.USER, content=params.text),
                ],
                json_schema=schema,
            )
            value, _, _, _ = await answer_following(
                ctx, provider, request, Draft202012Validator(schema), params.attempts
            )
            chosen = value.get("labels") if params.multi_label else [value.get("label")]
            chosen = [c for c in chosen or [] if c]
            routed = dict(item)
            if params.field:
                set_path(routed, params.field, {"labels": chosen})
            ports = chosen or ([params.fallback] if params.fallback else [])
            for port in ports:
                out.setdefault(port, []).append(routed)
    return out


CLASSIFY = registry.register_node(
    NodeSpec(
        type="ai.classify",
        display_name="AI: Classify",
        description="Route items to outputs named by labels, as a model classifies their text",
        group="flow",
        category="AI",
        icon="tags",
        params=ClassifyParams,
        run=run_classify,
        outputs=None,
        dynamic_outputs=classify_outputs,
        streaming=True,
        extra={"literal_params": ("labels", "fallback", "multi_label")},
    )
)
