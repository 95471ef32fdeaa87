"""Microsoft Azure: resource groups over Resource Manager (a service principal's
client-credentials token) and Blob Storage (azure-storage-blob). Importing this package
registers it."""

from wirework.integrations.azure import actions
from wirework.integrations.azure.credentials import AZURE, AzureCredentials, forget_tokens

__all__ = ["AZURE", "AzureCredentials", "actions", "forget_tokens"]
