"""The ``anthropic`` model provider: :class:`~wirework.sdk.ai.ModelProvider` over the official
SDK's Messages API, on the project's guarded HTTP client, retried and bounded by
:func:`wirework.sdk.ai.calls.with_retries`.

Translation: system messages go to ``system``; an assistant's tool calls are ``tool_use``
blocks, tool results ``tool_result`` blocks in a user turn (consecutive turns of one role are
merged, as the API wants them alternating). A JSON Schema answer without other tools is asked
for as a forced tool call whose input is the answer (the node validates it either way)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anthropic

from wirework.integrations.anthropic.credentials import (
    ANTHROPIC,
    SERVICE,
    AnthropicCredentials,
)
from wirework.sdk.ai import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    Message,
    ModelInfo,
    ModelProvider,
    Role,
    ToolCall,
    Usage,
    register_provider,
)
from wirework.sdk.ai.sdk_provider import SdkProvider
from wirework.sdk.node import NodeError
from wirework.sdk.outbound import AllowedHosts, IntegrationCredentials

OUTPUT_TOOL = "json_output"
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def _blocks(message: Message) -> list[dict[str, Any]]:
    if message.role is Role.TOOL:
        return [
            {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id or "",
                "content": message.content or "",
            }
        ]
    blocks: list[dict[str, Any]] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    for call in message.tool_calls:
        blocks.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        )
    return blocks


def wire_messages(messages: list[Message]) -> tuple[str | None, list[dict[str, Any]]]:
    """(system prompt, Messages API turns)."""
    system = [m.content for m in messages if m.role is Role.SYSTEM and m.content]
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role is Role.SYSTEM:
            continue
        role = "assistant" if message.role is Role.ASSISTANT else "user"
        blocks = _blocks(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return ("\n\n".join(system) if system else None), turns


def _tool_choice(choice: str | None) -> dict[str, Any] | None:
    if choice is None:
        return None
    if choice in ("auto", "none"):
        return {"type": choice}
    if choice == "required":
        return {"type": "any"}
    return {"type": "tool", "name": choice}


class AnthropicProvider(SdkProvider):
    name = "anthropic"
    service = SERVICE
    timeout_errors = (anthropic.APITimeoutError,)
    connection_errors = (anthropic.APIConnectionError,)

    def __init__(
        self,
        credentials: AnthropicCredentials,
        *,
        integration_id: int | None = None,
        hosts: AllowedHosts | None = None,
    ) -> None:
        self.credentials = credentials
        key = credentials.api_key.get_secret_value()
        super().__init__(
            base_url=credentials.base_url,
            timeout_s=credentials.timeout_s,
            max_retries=credentials.max_retries,
            secrets=(key,) if key else (),
            integration_id=integration_id,
            hosts=hosts,
        )
        self.client: anthropic.AsyncAnthropic = anthropic.AsyncAnthropic(
            api_key=key,
            base_url=credentials.base_url,
            max_retries=0,
            timeout=credentials.timeout_s,
            http_client=self.http,
        )

    # -- chat ---------------------------------------------------------------------------------

    def message_arguments(self, request: ChatRequest) -> tuple[dict[str, Any], bool]:
        """The Messages API arguments, and whether the answer comes as the output tool."""
        system, turns = wire_messages(request.messages)
        if not turns:
            raise NodeError(f"{SERVICE}: the request has no user message", retryable=False)
        args: dict[str, Any] = {
            "model": request.model,
            "messages": turns,
            "max_tokens": request.max_tokens or self.credentials.default_answer_limit,
        }
        tools = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in request.tools
        ]
        as_tool = request.json_schema is not None and not tools
        if request.json_schema is not None:
            if as_tool:
                tools = [
                    {
                        "name": OUTPUT_TOOL,
                        "description": "Give the answer: its input is the answer itself.",
                        "input_schema": _object_schema(request.json_schema),
                    }
                ]
                args["tool_choice"] = {"type": "tool", "name": OUTPUT_TOOL}
            else:
                schema = json.dumps(request.json_schema)
                system = (system + "\n\n" if system else "") + (
                    f"Answer with one JSON value following this JSON Schema: {schema}"
                )
        if tools:
            args["tools"] = tools
            choice = _tool_choice(request.tool_choice)
            if choice is not None and not as_tool:
                args["tool_choice"] = choice
        if system:
            args["system"] = system
        for name in ("temperature", "top_p"):
            if getattr(request, name) is not None:
                args[name] = getattr(request, name)
        if request.stop:
            args["stop_sequences"] = request.stop
        return args, as_tool

    async def chat(self, request: ChatRequest) -> ChatResult:
        self.bound_timeout(request.timeout_s)
        args, as_tool = self.message_arguments(request)

        async def call(remaining: float) -> Any:
            return await self.client.messages.create(**args, timeout=remaining)

        answer = await self._call(call)
        state = _Assembled(answer.model or request.model)
        for block in answer.content:
            if block.type == "text":
                state.text.append(block.text)
            elif block.type == "tool_use":
                state.calls.append(
                    {"id": block.id, "name": block.name, "input": dict(block.input or {})}
                )
        state.stop_reason = answer.stop_reason
        state.usage = Usage(
            input_tokens=answer.usage.input_tokens or 0,
            output_tokens=answer.usage.output_tokens or 0,
        )
        return state.result(as_tool, _wrapped(request))

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        self.bound_timeout(request.timeout_s)
        args, as_tool = self.message_arguments(request)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.timeout_s

        async def call(remaining: float) -> Any:
            return await self.client.messages.create(**args, stream=True, timeout=remaining)

        stream = await self._call(call)
        state = _Assembled(request.model)
        iterator = stream.__aiter__()
        try:
            while True:
                try:
                    event = await asyncio.wait_for(
                        anext(iterator), max(deadline - loop.time(), 0.001)
                    )
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise NodeError(
                        f"{SERVICE}: the answer did not finish within {self.policy.timeout_s:g} s",
                        retryable=True,
                    ) from None
                except Exception as exc:
                    raise self.describe(exc) from None
                text = state.add(event)
                if text and not as_tool:
                    yield ChatDelta(text=text)
        finally:
            await stream.close()
        result = state.result(as_tool, _wrapped(request))
        if as_tool and result.message.content:
            yield ChatDelta(text=result.message.content)
        yield ChatDelta(result=result)

    async def list_models(self) -> list[ModelInfo]:
        async def call(remaining: float) -> list[ModelInfo]:
            found: list[ModelInfo] = []
            async for model in self.client.models.list(limit=1000, timeout=remaining):
                found.append(ModelInfo(id=model.id, kind="chat"))
            return found

        models: list[ModelInfo] = await self._call(call)
        return models


def _wrapped(request: ChatRequest) -> bool:
    return request.json_schema is not None and request.json_schema.get("type") != "object"


def _object_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's input must be an object: other schemas are wrapped as ``{"value": …}``."""
    if schema.get("type") == "object":
        return schema
    return {"type": "object", "properties": {"value": schema}, "required": ["value"]}


