"""Anthropic's Messages API through the official ``anthropic`` SDK: the actions
``anthropic.messages`` and ``anthropic.list_models``, and the model provider ``anthropic``
that every ``ai.*`` node can use. Importing this package registers it."""

from wirework.integrations.anthropic import actions
from wirework.integrations.anthropic.credentials import ANTHROPIC, AnthropicCredentials
from wirework.integrations.anthropic.provider import AnthropicProvider

__all__ = ["ANTHROPIC", "AnthropicCredentials", "AnthropicProvider", "actions"]
