"""Fixtures shared by every test layer: fake AWS credentials and an embedded moto server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cv_analytics.dev.emulator import LOCAL_ENV, LocalAws, moto_server

# Never let a test reach real AWS: fake credentials for everything, before boto3 is used.
for _key, _value in LOCAL_ENV.items():
    os.environ[_key] = _value
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    """One moto server on 127.0.0.1 for the whole session (integration tests share it;
    each test creates resources with unique names)."""
    with moto_server(load_managed_policies=True) as aws:
        yield aws
