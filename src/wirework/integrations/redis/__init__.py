"""Redis (redis-py asyncio, a native integration): get/set with TTL and NX/XX, counters,
publish, list push and pop. Importing this package registers it."""

from wirework.integrations.redis import actions
from wirework.integrations.redis.credentials import REDIS, RedisCredentials

__all__ = ["REDIS", "RedisCredentials", "actions"]
