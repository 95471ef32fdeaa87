"""The ``openai`` model provider: :class:`~wirework.sdk.ai.ModelProvider` over the official
SDK, on the project's guarded HTTP client (SSRF guard, response limits, the key only for the
integration's own host), retried and bounded by :func:`wirework.sdk.ai.calls.with_retries`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import openai

from wirework.integrations.openai.credentials import (
    OPENAI,
    OPENAI_BASE_URL,
    SERVICE,
    OpenAICredentials,
    need_key,
)
from wirework.sdk.ai import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    EmbeddingResult,
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


def _arguments(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"$raw": text}
    return value if isinstance(value, dict) else {"$raw": text}


def wire_message(message: Message) -> dict[str, Any]:
    """A neutral message as a chat-completions message."""
    if message.role is Role.TOOL:
        return {
            "role": "tool",
            "tool_call_id": message.tool_call_id or "",
            "content": message.content or "",
        }
    out: dict[str, Any] = {"role": message.role.value, "content": message.content}
    if message.role is Role.ASSISTANT and message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in message.tool_calls
        ]
    elif out["content"] is None:
        out["content"] = ""
    return out


def _tool_choice(choice: str | None) -> Any:
    if choice is None or choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


class OpenAIProvider(SdkProvider):
    name = "openai"
    service = SERVICE
    timeout_errors = (openai.APITimeoutError,)
    connection_errors = (openai.APIConnectionError,)

    def __init__(
        self,
        credentials: OpenAICredentials,
        *,
        integration_id: int | None = None,
        hosts: AllowedHosts | None = None,
    ) -> None:
        self.credentials = credentials
        key = credentials.api_key.get_secret_value() if credentials.api_key else ""
        super().__init__(
            base_url=credentials.base_url,
            timeout_s=credentials.timeout_s,
            max_retries=credentials.max_retries,
            secrets=(key,) if key else (),
            integration_id=integration_id,
            hosts=hosts,
        )
        common: dict[str, Any] = {
            "api_key": need_key(credentials),
            "organization": credentials.organization,
            "project": credentials.project,
            "max_retries": 0,
            "timeout": credentials.timeout_s,
            "http_client": self.http,
        }
        self.client: openai.AsyncOpenAI
        if credentials.api_version:
            self.client = openai.AsyncAzureOpenAI(
                azure_endpoint=credentials.base_url, api_version=credentials.api_version, **common
            )
        else:
            self.client = openai.AsyncOpenAI(base_url=credentials.base_url, **common)

    # -- chat ---------------------------------------------------------------------------------

    def chat_arguments(self, request: ChatRequest) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": request.model,
            "messages": [wire_message(m) for m in request.messages],
        }
        if request.tools:
            args["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                }
                for t in request.tools
            ]
            if request.tool_choice is not None:
                args["tool_choice"] = _tool_choice(request.tool_choice)
        for name in ("temperature", "top_p"):
            if getattr(request, name) is not None:
                args[name] = getattr(request, name)
        if request.max_tokens is not None:
            args[self._max_tokens_field()] = request.max_tokens
        if request.stop:
            args["stop"] = request.stop
        if request.json_schema is not None:
            args["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": request.json_schema, "strict": False},
            }
        return args

    def _max_tokens_field(self) -> str:
        """OpenAI's own API (and Azure's) wants ``max_completion_tokens`` (its reasoning
        models refuse ``max_tokens``); compatible servers know ``max_tokens``."""
        host = (urlsplit(self.credentials.base_url).hostname or "").lower()
        official = self.credentials.base_url.startswith(OPENAI_BASE_URL.rsplit("/", 1)[0])
        if official or host.endswith(".openai.azure.com"):
            return "max_completion_tokens"
        return "max_tokens"

    async def chat(self, request: ChatRequest) -> ChatResult:
        self.bound_timeout(request.timeout_s)
        args = self.chat_arguments(request)

        async def call(remaining: float) -> Any:
            return await self.client.chat.completions.create(**args, timeout=remaining)

        completion = await self._call(call)
        if not completion.choices:
            raise NodeError(f"{SERVICE}: the answer has no choices", retryable=True)
        choice = completion.choices[0]
        calls = [
            ToolCall(id=c.id, name=c.function.name, arguments=_arguments(c.function.arguments))
            for c in (choice.message.tool_calls or [])
            if getattr(c, "function", None) is not None
        ]
        usage = completion.usage
        return ChatResult(
            message=Message(role=Role.ASSISTANT, content=choice.message.content, tool_calls=calls),
            usage=Usage(
                input_tokens=usage.prompt_tokens if usage else 0,
                output_tokens=usage.completion_tokens if usage else 0,
            ),
            model=completion.model or request.model,
            finish_reason=choice.finish_reason,
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        self.bound_timeout(request.timeout_s)
        args = self.chat_arguments(request)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.timeout_s

        async def call(remaining: float) -> Any:
            return await self.client.chat.completions.create(
                **args, stream=True, stream_options={"include_usage": True}, timeout=remaining
            )

        stream = await self._call(call)
        state = _StreamState(request.model)
        iterator = stream.__aiter__()
        try:
            while True:
                remaining = deadline - loop.time()
                try:
                    chunk = await asyncio.wait_for(anext(iterator), max(remaining, 0.001))
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise NodeError(
                        f"{SERVICE}: the answer did not finish within {self.policy.timeout_s:g} s",
                        retryable=True,
                    ) from None
                except NodeError:
                    raise
                except Exception as exc:
                    raise self.describe(exc) from None
                text = state.add(chunk)
                if text:
                    yield ChatDelta(text=text)
        finally:
            await stream.close()
        yield ChatDelta(result=state.result())

    # -- embeddings and models ------------------------------------------------------------------

    async def embed(self, texts: list[str], model: str) -> EmbeddingResult:
        async def call(remaining: float) -> Any:
            return await self.client.embeddings.create(model=model, input=texts, timeout=remaining)

        answer = await self._call(call)
        rows = sorted(answer.data, key=lambda d: d.index)
        if len(rows) != len(texts):
            raise NodeError(
                f"{SERVICE}: asked for {len(texts)} embeddings, got {len(rows)}", retryable=True
            )
        usage = answer.usage
        return EmbeddingResult(
            vectors=[list(r.embedding) for r in rows],
            usage=Usage(input_tokens=usage.prompt_tokens if usage else 0),
            model=answer.model or model,
        )

    async def list_models(self) -> list[ModelInfo]:
        async def call(remaining: float) -> list[ModelInfo]:
            page = await self.client.models.list(timeout=remaining)
            return [ModelInfo(id=m.id, kind=_kind(m.id)) for m in page.data]

        models: list[ModelInfo] = await self._call(call)
        return sorted(models, key=lambda m: m.id)


def _kind(model_id: str) -> str | None:
    return "embedding" if "embed" in model_id.lower() else None


class _StreamState:
    """Assembles the streamed chunks into the whole answer."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.text: list[str] = []
        self.calls: dict[int, dict[str, str]] = {}
        self.finish_reason: str | None = None
        self.usage = Usage()

    def add(self, chunk: Any) -> str:
        if getattr(chunk, "model", None):
            self.model = chunk.model
        if getattr(chunk, "usage", None) is not None:
            self.usage = Usage(
                input_tokens=chunk.usage.prompt_tokens or 0,
                output_tokens=chunk.usage.completion_tokens or 0,
            )
        text = ""
        for choice in chunk.choices or []:
            if choice.index != 0:
                continue
            delta = choice.delta
            if delta is not None and delta.content:
                text += delta.content
            for call in (delta.tool_calls or []) if delta is not None else []:
                slot = self.calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                if call.id:
                    slot["id"] = call.id
                if call.function is not None:
                    slot["name"] += call.function.name or ""
                    slot["arguments"] += call.function.arguments or ""
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
        self.text.append(text)
        return text

    def result(self) -> ChatResult:
        calls = [
            ToolCall(
                id=c["id"] or f"call_{i}", name=c["name"], arguments=_arguments(c["arguments"])
            )
            for i, c in sorted(self.calls.items())
        ]
        return ChatResult(
            message=Message(
                role=Role.ASSISTANT, content="".join(self.text) or None, tool_calls=calls
            ),
            usage=self.usage,
            model=self.model,
            finish_reason=self.finish_reason,
        )


def provider_of(values: Mapping[str, Any], integration_id: int | None = None) -> OpenAIProvider:
    """The provider for an integration's decrypted credential values."""
    credentials = OPENAI.validate_credentials(values, integration_id)
    hosts = AllowedHosts.of(
        IntegrationCredentials(
            {"base_url": credentials.base_url},
            allowed_hosts=getattr(values, "allowed_hosts", None),
        )
    )
    return OpenAIProvider(
        credentials,
        integration_id=integration_id if integration_id is not None else _id(values),
        hosts=hosts,
    )


def _id(values: Mapping[str, Any]) -> int | None:
    found = getattr(values, "integration_id", None)
    return found if isinstance(found, int) else None


@register_provider("openai")
def _provider(credentials: IntegrationCredentials) -> ModelProvider:
    return provider_of(credentials)
