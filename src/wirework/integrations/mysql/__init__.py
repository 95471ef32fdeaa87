"""MySQL and MariaDB (aiomysql, a native integration): parameterised queries with large
results streamed from the server, multi-row inserts, updates by key. Importing this package
registers it."""

from wirework.integrations.mysql import actions
from wirework.integrations.mysql.credentials import MYSQL, MySQLCredentials

__all__ = ["MYSQL", "MySQLCredentials", "actions"]
