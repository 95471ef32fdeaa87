"""Jira Cloud (REST API v3): issues (create, update, transition, comment, search by JQL), a
webhook trigger (signed deliveries) and a polling trigger on a JQL query. Importing this
package registers it."""

from wirework.integrations.jira import actions, triggers
from wirework.integrations.jira.credentials import JIRA, JiraCredentials

__all__ = ["JIRA", "JiraCredentials", "actions", "triggers"]
