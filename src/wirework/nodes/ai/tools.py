"""The tools an ``ai.agent`` may call: each entry of its ``tools`` list is one of the kinds
in ``TOOL_KINDS`` — an integration action, an HTTP request, a code step, another workflow
(retrieval registers its own kind). A kind turns its config into an :class:`AgentTool`: the
:class:`~wirework.sdk.ai.ToolSpec` the model sees and how a call runs, server-side with the
tool's integration credentials (they never reach the model)."""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from pydantic import Field, model_validator

from wirework.nodes.ai.toolctx import ToolContext
from wirework.nodes.base import ParamsModel, check_problems
from wirework.nodes.http import run_http_request
from wirework.sdk.ai import ToolSpec
from wirework.sdk.node import NodeContext, NodeError
from wirework.sdk.registry import registry

TOOL_NAME = r"^[A-Za-z0-9_-]{1,64}$"
FREE_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}
# A URL template's scheme and host are fixed: the model's arguments may only fill the rest.
URL_ORIGIN = re.compile(r"^https?://[^/{}?#]+/")


class BuiltinTool(enum.StrEnum):
    ACTION = "action"  # an integration action (github.create_issue)
    HTTP = "http"  # core.http_request with a fixed method and a URL template
    CODE = "code"  # core.code: the code fixed here, the model gives its input
    WORKFLOW = "workflow"  # another workflow, the model gives its input item


class ToolConfig(ParamsModel):
    """One tool the agent may call (the allow-list: nothing else is offered)."""

    kind: str = Field(description="action, http, code, workflow (or a kind a plugin adds)")
    name: str | None = Field(
        default=None,
        pattern=TOOL_NAME,
        description="The tool's name as the model sees it (default: from the action or kind)",
    )
    description: str | None = Field(
        default=None, max_length=2000, description="What the tool does, for the model"
    )
    requires_approval: bool = Field(
        default=False,
        description="A person approves each call before it runs (the execution waits)",
    )
    node_type: str | None = Field(
        default=None, description="action: the action's node type, e.g. github.create_issue"
    )
    integration_id: int | None = Field(
        default=None, ge=1, description="action/http: the integration whose credentials it uses"
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="action/http: fixed params (hidden from the model; may hold expressions "
        "over the item)",
    )
    method: str | None = Field(default=None, description="http: the HTTP method (fixed)")
    url: str | None = Field(
        default=None,
        description="http: URL template, its scheme and host literal; {{ args.<name> }} are "
        "the model's arguments (URL-quoted)",
    )
    code: str | None = Field(default=None, description="code: the Python to run (fixed)")
    workflow_id: int | None = Field(default=None, ge=1, description="workflow: which workflow")
    parameters: dict[str, Any] | None = Field(
        default=None,
        description="http/code/workflow: JSON Schema of the arguments (default: any object)",
    )
    options: dict[str, Any] = Field(default_factory=dict, description="A plugin kind's settings")

    @model_validator(mode="after")
    def _kind_fields(self) -> ToolConfig:
        kind = TOOL_KINDS.get(self.kind)
        if kind is None:
            check_problems([("kind", f"unknown tool kind; use one of {', '.join(TOOL_KINDS)}")])
        else:
            check_problems(kind.check(self))
        return self


@dataclass
class AgentTool:
    """A tool as the agent runs it."""

    spec: ToolSpec
    config: ToolConfig
    run: Callable[[NodeContext, dict[str, Any], int, str], Awaitable[Any]]
    validator: Draft202012Validator = field(init=False)

    def __post_init__(self) -> None:
        self.validator = Draft202012Validator(self.spec.parameters)

    def problems(self, arguments: dict[str, Any]) -> list[str]:
        """Why ``arguments`` do not fit the tool's schema (empty: they do)."""
        if "$raw" in arguments:
            return ["the arguments are not a JSON object"]
        out = []
        for error in sorted(self.validator.iter_errors(arguments), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in error.path) or "(arguments)"
            out.append(f"{where}: {error.message}")
        return out[:10]


