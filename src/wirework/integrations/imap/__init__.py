"""IMAP: a polling trigger on new mail in a mailbox (UIDVALIDITY + last UID: nothing twice,
nothing missed across restarts) and an action that fetches the messages a search finds.
Importing this package registers it."""

from wirework.integrations.imap import actions, triggers
from wirework.integrations.imap.credentials import IMAP, ImapCredentials

__all__ = ["IMAP", "ImapCredentials", "actions", "triggers"]
