from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator

import pytest

from analytics_contract.settings import ConfigurationError, EnvironmentSettings
from processor.settings import ProcessorSettings, StoreSettings

VALID = {
    "QUERY_EVENTS_TABLE": "cv-analytics-query-events",
    "ANALYTICS_TABLE": "cv-analytics-analytics",
    "DEAD_LETTER_QUEUE_URL": "https://sqs.eu-west-2.amazonaws.com/123456789012/cv-events-dlq.fifo",
}
VARIABLES = (
    "QUERY_EVENTS_TABLE",
    "ANALYTICS_TABLE",
    "DEAD_LETTER_QUEUE_URL",
    "CORRELATION_WINDOW_HOURS",
    "RECORD_TTL_DAYS",
)


def test_defaults_apply_to_the_optional_windows() -> None:
    settings = ProcessorSettings.from_environment(VALID)
    assert settings.correlation_window_hours == 24
    assert settings.correlation_window_seconds == 86_400
    assert settings.record_ttl_days == 90
    assert settings.analytics_table == "cv-analytics-analytics"


def test_optional_windows_are_read_from_strings() -> None:
    settings = ProcessorSettings.from_environment(
        {**VALID, "CORRELATION_WINDOW_HOURS": "6", "RECORD_TTL_DAYS": "30", "OTHER": "x"}
    )
    assert (settings.correlation_window_seconds, settings.record_ttl_days) == (6 * 3_600, 30)


def test_every_missing_variable_is_named_in_one_error() -> None:
    with pytest.raises(ConfigurationError) as raised:
        ProcessorSettings.from_environment({})
    message = str(raised.value)
    for name in ("QUERY_EVENTS_TABLE", "ANALYTICS_TABLE", "DEAD_LETTER_QUEUE_URL"):
        assert f"{name} is not set" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CORRELATION_WINDOW_HOURS", "soon"),
        ("CORRELATION_WINDOW_HOURS", "0"),
        ("RECORD_TTL_DAYS", "-1"),
        ("DEAD_LETTER_QUEUE_URL", "https://sqs.eu-west-2.amazonaws.com/1/standard-queue"),
        ("ANALYTICS_TABLE", "a b"),
        ("QUERY_EVENTS_TABLE", "x"),
    ],
)
def test_an_invalid_value_is_named_with_its_value(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        ProcessorSettings.from_environment({**VALID, name: value})
    assert f"{name}={value!r}" in str(raised.value)


def test_the_settings_follow_the_one_convention_of_every_function() -> None:
    assert issubclass(ProcessorSettings, EnvironmentSettings)
    assert issubclass(StoreSettings, EnvironmentSettings)
    # An empty value counts as unset, as for every function.
    settings = ProcessorSettings.from_environment({**VALID, "RECORD_TTL_DAYS": ""})
    assert settings.record_ttl_days == 90


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield
    for module in ("processor.app", "processor.expiry_app"):
        sys.modules.pop(module, None)


@pytest.mark.usefixtures("bare_environment")
@pytest.mark.parametrize("module", ["processor.app", "processor.expiry_app"])
def test_cold_start_fails_with_the_missing_variables(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANALYTICS_TABLE", "cv-analytics-analytics")
    sys.modules.pop(module, None)
    with pytest.raises(ConfigurationError, match="QUERY_EVENTS_TABLE is not set") as raised:
        importlib.import_module(module)
    assert "ANALYTICS_TABLE" not in str(raised.value)
    assert "DEAD_LETTER_QUEUE_URL is not set" in str(raised.value)
