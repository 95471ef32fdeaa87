"""A local Google (OAuth2 token endpoint + Sheets API v4 ``spreadsheets.values``) for tests.

- ``POST /token``: the JWT bearer grant of a service account (RFC 7523) with the assertion's
  RS256 signature VERIFIED against the test key's public key and its ``iss``, ``aud`` (this
  endpoint's URL), ``scope``, ``iat``/``exp`` (at most an hour) checked, answered with
  Google's ``{"error": "invalid_grant", "error_description": …}`` otherwise; and the
  ``refresh_token`` grant of an OAuth client (HTTP Basic client auth).
- ``/v4/spreadsheets/{id}/values/{range}`` (GET, PUT), ``…:append``, ``…:clear`` and
  ``/v4/spreadsheets/{id}/values:batchUpdate`` over in-memory sheets, with A1 ranges
  (``Sheet1``, ``'My sheet'!A1:C3``, ``A:C``, ``1:1``, cells without a sheet = the first
  sheet), bearer tokens checked (``expire_tokens()`` makes them answer 401), and Google's
  error bodies ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from typing import Any
from urllib.parse import parse_qsl, unquote

import jwt

from tests.integrations.fakes import Answer, FakeServer, Request

SCOPE = "https://www.googleapis.com/auth/spreadsheets"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_EMAIL = "wirework-bot@acme-sheets.iam.gserviceaccount.com"
CLIENT_ID = "1234567890-fake.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fake-client-secret"
REFRESH_TOKEN = "1//fake-refresh-token"
SHEET_ID = "1FakeSpreadsheetId_0123456789abcdef"
COLS, ROWS = 26, 1000  # a new sheet's grid
CELLS = re.compile(r"^([A-Za-z]{0,3})([0-9]*)(?::([A-Za-z]{0,3})([0-9]*))?$")


def google_error(code: int, message: str, status: str) -> Answer:
    return Answer(code, {"error": {"code": code, "message": message, "status": status}})


def letters(index: int) -> str:
    out, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def col_index(text: str) -> int:
    out = 0
    for char in text.upper():
        out = out * 26 + ord(char) - 64
    return out - 1


class BadRange(Exception):
    pass


class FakeGoogle(FakeServer):
    def __init__(self, public_key: Any) -> None:
        super().__init__()
        self.public_key = public_key
        self.client_email = CLIENT_EMAIL
        # spreadsheet id → sheet name (in order) → rows
        self.sheets: dict[str, dict[str, list[list[Any]]]] = {SHEET_ID: {"Sheet1": []}}
        self.tokens: set[str] = set()
        self.claims: list[dict[str, Any]] = []  # verified assertions, in order
        self.token_requests: list[dict[str, str]] = []
        self.value_inputs: list[str] = []
        self.codes: dict[str, str] = {}  # authorization code → its PKCE challenge
        self._issued = 0
        self.route("POST", "/token", self._token)
        values = r"/v4/spreadsheets/(?P<sid>[^/:]+)/values"
        self.route("POST", values + r":batchUpdate", self._batch_update)
        self.route("POST", values + r"/(?P<rng>.+):append", self._append)
        self.route("POST", values + r"/(?P<rng>.+):clear", self._clear)
        self.route("GET", values + r"/(?P<rng>.+)", self._get)
        self.route("PUT", values + r"/(?P<rng>.+)", self._put)

    # -- auth ------------------------------------------------------------------------------

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def authenticate(self, request: Request) -> Answer | None:
        if not request.path.startswith("/v4/"):
            return None
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in self.tokens:
            return google_error(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                "UNAUTHENTICATED",
            )
        return None

    def not_found(self, request: Request) -> Answer:
        return google_error(404, "Requested entity was not found.", "NOT_FOUND")

    def _issue(self) -> Answer:
        self._issued += 1
        token = f"ya29.fake-{self._issued}"
        self.tokens.add(token)
        return Answer(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _token(self, request: Request) -> Answer:
        form = dict(parse_qsl(request.body.decode()))
        self.token_requests.append(form)
        grant = form.get("grant_type")
        if grant == "refresh_token":
            return self._refresh(request, form)
        if grant == "authorization_code":
            return self._code(request, form)
        if grant != JWT_BEARER:
            return Answer(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"Invalid grant_type: {grant}",
                },
            )
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                self.public_key,
                algorithms=["RS256"],
                audience=self.token_url,
                options={"require": ["iss", "aud", "iat", "exp"]},
            )
        except jwt.InvalidAudienceError:
            return _invalid_grant("Invalid JWT: Failed audience check.")
        except jwt.ExpiredSignatureError:
            return _invalid_grant("Invalid JWT: Token must be a short-lived token")
        except jwt.PyJWTError:
            return _invalid_grant("Invalid JWT Signature.")
        now = time.time()
        if claims["exp"] - claims["iat"] > 3600 or abs(claims["iat"] - now) > 300:
            return _invalid_grant(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim."
            )
        if claims["iss"] != self.client_email:
            return _invalid_grant("Invalid email or User ID")
        if SCOPE not in str(claims.get("scope", "")).split():
            return Answer(
                400, {"error": "invalid_scope", "error_description": "Invalid OAuth scope."}
            )
        self.claims.append(claims)
        return self._issue()

    def _client_ok(self, request: Request) -> bool:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    def _refresh(self, request: Request, form: dict[str, str]) -> Answer:
        if not self._client_ok(request):
            return Answer(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        if form.get("refresh_token") != REFRESH_TOKEN:
            return _invalid_grant("Bad Request")
        return self._issue()

    def _code(self, request: Request, form: dict[str, str]) -> Answer:
        """The authorization code grant with PKCE: ``codes`` maps a code the test hands out
        to the S256 challenge it was granted for."""
        if not self._client_ok(request):
            return Answer(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        challenge = self.codes.pop(form.get("code", ""), None)
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if challenge is None or base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
            return _invalid_grant("Malformed auth code.")
        answer = self._issue()
        answer.body["refresh_token"] = REFRESH_TOKEN
        return answer

    # -- ranges ----------------------------------------------------------------------------

    def _sheet(self, sid: str, a1: str) -> tuple[str, list[list[Any]], tuple[int, int, int, int]]:
        """(sheet name, its rows, (col0, row0, col1, row1) 0-based inclusive) of a range."""
        a1 = unquote(a1)
        book = self.sheets[sid]
        if "!" in a1:
            name, cells = a1.rsplit("!", 1)
        elif (CELLS.match(a1) and any(c.isdigit() for c in a1)) or re.match(r"^[A-Za-z]+:", a1):
            name, cells = next(iter(book)), a1
        else:
            name, cells = a1, ""
        if name.startswith("'") and name.endswith("'"):
            name = name[1:-1].replace("''", "'")
        match = CELLS.match(cells)
        if name not in book or not match:
            raise BadRange(f"Unable to parse range: {a1}")
        c0, r0, c1, r1 = match.groups()
        if c1 is None and r1 is None:  # one cell, e.g. A5
            c1, r1 = c0, r0
        bounds = (
            col_index(c0) if c0 else 0,
            int(r0) - 1 if r0 else 0,
            col_index(c1) if c1 else COLS - 1,
            int(r1) - 1 if r1 else ROWS - 1,
        )
        if not cells:
            bounds = (0, 0, COLS - 1, ROWS - 1)
        return name, book[name], bounds

    def _ranged(self, sid: str, rng: str, fn: Any) -> Answer:
        if sid not in self.sheets:
            return self.not_found(Request("", "", {}, {}, b""))
        try:
            return fn(*self._sheet(sid, rng))
        except BadRange as exc:
            return google_error(400, str(exc), "INVALID_ARGUMENT")

    @staticmethod
    def _a1(name: str, c0: int, r0: int, c1: int, r1: int) -> str:
        quoted = name if re.match(r"^[A-Za-z0-9_]+$", name) else "'" + name.replace("'", "''") + "'"
        return f"{quoted}!{letters(c0)}{r0 + 1}:{letters(c1)}{r1 + 1}"

    @staticmethod
    def _write(rows: list[list[Any]], c0: int, r0: int, values: list[list[Any]]) -> None:
        for i, row in enumerate(values):
            while len(rows) <= r0 + i:
                rows.append([])
            target = rows[r0 + i]
            for j, value in enumerate(row):
                while len(target) <= c0 + j:
                    target.append("")
                target[c0 + j] = value

    def _input_option(self, request: Request, body: dict[str, Any] | None = None) -> Answer | None:
        option = request.query.get("valueInputOption") or (body or {}).get("valueInputOption")
        if option not in ("RAW", "USER_ENTERED"):
            return google_error(
                400, "'valueInputOption' is required but not specified", "INVALID_ARGUMENT"
            )
        self.value_inputs.append(option)
        return None

    # -- values ----------------------------------------------------------------------------

    def _get(self, request: Request, sid: str, rng: str) -> Answer:
        formatted = request.query.get("valueRenderOption", "FORMATTED_VALUE") == "FORMATTED_VALUE"

        def read(name: str, rows: list[list[Any]], b: tuple[int, int, int, int]) -> Answer:
            c0, r0, c1, r1 = b
            out = [
                [_shown(v) if formatted else v for v in row[c0 : c1 + 1]]
                for row in rows[r0 : r1 + 1]
            ]
            out = [_trim(row) for row in out]
            while out and not out[-1]:
                out.pop()
            body: dict[str, Any] = {"range": self._a1(name, *b), "majorDimension": "ROWS"}
            if out:
                body["values"] = out
            return Answer(200, body)

        return self._ranged(sid, rng, read)

    def _append(self, request: Request, sid: str, rng: str) -> Answer:
        refused = self._input_option(request)
        if refused is not None:
            return refused
        values = (request.json() or {}).get("values") or []

        def append(name: str, rows: list[list[Any]], b: tuple[int, int, int, int]) -> Answer:
            c0, r0, _, _ = b
            last = max(
                (i for i, row in enumerate(rows) if i >= r0 and any(v != "" for v in row)),
                default=r0 - 1,
            )
            start = last + 1
            self._write(rows, c0, start, values)
            width = max((len(r) for r in values), default=0)
            table = self._a1(name, c0, r0, max(c0 + width - 1, c0), max(last, r0))
            updated = self._a1(name, c0, start, c0 + width - 1, start + len(values) - 1)
            return Answer(
                200,
                {
                    "spreadsheetId": sid,
                    "tableRange": table,
                    "updates": {
                        "spreadsheetId": sid,
                        "updatedRange": updated,
                        "updatedRows": len(values),
                        "updatedColumns": width,
                        "updatedCells": sum(len(r) for r in values),
                    },
                },
            )

        return self._ranged(sid, rng, append)

    def _put(self, request: Request, sid: str, rng: str) -> Answer:
        refused = self._input_option(request)
        if refused is not None:
            return refused
        body = request.json() or {}
        if body.get("range") and body["range"] != unquote(rng):
            return google_error(
                400,
                f"Requested writing within range [{unquote(rng)}], but tried writing to "
                f"[{body['range']}]",
                "INVALID_ARGUMENT",
            )
        values = body.get("values") or []

        def put(name: str, rows: list[list[Any]], b: tuple[int, int, int, int]) -> Answer:
            c0, r0, c1, r1 = b
            if r0 + len(values) - 1 > r1:
                return google_error(
                    400,
                    f"Requested writing within range [{unquote(rng)}], but tried writing to "
                    f"row [{r0 + len(values)}]",
                    "INVALID_ARGUMENT",
                )
            width = max((len(r) for r in values), default=0)
            if c0 + width - 1 > c1:
                return google_error(
                    400,
                    f"Requested writing within range [{unquote(rng)}], but tried writing to "
                    f"column [{letters(c0 + width - 1)}]",
                    "INVALID_ARGUMENT",
                )
            self._write(rows, c0, r0, values)
            return Answer(
                200,
                {
                    "spreadsheetId": sid,
                    "updatedRange": self._a1(name, c0, r0, c0 + width - 1, r0 + len(values) - 1),
                    "updatedRows": len(values),
                    "updatedColumns": width,
                    "updatedCells": sum(len(r) for r in values),
                },
            )

        return self._ranged(sid, rng, put)

    def _batch_update(self, request: Request, sid: str) -> Answer:
        body = request.json() or {}
        refused = self._input_option(request, body)
        if refused is not None:
            return refused
        if sid not in self.sheets:
            return self.not_found(request)
        cells = 0
        for entry in body.get("data") or []:
            try:
                _, rows, (c0, r0, _, _) = self._sheet(sid, str(entry.get("range")))
            except BadRange as exc:
                return google_error(400, str(exc), "INVALID_ARGUMENT")
            self._write(rows, c0, r0, entry.get("values") or [])
            cells += sum(len(r) for r in entry.get("values") or [])
        return Answer(200, {"spreadsheetId": sid, "totalUpdatedCells": cells})

    def _clear(self, request: Request, sid: str, rng: str) -> Answer:
        def clear(name: str, rows: list[list[Any]], b: tuple[int, int, int, int]) -> Answer:
            c0, r0, c1, r1 = b
            for row in rows[r0 : r1 + 1]:
                for j in range(c0, min(c1 + 1, len(row))):
                    row[j] = ""
            return Answer(200, {"spreadsheetId": sid, "clearedRange": self._a1(name, *b)})

        return self._ranged(sid, rng, clear)


def _invalid_grant(description: str) -> Answer:
    return Answer(400, {"error": "invalid_grant", "error_description": description})


def _shown(value: Any) -> Any:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return value if isinstance(value, str) else str(value)


def _trim(row: list[Any]) -> list[Any]:
    row = list(row)
    while row and row[-1] == "":
        row.pop()
    return row
