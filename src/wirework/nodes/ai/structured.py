"""``ai.structured_output`` (an answer validated against a JSON Schema, repaired by asking
again with the validation errors) and ``ai.extract`` (named fields from text: a schema built
from the fields, then the same)."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import Field, model_validator

from wirework.nodes.ai.chat import PromptParams, conversation
from wirework.nodes.ai.common import (
    SCHEMA_BUILDER,
    ModelParams,
    Providers,
    complete,
    request_of,
    typed,
)
from wirework.nodes.base import ParamsModel, check_problems, set_path
from wirework.sdk.ai import ChatRequest, Message, ModelProvider, Role, Usage
from wirework.sdk.node import Item, NodeContext, NodeError, Outputs
from wirework.sdk.registry import NodeSpec, registry

MAX_PROBLEMS = 10
FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class RepairParams(ModelParams):
    attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Model calls at most: an invalid answer is sent back with what was wrong "
        "and asked again",
    )
    output_field: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Put the answer in this field of the input item (dots for nesting); "
        "empty: the answer is the item (an object), or {value: answer}",
    )


class StructuredParams(PromptParams, RepairParams):
    """Ask for an answer that follows a JSON Schema."""

    json_schema: dict[str, Any] = Field(
        description="The JSON Schema (draft 2020-12) the answer must follow, e.g. {type: "
        "object, properties: {sentiment: {enum: [positive, negative]}}, required: "
        "[sentiment]}",
        json_schema_extra=SCHEMA_BUILDER,
    )

    @model_validator(mode="after")
    def _valid_schema(self) -> StructuredParams:
        # On save for a schema written in the document, at run time for one an expression
        # gave: either way before any model call.
        problem = schema_problem(self.json_schema)
        if problem is not None:
            check_problems([("json_schema", problem)])
        return self


def schema_problem(schema: dict[str, Any]) -> str | None:
    """Why ``schema`` is not a valid JSON Schema (draft 2020-12); None when it is one."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "the top"
        return f"is not a valid JSON Schema at {where}: {exc.message}"
    return None


def problems_of(text: str, validator: Draft202012Validator) -> tuple[Any, list[str]]:
    """The answer parsed, and what is wrong with it (nothing: it is valid)."""
    fenced = FENCE.match(text)
    body = fenced.group(1) if fenced else text.strip()
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        return None, [f"the answer is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"]
    found = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    problems = [
        f"at {'/' + '/'.join(str(p) for p in e.absolute_path) if e.absolute_path else 'the top'}"
        f": {e.message}"
        for e in found[:MAX_PROBLEMS]
    ]
    return value, problems


async def answer_following(
    ctx: NodeContext,
    provider: ModelProvider,
    request: ChatRequest,
    validator: Draft202012Validator,
    attempts: int,
    template: str | None = None,
) -> tuple[Any, Any, Usage, int]:
    """(the valid answer, the last result, the usage of all calls, the calls made): asks,
    and while the answer is invalid sends it back with the problems, up to ``attempts``
    calls. A NodeError naming the problems when the last answer is still invalid."""
    messages = list(request.messages)
    usage = Usage()
    problems: list[str] = []
    text = ""
    for attempt in range(1, attempts + 1):
        result = await complete(
            ctx, provider, request.model_copy(update={"messages": messages}), template
        )
        usage = usage + result.usage
        text = result.message.content or ""
        value, problems = problems_of(text, validator)
        if not problems:
            return value, result, usage, attempt
        messages = [
            *messages,
            Message(role=Role.ASSISTANT, content=text),
            Message(
                role=Role.USER,
                content="That answer does not follow the JSON Schema: "
                + "; ".join(problems)
                + ". Answer again with only the corrected JSON value, nothing else.",
            ),
        ]
    raise NodeError(
        f"node {ctx.node_id!r}: the model's answer did not follow the JSON Schema after "
        f"{attempts} attempt{'s' if attempts > 1 else ''}: {'; '.join(problems)}",
        retryable=False,
        details={"answer": text[:2000], "problems": problems, "attempts": attempts},
    )


