"""SMTP: send e-mail (text and/or HTML, attachments, custom headers) through any SMTP server,
with STARTTLS or implicit TLS. Importing this package registers it."""

from wirework.integrations.smtp import actions
from wirework.integrations.smtp.credentials import SMTP, SmtpCredentials

__all__ = ["SMTP", "SmtpCredentials", "actions"]
