"""Google Sheets (API v4): read rows, append rows, update a range or a row by column name,
clear a range; a service account (signed JWT) or OAuth2. Importing this package registers
it."""

from wirework.integrations.google_sheets import actions
from wirework.integrations.google_sheets.credentials import (
    GOOGLE_SHEETS,
    GoogleSheetsCredentials,
    GoogleTokenSource,
)

__all__ = ["GOOGLE_SHEETS", "GoogleSheetsCredentials", "GoogleTokenSource", "actions"]
