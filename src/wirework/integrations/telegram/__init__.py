"""Telegram (Bot API): send messages and photos; trigger on the bot's updates by webhook.
Importing this package registers it."""

from wirework.integrations.telegram import actions, triggers
from wirework.integrations.telegram.credentials import TELEGRAM, TelegramCredentials

__all__ = ["TELEGRAM", "TelegramCredentials", "actions", "triggers"]