@dataclass(frozen=True)
class ToolKind:
    """A kind of tool: what its config needs (``check``: problems as (field, message)) and
    how a config becomes a tool."""

    check: Callable[[ToolConfig], list[tuple[str, str]]]
    build: Callable[[ToolConfig], AgentTool]


TOOL_KINDS: dict[str, ToolKind] = {}


def register_tool_kind(kind: str, tool_kind: ToolKind) -> None:
    """Add a kind of agent tool (retrieval's vector search registers ``retrieval``)."""
    TOOL_KINDS[kind] = tool_kind


def _need(config: ToolConfig, *names: str) -> list[tuple[str, str]]:
    return [(n, f"a {config.kind} tool needs {n}") for n in names if getattr(config, n) is None]


def _object_schema(schema: dict[str, Any] | None) -> dict[str, Any]:
    schema = dict(schema or FREE_OBJECT)
    schema.setdefault("type", "object")
    return schema


# -- action ------------------------------------------------------------------------------


def _check_action(config: ToolConfig) -> list[tuple[str, str]]:
    problems = _need(config, "node_type", "integration_id")
    if config.node_type is not None:
        spec = registry.node(config.node_type)
        if spec is None or spec.run_item is None or "." not in config.node_type:
            problems.append(("node_type", f"{config.node_type!r} is not an integration action"))
        elif config.node_type.startswith("core."):
            problems.append(("node_type", "use the http, code or workflow kinds for core nodes"))
    return problems


def action_schema(node_type: str, fixed: dict[str, Any]) -> dict[str, Any]:
    """The action's params JSON Schema without the fields the node config fixes."""
    spec = registry.node(node_type)
    assert spec is not None
    schema = spec.params.model_json_schema()
    properties = {k: v for k, v in schema.get("properties", {}).items() if k not in fixed}
    out: dict[str, Any] = {"type": "object", "properties": properties}
    required = [r for r in schema.get("required", []) if r not in fixed]
    if required:
        out["required"] = required
    if "$defs" in schema:
        out["$defs"] = schema["$defs"]
    out["additionalProperties"] = False
    return out


def _build_action(config: ToolConfig) -> AgentTool:
    node_type = config.node_type or ""
    spec = registry.node(node_type)
    assert spec is not None and spec.run_item is not None
    run_item = spec.run_item

    async def run(ctx: NodeContext, arguments: dict[str, Any], index: int, call: str) -> Any:
        fixed = await ctx.aevaluate(config.params, index) if config.params else {}
        tool_ctx = ToolContext(ctx, call, node_type, config.integration_id, [{}])
        return await run_item(tool_ctx, {}, {**arguments, **fixed})

    return AgentTool(
        ToolSpec(
            name=config.name or node_type.replace(".", "_")[:64],
            description=config.description or spec.description,
            parameters=action_schema(node_type, config.params),
        ),
        config,
        run,
    )


# -- http --------------------------------------------------------------------------------


def _check_http(config: ToolConfig) -> list[tuple[str, str]]:
    problems = _need(config, "method", "url", "name")
    if config.url is not None and not URL_ORIGIN.match(config.url):
        problems.append(
            ("url", "must start with a literal http(s)://host/ (arguments only fill the rest)")
        )
    if config.method is not None and config.method.upper() not in (
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
    ):
        problems.append(("method", "GET, POST, PUT, PATCH or DELETE"))
    return problems


def _quoted(arguments: dict[str, Any]) -> dict[str, Any]:
    from urllib.parse import quote

    return {
        k: quote(str(v), safe="") if not isinstance(v, dict | list) else v
        for k, v in arguments.items()
    }