class _Assembled:
    """An answer's blocks, whole or from stream events, as a neutral result."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.text: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self.partial: dict[int, dict[str, Any]] = {}
        self.stop_reason: str | None = None
        self.usage = Usage()

    def add(self, event: Any) -> str:
        kind = event.type
        if kind == "message_start":
            self.model = event.message.model or self.model
            self.usage = Usage(input_tokens=event.message.usage.input_tokens or 0)
        elif kind == "content_block_start":
            block = event.content_block
            if block.type == "tool_use":
                self.partial[event.index] = {"id": block.id, "name": block.name, "json": ""}
            elif block.type == "text" and block.text:
                self.text.append(block.text)
                return str(block.text)
        elif kind == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta":
                self.text.append(delta.text)
                return str(delta.text)
            if delta.type == "input_json_delta" and event.index in self.partial:
                self.partial[event.index]["json"] += delta.partial_json
        elif kind == "content_block_stop" and event.index in self.partial:
            found = self.partial.pop(event.index)
            try:
                value = json.loads(found["json"]) if found["json"] else {}
            except ValueError:
                value = {"$raw": found["json"]}
            self.calls.append({"id": found["id"], "name": found["name"], "input": value})
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            if event.usage is not None and event.usage.output_tokens is not None:
                self.usage = Usage(
                    input_tokens=self.usage.input_tokens, output_tokens=event.usage.output_tokens
                )
        return ""

    def result(self, as_tool: bool, wrapped: bool = False) -> ChatResult:
        calls = [
            ToolCall(
                id=c["id"],
                name=c["name"],
                arguments=c["input"] if isinstance(c["input"], dict) else {"$raw": c["input"]},
            )
            for c in self.calls
        ]
        content = "".join(self.text) or None
        finish = STOP_REASONS.get(self.stop_reason or "", self.stop_reason)
        if as_tool:
            output = next((c for c in calls if c.name == OUTPUT_TOOL), None)
            if output is not None:
                answer = output.arguments.get("value") if wrapped else output.arguments
                content = json.dumps(answer)
                calls = [c for c in calls if c.name != OUTPUT_TOOL]
                finish = "stop" if finish == "tool_calls" else finish
        return ChatResult(
            message=Message(role=Role.ASSISTANT, content=content, tool_calls=calls),
            usage=self.usage,
            model=self.model,
            finish_reason=finish,
        )


def provider_of(values: Mapping[str, Any], integration_id: int | None = None) -> AnthropicProvider:
    """The provider for an integration's decrypted credential values."""
    credentials = ANTHROPIC.validate_credentials(values, integration_id)
    hosts = AllowedHosts.of(
        IntegrationCredentials(
            {"base_url": credentials.base_url},
            allowed_hosts=getattr(values, "allowed_hosts", None),
        )
    )
    found = getattr(values, "integration_id", None)
    return AnthropicProvider(
        credentials,
        integration_id=integration_id if integration_id is not None else found,
        hosts=hosts,
    )


@register_provider("anthropic")
def _provider(credentials: IntegrationCredentials) -> ModelProvider:
    return provider_of(credentials)
