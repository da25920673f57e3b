"""AWS clients of the deployment: the region from deploy.toml, never the environment's."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from cv_analytics.deploy.plan import Target
from cv_analytics.deploy.settings import Settings


def aws_client(
    settings: Settings, target: Target, service: str, *, config: Config | None = None
) -> Any:
    """A boto3 client in the settings' region (botocore would read only AWS_DEFAULT_REGION or the
    profile's), with the target's profile, or the emulator's endpoint in a rehearsal."""
    session = boto3.session.Session(profile_name=target.profile, region_name=settings.region)
    return session.client(
        service,  # type: ignore[call-overload]
        region_name=settings.region,
        endpoint_url=target.emulator_endpoint,
        config=config,
    )
