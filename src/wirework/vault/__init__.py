"""The credential vault: encryption at rest, key files, masking and redaction of secrets."""

from wirework.vault.crypto import Vault, VaultError
from wirework.vault.masking import MASK

__all__ = ["MASK", "Vault", "VaultError"]
