"""Redacting secret values from text, in every form a secret takes on its way into text.

A secret reaches an error message or a response body not only as itself: an HTTP client
prints a bad header as a bytes repr (``b'Bearer abc\\ndef'``), a server echoes it JSON-escaped
or URL-encoded, Basic auth sends ``base64(user:password)``, a message gets cut in the middle
of it. :class:`Redactor` knows all those forms (:func:`secret_forms`) and replaces any run of
at least :data:`MIN_FRAGMENT` characters of any of them (so prefixes, suffixes and the pieces
of a split value too) with the mask; secrets shorter than that are replaced where they occur
whole.

:data:`known` is this process's set of secret values seen by the vault (everything it
encrypted or decrypted): the log processor and the API's error bodies redact against it.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "********"
# Values shorter than this are not redacted at all (they would match everywhere).
MIN_SECRET = 4
# A piece of a secret (in any of its forms) at least this long is redacted wherever it shows.
MIN_FRAGMENT = 8
# At most this many secret values are remembered by the process-wide registry.
MAX_KNOWN = 1_000
# Characters httpx leaves unescaped in query strings and paths.
_URL_SAFE = ("", "/", "/:@", "!$&'()*+,;=:/?#[]@~")


def _escapes(value: str) -> set[str]:
    """How one level of quoting shows ``value``: repr, unicode-escape, bytes repr, JSON."""
    raw = value.encode("utf-8", "surrogatepass")
    return {
        repr(value)[1:-1],
        value.replace("\\", "\\\\").replace("'", "\\'"),
        value.encode("unicode_escape").decode("ascii"),
        repr(raw)[2:-1],
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }


def _url_forms(value: str) -> set[str]:
    forms = set()
    for safe in _URL_SAFE:
        for encoded in (quote(value, safe=safe), quote_plus(value, safe=safe)):
            forms.add(encoded)
            forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded))
    return forms


def _binary_forms(raw: bytes) -> set[str]:
    """Base64 (standard, url-safe, at each of the 3 alignments it can have inside a longer
    encoded value, edge groups that mix in other bytes dropped) and hex."""
    forms = {raw.hex(), raw.hex().upper()}
    for offset in range(3):
        # The first group mixes in the bytes before: drop it (a match stops where the bytes
        # after the secret begin to differ).
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        text = (encoded[4:] if offset else encoded).rstrip("=")
        forms.add(text)
        forms.add(text.replace("+", "-").replace("/", "_"))
    return forms


def secret_forms(secret: str, companions: Iterable[str] = ()) -> set[str]:
    """Every form of ``secret`` Wirework redacts. ``companions`` are other values it travels
    with (a username): ``companion:secret`` and ``secret:companion`` are encoded too, as
    Basic auth sends them."""
    forms = {secret} | _url_forms(secret)
    once = _escapes(secret)
    forms |= once
    for escaped in once:  # e.g. a repr inside a JSON body
        forms |= _escapes(escaped)
    raw = secret.encode("utf-8", "surrogatepass")
    forms |= _binary_forms(raw)
    for other in companions:
        for pair in (f"{other}:{secret}", f"{secret}:{other}"):
            forms.add(base64.b64encode(pair.encode("utf-8", "surrogatepass")).decode("ascii"))
    return {f for f in forms if len(f) >= MIN_SECRET}


class Redactor:
    """Replaces every form of the given secrets in text with :data:`MASK`."""

    def __init__(self, secrets: Iterable[str] = (), companions: Iterable[str] = ()) -> None:
        self.secrets: set[str] = set()
        # Forms shorter than MIN_FRAGMENT are matched whole; longer ones by their pieces.
        # Every k-gram of every long form is indexed: a run of MIN_FRAGMENT (>= 2k - 1)
        # characters of a form holds a k-gram that starts in the text at a multiple of k, so
        # looking up the text's k-grams at those positions finds every run; each is then grown
        # both ways as far as text and form agree.
        self._k = (MIN_FRAGMENT + 1) // 2
        self._forms: set[str] = set()
        self._short: list[str] = []
        self._long: list[str] = []
        self._grams: dict[str, list[tuple[int, int]]] = {}
        wanted = [s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET]
        others = [c for c in companions if isinstance(c, str) and c]
        for secret in wanted:
            self.add(secret, [*others, *(s for s in wanted if s != secret)])

    def add(self, secret: str, companions: Iterable[str] = ()) -> None:
        """Redact ``secret`` too (not thread-safe against another ``add``)."""
        if len(secret) < MIN_SECRET:
            return
        for form in secret_forms(secret, companions) - self._forms:
            self._forms.add(form)
            if len(form) < MIN_FRAGMENT:
                self._short.append(form)
                continue
            index = len(self._long)
            self._long.append(form)
            for start in range(len(form) - self._k + 1):
                self._grams.setdefault(form[start : start + self._k], []).append((index, start))
        self.secrets.add(secret)

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def _grow(self, text: str, at: int, form: str, start: int) -> tuple[int, int]:
        """The run around ``text[at:at+k] == form[start:start+k]`` where both agree."""
        left = 0
        while left < start and left < at and text[at - left - 1] == form[start - left - 1]:
            left += 1
        right = at + self._k
        end = start + self._k
        while end < len(form) and right < len(text) and text[right] == form[end]:
            right += 1
            end += 1
        return at - left, right

    def _spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        grams = self._grams
        if grams:
            k = self._k
            covered = 0
            for at in range(0, len(text) - k + 1, k):
                if at + k <= covered:
                    continue
                hits = grams.get(text[at : at + k])
                if hits is None:
                    continue
                for index, start in hits:
                    first, last = self._grow(text, at, self._long[index], start)
                    if last - first >= MIN_FRAGMENT:
                        spans.append((first, last))
                        covered = max(covered, last)
        for form in self._short:
            found = text.find(form)
            while found >= 0:
                spans.append((found, found + len(form)))
                found = text.find(form, found + 1)
        return spans

    def text(self, text: str) -> str:
        """``text`` with every (piece of a) secret replaced by the mask."""
        if not self.secrets or len(text) < MIN_SECRET:
            return text
        spans = self._spans(text)
        if not spans:
            return text
        spans.sort()
        out: list[str] = []
        position = 0
        current_start, current_end = spans[0]
        for start, end in spans[1:]:
            if start <= current_end:
                current_end = max(current_end, end)
                continue
            out += [text[position:current_start], MASK]
            position = current_end
            current_start, current_end = start, end
        out += [text[position:current_start], MASK, text[current_end:]]
        return "".join(out)

    def value(self, value: Any, _depth: int = 0) -> Any:
        """``value`` (JSON-like: mappings, lists, strings, bytes) with secrets redacted; parts
        that hold none are returned as they are (not copied)."""
        if not self.secrets or _depth > 64:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            changed = False
            out: dict[Any, Any] = {}
            for key, item in value.items():
                new_key = self.text(key) if isinstance(key, str) else key
                new_item = self.value(item, _depth + 1)
                changed = changed or new_key is not key or new_item is not item
                out[new_key] = new_item
            return out if changed else value
        if isinstance(value, list | tuple):
            items = [self.value(v, _depth + 1) for v in value]
            if all(a is b for a, b in zip(items, value, strict=True)):
                return value
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, bytes | bytearray):
            decoded = bytes(value).decode("utf-8", "backslashreplace")
            redacted = self.text(decoded)
            return value if redacted == decoded else redacted.encode("utf-8")
        return value


def _strings(value: Any, _depth: int = 0) -> Iterable[str]:
    if _depth > 16:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item, _depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, _depth + 1)


class KnownSecrets:
    """The secret values this process has seen (bounded: past the limit, the oldest tenth is
    forgotten). Adding is incremental; reading needs no lock."""

    def __init__(self, limit: int = MAX_KNOWN) -> None:
        self._values: OrderedDict[str, None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()
        self._redactor = Redactor()

    def add(self, values: Any) -> None:
        """Remember every string in ``values`` (a string, or a JSON-like structure)."""
        new = [s for s in _strings(values) if len(s) >= MIN_SECRET and s not in self._values]
        if not new:
            return
        with self._lock:
            for secret in new:
                if secret in self._values:
                    continue
                self._values[secret] = None
                if len(self._values) > self._limit:
                    for _ in range(max(1, self._limit // 10)):
                        self._values.popitem(last=False)
                    self._redactor = Redactor(self._values)  # a new one: readers keep theirs
                else:
                    self._redactor.add(secret)

    def redactor(self) -> Redactor:
        return self._redactor

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._redactor = Redactor()


known = KnownSecrets()
