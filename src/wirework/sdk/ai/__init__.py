"""What model providers and AI nodes share: messages, tools, usage, the provider registry.

See README.md in this folder."""

from wirework.sdk.ai.memory import ConversationMemory, MemoryMode, approx_tokens, newest_within
from wirework.sdk.ai.messages import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    EmbeddingResult,
    Message,
    ModelInfo,
    Role,
    ToolCall,
    ToolSpec,
    Usage,
)
from wirework.sdk.ai.provider import (
    ModelProvider,
    provider_for,
    provider_of_credentials,
    provider_types,
    register_provider,
)
from wirework.sdk.ai.templates import PromptTemplate, TemplateMessage
from wirework.sdk.ai.usage import ModelUsage

__all__ = [
    "ChatDelta",
    "ChatRequest",
    "ChatResult",
    "ConversationMemory",
    "EmbeddingResult",
    "MemoryMode",
    "Message",
    "ModelInfo",
    "ModelProvider",
    "ModelUsage",
    "PromptTemplate",
    "Role",
    "TemplateMessage",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "approx_tokens",
    "newest_within",
    "provider_for",
    "provider_of_credentials",
    "provider_types",
    "register_provider",
]
