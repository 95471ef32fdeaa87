"""The shared local OpenAI server (tests/integrations/openai/server.py) with embeddings that
carry meaning, for retrieval tests: its own are hashes, so every text is as far from every
other. Here each lower-cased word adds 1 to dimension ``crc32(word) % DIMENSIONS`` and the
vector is normalised: texts sharing words are close by cosine, and no model is needed.
(The lead may fold ``bag_of_words`` into that server as an option.)"""

from __future__ import annotations

import math
import re
import zlib

from tests.integrations.model_server import Handler, Request
from tests.integrations.openai.server import OpenAIServer

DIMENSIONS = 256
WORD = re.compile(r"[a-z0-9]+")


def bag_of_words(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    for word in WORD.findall(text.lower()):
        vector[zlib.crc32(word.encode()) % DIMENSIONS] += 1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


class WordsOpenAIServer(OpenAIServer):
    def __enter__(self) -> WordsOpenAIServer:
        super().__enter__()
        return self

    def _embeddings(self, handler: Handler, request: Request) -> None:
        answered, _ = self._special(handler, chat=False)
        if answered:
            return
        body = request.json
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        tokens = sum(len(WORD.findall(str(t).lower())) for t in texts)
        handler.send_json(
            200,
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": bag_of_words(str(t))}
                    for i, t in enumerate(texts)
                ],
                "model": body["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )
