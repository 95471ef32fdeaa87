import pytest

from tests.storage.backends import moto_endpoint, once_per_database, storage

__all__ = ["moto_endpoint", "storage"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The contract runs file and s3 once, db on every database backend."""
    here = [i for i in items if "tests/storage/" in str(i.path)]
    kept = set(map(id, once_per_database(here)))
    dropped = [i for i in here if id(i) not in kept]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if id(i) not in set(map(id, dropped))]
