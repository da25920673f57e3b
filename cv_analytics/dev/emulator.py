"""An embedded AWS emulator (moto's threaded server) on a free loopback port.

moto is imported when a server starts, so that the names and the environment of a local stack
(:data:`LOCAL_ENV`, :class:`LocalAws`) can be used where moto is not installed.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from cv_analytics.dev import require_dev_extra

LOCAL_REGION = "eu-west-2"
LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts any value; never a real key
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": LOCAL_REGION,
    "AWS_REGION": LOCAL_REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LocalAws:
    endpoint_url: str
    region: str = LOCAL_REGION

    def environment(self) -> dict[str, str]:
        """Variables that point boto3, the AWS CLI and Terraform at this emulator."""
        return {
            **LOCAL_ENV,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
        }


@contextmanager
def patched_environment(values: Mapping[str, str], *, remove: Iterable[str] = ()) -> Iterator[None]:
    """Set ``values`` (and unset ``remove``) in ``os.environ`` for the block, then restore what
    was there."""
    removed = tuple(remove)
    saved = {key: os.environ.get(key) for key in (*values, *removed)}
    for key in removed:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def emulator_credentials() -> AbstractContextManager[None]:
    """Fake credentials (and no profile) in this process's environment for the block: whatever
    the shell holds, nothing started here can use a real AWS account."""
    return patched_environment(LOCAL_ENV, remove=("AWS_PROFILE",))


@contextmanager
def moto_server(
    port: int | None = None, *, load_managed_policies: bool = False
) -> Iterator[LocalAws]:
    """Run a moto server on 127.0.0.1 for the duration of the ``with`` block."""
    require_dev_extra("the AWS emulator", ["moto"])
    from moto.server import ThreadedMotoServer

    if load_managed_policies:
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port or free_port(), verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    try:
        yield LocalAws(endpoint_url=f"http://{host}:{bound_port}")
    finally:
        server.stop()
