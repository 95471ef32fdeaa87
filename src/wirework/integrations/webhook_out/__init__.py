"""Outgoing webhooks signed the Standard Webhooks way (https://www.standardwebhooks.com).
Importing this package registers it."""

from wirework.integrations.webhook_out import actions
from wirework.integrations.webhook_out.credentials import WEBHOOK_OUT, WebhookOutCredentials

__all__ = ["WEBHOOK_OUT", "WebhookOutCredentials", "actions"]
