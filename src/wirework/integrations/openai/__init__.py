"""OpenAI and every OpenAI-compatible server (Azure OpenAI, Ollama, vLLM, LM Studio) by
``base_url``, through the official ``openai`` SDK: the actions ``openai.chat``,
``openai.embeddings`` and ``openai.list_models``, and the model provider ``openai`` that every
``ai.*`` node can use. Importing this package registers it."""

from wirework.integrations.openai import actions
from wirework.integrations.openai.credentials import OPENAI, OpenAICredentials
from wirework.integrations.openai.provider import OpenAIProvider

__all__ = ["OPENAI", "OpenAICredentials", "OpenAIProvider", "actions"]
