"""A local Slack Web API for tests: the methods the Slack integration calls, with Slack's
Bearer token auth, its answers (HTTP 200 with ``{"ok": false, "error": "<code>"}`` for
errors; ``ratelimited`` as 429 with Retry-After), cursor pagination of conversations.list
(``response_metadata.next_cursor``) and the external upload flow (an upload URL on which no
token may be sent, then files.completeUploadExternal)."""

from __future__ import annotations

import itertools
import json
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from tests.integrations.fakes import Answer, FakeServer, Request

TOKEN = "xoxb-1234-5678-fakeslacktoken"
TEAM = "Acme"
BOT_USER = "wirework-bot"


def form_of(request: Request) -> dict[str, Any]:
    """The fields of a form-encoded or multipart body (files as bytes)."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    if ctype.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + request.body
        )
        out: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if part.get_filename() is not None:
                out[str(name)] = {
                    "filename": part.get_filename(),
                    "content": payload,
                    "content_type": part.get_content_type(),
                }
            else:
                out[str(name)] = (payload or b"").decode()
        return out
    return {}


def error(code: str, **extra: Any) -> Answer:
    return Answer(200, {"ok": False, "error": code, **extra})


class FakeSlack(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.channels: list[dict[str, Any]] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.shared: list[dict[str, Any]] = []
        self._ts = itertools.count(100)
        self._ids = itertools.count(1)
        self.add_channel("C0GENERAL", "general")
        api = "/api"
        self.route("POST", f"{api}/auth.test", self._auth_test)
        self.route("POST", f"{api}/chat.postMessage", self._post)
        self.route("POST", f"{api}/chat.update", self._update)
        self.route("POST", f"{api}/files.getUploadURLExternal", self._upload_url)
        self.route("POST", r"/upload/v1/(?P<file_id>[A-Z0-9]+)", self._upload)
        self.route("POST", f"{api}/files.completeUploadExternal", self._complete)
        self.route("GET", f"{api}/conversations.list", self._list)

    # -- helpers for tests ---------------------------------------------------------------

    def add_channel(self, cid: str, name: str, archived: bool = False) -> dict[str, Any]:
        channel = {
            "id": cid,
            "name": name,
            "is_channel": True,
            "is_private": False,
            "is_archived": archived,
            "is_member": True,
            "num_members": 3,
            "topic": {"value": f"about {name}"},
        }
        self.channels.append(channel)
        self.messages[cid] = []
        return channel

    def channel(self, ref: str) -> dict[str, Any] | None:
        for channel in self.channels:
            if ref in (channel["id"], f"#{channel['name']}", channel["name"]):
                return channel
        return None

    # -- the API -------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Answer | None:
        if request.path.startswith("/upload/"):
            if "authorization" in request.headers:  # the token never goes to the upload host
                return Answer(400, {"ok": False, "error": "token_sent_to_upload_url"})
            return None
        given = request.headers.get("authorization")
        if given is None:
            return error("not_authed")
        if given != f"Bearer {TOKEN}":
            return error("invalid_auth")
        return None

    def not_found(self, request: Request) -> Answer:
        return Answer(404, {"ok": False, "error": "unknown_method"})

    def _in_channel(self, request: Request) -> tuple[dict[str, Any], dict[str, Any]] | Answer:
        """A chat method's JSON body and the channel it names (or the error answer)."""
        body = self._json(request)
        if isinstance(body, Answer):
            return body
        channel = self.channel(str(body.get("channel", "")))
        if channel is None:
            return error("channel_not_found")
        return body, channel

    def _json(self, request: Request) -> dict[str, Any] | Answer:
        if not request.headers.get("content-type", "").startswith("application/json"):
            return error("invalid_form_data")
        try:
            body = json.loads(request.body)
        except ValueError:
            return error("invalid_json")
        return body if isinstance(body, dict) else error("invalid_json")

    def _auth_test(self, request: Request) -> Answer:
        return Answer(
            200,
            {
                "ok": True,
                "url": "https://acme.slack.com/",
                "team": TEAM,
                "user": BOT_USER,
                "team_id": "T0ACME",
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
            },
        )

    def _message_body(self, body: dict[str, Any]) -> Answer | None:
        if not body.get("text") and not body.get("blocks"):
            return error("no_text")
        blocks = body.get("blocks")
        if blocks is not None and (
            not isinstance(blocks, list)
            or not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks)
        ):
            return error(
                "invalid_blocks",
                response_metadata={"messages": ["[ERROR] missing required field: type"]},
            )
        return None

    def _post(self, request: Request) -> Answer:
        found_channel = self._in_channel(request)
        if isinstance(found_channel, Answer):
            return found_channel
        body, channel = found_channel
        if channel["is_archived"]:
            return error("is_archived")
        bad = self._message_body(body)
        if bad is not None:
            return bad
        thread = body.get("thread_ts")
        history = self.messages[channel["id"]]
        if thread is not None and not any(m["ts"] == thread for m in history):
            return error("thread_not_found")
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        message = {
            "type": "message",
            "user": "U0BOT",
            "bot_id": "B0BOT",
            "text": body.get("text", ""),
            "ts": ts,
        }
        if thread is not None:
            message["thread_ts"] = thread
        if body.get("blocks"):
            message["blocks"] = body["blocks"]
        history.append(message)
        return Answer(200, {"ok": True, "channel": channel["id"], "ts": ts, "message": message})

    def _update(self, request: Request) -> Answer:
        found_channel = self._in_channel(request)
        if isinstance(found_channel, Answer):
            return found_channel
        body, channel = found_channel
        found = [m for m in self.messages[channel["id"]] if m["ts"] == body.get("ts")]
        if not found:
            return error("message_not_found")
        bad = self._message_body(body)
        if bad is not None:
            return bad
        found[0].update({k: body[k] for k in ("text", "blocks") if k in body})
        return Answer(
            200,
            {
                "ok": True,
                "channel": channel["id"],
                "ts": body["ts"],
                "text": found[0].get("text"),
                "message": found[0],
            },
        )

    def _upload_url(self, request: Request) -> Answer:
        form = form_of(request)
        if not form.get("filename"):
            return error("invalid_arguments")
        length = str(form.get("length", ""))
        if not length.isdigit() or int(length) == 0:
            return error("missing_argument")
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = {
            "filename": form["filename"],
            "length": int(length),
            "content": None,
        }
        return Answer(
            200, {"ok": True, "upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}
        )

    def _upload(self, request: Request, file_id: str) -> Answer:
        upload = self.uploads.get(file_id)
        if upload is None:
            return Answer(404, "Not Found")
        part = form_of(request).get("file")
        content = part["content"] if isinstance(part, dict) else request.body
        upload["content"] = content
        return Answer(200, f"OK - {len(content)}")

    def _complete(self, request: Request) -> Answer:
        form = form_of(request)
        try:
            files = json.loads(form.get("files", ""))
        except ValueError:
            return error("invalid_arguments")
        channel = form.get("channel_id")
        if channel is not None and self.channel(channel) is None:
            return error("channel_not_found")
        out = []
        for entry in files:
            upload = self.uploads.get(entry.get("id"))
            if upload is None or upload["content"] is None:
                return error("file_not_found")
            if len(upload["content"]) != upload["length"]:
                return error("file_upload_size_mismatch")
            out.append(
                {
                    "id": entry["id"],
                    "name": upload["filename"],
                    "title": entry.get("title") or upload["filename"],
                    "permalink": f"https://acme.slack.com/files/U0BOT/{entry['id']}",
                }
            )
            self.shared.append({**upload, "channel": channel, **form})
        return Answer(200, {"ok": True, "files": out})

    def _list(self, request: Request) -> Answer:
        limit = int(request.query.get("limit", "100"))
        if not 1 <= limit <= 1000:
            return error("invalid_limit")
        cursor = request.query.get("cursor") or "offset-0"
        if not cursor.startswith("offset-"):
            return error("invalid_cursor")
        start = int(cursor.removeprefix("offset-"))
        archived = request.query.get("exclude_archived") == "true"
        channels = [c for c in self.channels if not (archived and c["is_archived"])]
        page = channels[start : start + limit]
        more = start + limit < len(channels)
        return Answer(
            200,
            {
                "ok": True,
                "channels": page,
                "response_metadata": {"next_cursor": f"offset-{start + limit}" if more else ""},
            },
        )
