"""Slack (Web API and Events API): messages, files, channels; triggers on Events API
deliveries. Importing this package registers it."""

from wirework.integrations.slack import actions, triggers
from wirework.integrations.slack.credentials import SLACK, SlackCredentials

__all__ = ["SLACK", "SlackCredentials", "actions", "triggers"]
