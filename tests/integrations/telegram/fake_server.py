"""A local Telegram Bot API for tests: ``/bot<token>/<method>`` for the methods the Telegram
integration calls, with Telegram's answers (``{"ok": true, "result": …}``; errors as
``{"ok": false, "error_code", "description"}`` with the same HTTP status; 429 with
``parameters.retry_after``), JSON and multipart (photo upload) bodies."""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any

from tests.integrations.fakes import Answer, FakeServer, Request
from tests.integrations.slack.fake_server import form_of

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
PARSE_MODES = {"MarkdownV2", "HTML", "Markdown"}
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def failed(status: int, description: str, **parameters: Any) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer(status, body)


def too_many(retry_after: int) -> Answer:
    return failed(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


class FakeTelegram(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.chats = {42: {"id": 42, "type": "private", "first_name": "Ada"}}
        self.sent: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        bot = r"/bot(?P<token>[^/]+)"
        self.route("POST", f"{bot}/getMe", self._me)
        self.route("POST", f"{bot}/sendMessage", self._send_message)
        self.route("POST", f"{bot}/sendPhoto", self._send_photo)
        self.route("POST", f"{bot}/setWebhook", self._set_webhook)
        self.webhook: dict[str, Any] | None = None

    def not_found(self, request: Request) -> Answer:
        return failed(404, "Not Found")

    def authenticate(self, request: Request) -> Answer | None:
        if not request.path.startswith(f"/bot{TOKEN}/"):
            return failed(401, "Unauthorized")
        return None

    def _fields(self, request: Request) -> dict[str, Any] | Answer:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("application/json"):
            try:
                found = json.loads(request.body)
            except ValueError:
                return failed(400, "Bad Request: can't parse JSON")
            return found if isinstance(found, dict) else failed(400, "Bad Request: not an object")
        fields = form_of(request)
        for key in ("reply_markup", "reply_parameters"):
            if isinstance(fields.get(key), str):
                try:
                    fields[key] = json.loads(fields[key])
                except ValueError:
                    return failed(400, f"Bad Request: can't parse {key} JSON object")
        if isinstance(fields.get("chat_id"), str) and fields["chat_id"].lstrip("-").isdigit():
            fields["chat_id"] = int(fields["chat_id"])
        return fields

    def _to_chat(self, request: Request) -> tuple[dict[str, Any], dict[str, Any]] | Answer:
        """A send method's fields and the chat they name (or the error answer)."""
        fields = self._fields(request)
        if isinstance(fields, Answer):
            return fields
        chat = self._chat(fields)
        if isinstance(chat, Answer):
            return chat
        return fields, chat

    def _chat(self, fields: dict[str, Any]) -> dict[str, Any] | Answer:
        if "chat_id" not in fields:
            return failed(400, "Bad Request: chat_id is empty")
        chat = self.chats.get(fields["chat_id"])  # type: ignore[call-overload]
        if chat is None:
            return failed(400, "Bad Request: chat not found")
        mode = fields.get("parse_mode")
        if mode is not None and mode not in PARSE_MODES:
            return failed(400, f"Bad Request: unsupported parse_mode {mode}")
        markup = fields.get("reply_markup")
        if markup is not None and not isinstance(markup, dict):
            return failed(400, "Bad Request: can't parse reply keyboard markup JSON object")
        return chat

    def _message(self, chat: dict[str, Any], **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._ids),
            "from": {"id": 123456789, "is_bot": True, "username": "wirework_bot"},
            "chat": chat,
            "date": int(time.time()),
            **content,
        }

    def _me(self, request: Request, token: str) -> Answer:
        me = {"id": 123456789, "is_bot": True, "first_name": "Wirework", "username": "wirework_bot"}
        return Answer(200, {"ok": True, "result": me})

    def _send_message(self, request: Request, token: str) -> Answer:
        sent = self._to_chat(request)
        if isinstance(sent, Answer):
            return sent
        fields, chat = sent
        text = fields.get("text")
        if not isinstance(text, str) or not text:
            return failed(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return failed(400, "Bad Request: message is too long")
        self.sent.append(fields)
        return Answer(200, {"ok": True, "result": self._message(chat, text=text)})

    def _send_photo(self, request: Request, token: str) -> Answer:
        sent = self._to_chat(request)
        if isinstance(sent, Answer):
            return sent
        fields, chat = sent
        photo = fields.get("photo")
        if isinstance(photo, dict):  # an upload
            if not photo["content"]:
                return failed(400, "Bad Request: file must be non-empty")
            size = len(photo["content"])
        elif isinstance(photo, str) and photo.startswith(("http://", "https://")):
            size = 0
        else:
            return failed(400, "Bad Request: there is no photo in the request")
        self.sent.append(fields)
        message = self._message(
            chat,
            photo=[
                {
                    "file_id": "AgAC-photo",
                    "file_unique_id": "AQAD",
                    "width": 90,
                    "height": 90,
                    "file_size": size,
                }
            ],
            caption=fields.get("caption"),
        )
        return Answer(200, {"ok": True, "result": message})

    def _set_webhook(self, request: Request, token: str) -> Answer:
        fields = self._fields(request)
        if isinstance(fields, Answer):
            return fields
        url = fields.get("url")
        if not isinstance(url, str) or not url.startswith("https://"):
            return failed(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = fields.get("secret_token")
        if secret is not None and not SECRET_TOKEN.match(str(secret)):
            return failed(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = fields
        return Answer(200, {"ok": True, "result": True, "description": "Webhook was set"})
