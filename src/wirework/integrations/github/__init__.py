"""GitHub (REST API, 2022-11-28): repositories, issues, files, pull request comments,
workflow dispatches; triggers on webhook deliveries and by polling issues. Importing this
package registers it."""

from wirework.integrations.github import actions, triggers
from wirework.integrations.github.credentials import GITHUB, GitHubCredentials

__all__ = ["GITHUB", "GitHubCredentials", "actions", "triggers"]
