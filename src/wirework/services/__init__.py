"""Use cases: plain (async) functions taking a session. The API and CLI call only these."""