def placed(item: Item, value: Any, field: str | None) -> Item:
    if field:
        out = dict(item)
        set_path(out, field, value)
        return out
    return {**value} if isinstance(value, dict) else {"value": value}


async def run_structured(ctx: NodeContext) -> Outputs:
    out: list[Item] = []
    async with Providers(ctx) as providers:
        for index, item in enumerate(ctx.items):
            params: StructuredParams = typed(
                StructuredParams, await ctx.aparams(index), ctx.node_id
            )
            validator = Draft202012Validator(params.json_schema)  # checked by the params
            provider = await providers.get(params.integration_id)
            messages, ref = await conversation(ctx, params, index)
            instruction = Message(
                role=Role.SYSTEM,
                content="Answer with only a JSON value following this JSON Schema: "
                + json.dumps(params.json_schema),
            )
            request = request_of(params, [instruction, *messages], json_schema=params.json_schema)
            value, _, _, _ = await answer_following(
                ctx, provider, request, validator, params.attempts, ref
            )
            out.append(placed(item, value, params.output_field))
    return {"main": out}


# --------------------------------------------------------------------------- extract

FieldType = Literal["string", "number", "integer", "boolean", "array", "object"]


class ExtractField(ParamsModel):
    name: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$", description="Field name in the output"
    )
    type: FieldType = Field(default="string", description="JSON type of the value")
    description: str = Field(default="", max_length=2000, description="What to extract")
    required: bool = Field(default=False, description="The text must give it (else it may be null)")


class ExtractParams(RepairParams):
    """Extract named fields from a text."""

    text: str = Field(description="The text to read, e.g. {{ json.body }}")
    fields: list[ExtractField] = Field(
        min_length=1, max_length=200, description="The fields to extract"
    )
    instructions: str | None = Field(
        default=None, description="More instructions (context, formats, units)"
    )


def extract_schema(fields: list[ExtractField]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for field in fields:
        kind: Any = field.type if field.required else [field.type, "null"]
        properties[field.name] = {"type": kind, "description": field.description}
    return {
        "type": "object",
        "properties": properties,
        "required": [f.name for f in fields],
        "additionalProperties": False,
    }


async def run_extract(ctx: NodeContext) -> Outputs:
    out: list[Item] = []
    async with Providers(ctx) as providers:
        for index, item in enumerate(ctx.items):
            params: ExtractParams = typed(ExtractParams, await ctx.aparams(index), ctx.node_id)
            schema = extract_schema(params.fields)
            provider = await providers.get(params.integration_id)
            system = (
                "Extract the fields described by this JSON Schema from the user's text. Use "
                "null for a field the text does not give. Answer with only the JSON object: "
                + json.dumps(schema)
            )
            if params.instructions:
                system += "\n\n" + params.instructions
            request = request_of(
                params,
                [
                    Message(role=Role.SYSTEM, content=system),
                    Message(role=Role.USER, content=params.text),
                ],
                json_schema=schema,
            )
            value, _, _, _ = await answer_following(
                ctx, provider, request, Draft202012Validator(schema), params.attempts
            )
            out.append(placed(item, value, params.output_field))
    return {"main": out}


STRUCTURED = registry.register_node(
    NodeSpec(
        type="ai.structured_output",
        display_name="AI: Structured output",
        description="Ask a model for JSON that follows a JSON Schema; invalid answers are "
        "sent back with the errors and asked again",
        group="data",
        category="AI",
        icon="braces",
        params=StructuredParams,
        run=run_structured,
        streaming=True,
    )
)
EXTRACT = registry.register_node(
    NodeSpec(
        type="ai.extract",
        display_name="AI: Extract",
        description="Extract named fields (name, type, description) from a text",
        group="data",
        category="AI",
        icon="scan-text",
        params=ExtractParams,
        run=run_extract,
        streaming=True,
    )
)