def _build_http(config: ToolConfig) -> AgentTool:
    method = (config.method or "GET").upper()
    template = config.url or ""
    origin = URL_ORIGIN.match(template)
    assert origin is not None

    async def run(ctx: NodeContext, arguments: dict[str, Any], index: int, call: str) -> Any:
        url = str(await ctx.aevaluate_with(template, {"args": _quoted(arguments)}, index))
        if not url.startswith(origin.group(0)):
            raise NodeError(f"the URL left {origin.group(0)}", retryable=False)
        fixed = await ctx.aevaluate(config.params, index) if config.params else {}
        params: dict[str, Any] = {"method": method, "url": url, **fixed}
        params["integration_id"] = config.integration_id
        used = set(re.findall(r"args\.([A-Za-z0-9_]+)", template))
        rest = {k: v for k, v in arguments.items() if k not in used}
        if method in ("GET", "DELETE"):
            params["query"] = {**params.get("query", {}), **rest}
        elif "body" not in fixed:
            params["body"] = rest
        tool_ctx = ToolContext(ctx, call, "core.http_request", config.integration_id, [{}])
        return await run_http_request(tool_ctx, {}, params)

    return AgentTool(
        ToolSpec(
            name=config.name or "http_request",
            description=config.description or f"{method} {template}",
            parameters=_object_schema(config.parameters),
        ),
        config,
        run,
    )


# -- code --------------------------------------------------------------------------------


def _check_code(config: ToolConfig) -> list[tuple[str, str]]:
    return _need(config, "code", "name")


def _build_code(config: ToolConfig) -> AgentTool:
    from wirework.nodes.data import run_code

    async def run(ctx: NodeContext, arguments: dict[str, Any], index: int, call: str) -> Any:
        params = {"code": config.code, "mode": "once"}
        tool_ctx = ToolContext(ctx, call, "core.code", None, [arguments], params=params)
        return await run_code(tool_ctx)

    return AgentTool(
        ToolSpec(
            name=config.name or "code",
            description=config.description
            or "Runs code on the arguments (given to it as items[0])",
            parameters=_object_schema(config.parameters),
        ),
        config,
        run,
    )


# -- workflow ----------------------------------------------------------------------------


def _check_workflow(config: ToolConfig) -> list[tuple[str, str]]:
    return _need(config, "workflow_id", "name")


def _build_workflow(config: ToolConfig) -> AgentTool:
    workflow_id = config.workflow_id or 0

    async def run(ctx: NodeContext, arguments: dict[str, Any], index: int, call: str) -> Any:
        return await ctx.run_workflow(workflow_id, [arguments], wait=True)

    return AgentTool(
        ToolSpec(
            name=config.name or f"workflow_{workflow_id}",
            description=config.description or f"Runs workflow {workflow_id} on the arguments",
            parameters=_object_schema(config.parameters),
        ),
        config,
        run,
    )


register_tool_kind(BuiltinTool.ACTION, ToolKind(_check_action, _build_action))
register_tool_kind(BuiltinTool.HTTP, ToolKind(_check_http, _build_http))
register_tool_kind(BuiltinTool.CODE, ToolKind(_check_code, _build_code))
register_tool_kind(BuiltinTool.WORKFLOW, ToolKind(_check_workflow, _build_workflow))


def build_tools(configs: list[ToolConfig]) -> dict[str, AgentTool]:
    """The tools by name (a NodeError if two share one)."""
    tools: dict[str, AgentTool] = {}
    for config in configs:
        tool = TOOL_KINDS[config.kind].build(config)
        if tool.spec.name in tools:
            raise NodeError(
                f"two tools are named {tool.spec.name!r}: give one a name", retryable=False
            )
        tools[tool.spec.name] = tool
    return tools


MAX_RESULT_CHARS = 20_000


def as_tool_output(name: str, value: Any) -> str:
    """A tool's result as the model reads it: JSON inside ``<tool_output>`` (untrusted data;
    the agent's system prompt says so), cut to MAX_RESULT_CHARS."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    if len(text) > MAX_RESULT_CHARS:
        text = text[:MAX_RESULT_CHARS] + " …(cut)"
    text = text.replace("</tool_output", "<\\/tool_output")
    return f'<tool_output tool="{name}">\n{text}\n</tool_output>'
