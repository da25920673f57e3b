from __future__ import annotations

from decimal import Decimal

import pytest

from reporter.settings import ConfigurationError, load_report_options, load_settings

VALID = {
    "ANALYTICS_TABLE": "cv-analytics-analytics",
    "REPORT_SENDER": "reports@example.com",
    "REPORT_RECIPIENTS": "owner@example.com, friend@example.org",
}


def test_minimal_configuration_and_defaults() -> None:
    settings = load_settings({**VALID, "UNRELATED": "x"})
    assert settings.analytics_table == "cv-analytics-analytics"
    assert settings.week_index_name == "week-index"
    assert settings.recipients == ["owner@example.com", "friend@example.org"]
    assert not settings.options.shows_cost
    assert settings.options.currency == "USD"


def test_sender_may_have_a_display_name() -> None:
    settings = load_settings({**VALID, "REPORT_SENDER": "CV analytics <reports@example.com>"})
    assert settings.sender == "CV analytics <reports@example.com>"


@pytest.mark.parametrize("missing", ["ANALYTICS_TABLE", "REPORT_SENDER", "REPORT_RECIPIENTS"])
def test_a_missing_variable_is_named(missing: str) -> None:
    environ = {k: v for k, v in VALID.items() if k != missing}
    with pytest.raises(ConfigurationError, match=rf"{missing} is not set"):
        load_settings(environ)


def test_an_empty_variable_counts_as_missing() -> None:
    with pytest.raises(ConfigurationError, match="REPORT_RECIPIENTS is not set"):
        load_settings({**VALID, "REPORT_RECIPIENTS": "  "})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "REPORT_SENDER",
            "not-an-address",
            "REPORT_SENDER='not-an-address': 'not-an-address' is not an email",
        ),
        ("REPORT_SENDER", "a@b@example.com", "REPORT_SENDER"),
        (
            "REPORT_RECIPIENTS",
            "owner@example.com; other@example.com",
            r"REPORT_RECIPIENTS\[0\]=",
        ),
        (
            "REPORT_RECIPIENTS",
            "owner@example.com,someone@localhost",
            r"REPORT_RECIPIENTS\[1\]='someone@localhost'",
        ),
        (
            "REPORT_RECIPIENTS",
            ",".join(f"r{i}@example.com" for i in range(51)),
            "REPORT_RECIPIENTS=.*51 addresses; SES sends one message to at most 50",
        ),
        ("REPORT_RECIPIENTS", " , ", "REPORT_RECIPIENTS=.*no address"),
        ("PRICE_PER_MILLION_INPUT_TOKENS", "cheap", "PRICE_PER_MILLION_INPUT_TOKENS"),
        (
            "PRICE_PER_MILLION_INPUT_TOKENS",
            "-1",
            "PRICE_PER_MILLION_INPUT_TOKENS='-1': Input should be greater",
        ),
        ("PRICE_CURRENCY", "dollars", "PRICE_CURRENCY"),
    ],
)
def test_invalid_values_are_named(variable: str, value: str, message: str) -> None:
    environ = {**VALID, variable: value}
    if variable.startswith("PRICE_PER"):
        environ["PRICE_PER_MILLION_OUTPUT_TOKENS"] = "4"
    with pytest.raises(ConfigurationError, match=message):
        load_settings(environ)


def test_the_idempotency_table_is_optional_and_checked() -> None:
    assert load_settings(VALID).idempotency_table is None
    assert load_settings(
        {**VALID, "IDEMPOTENCY_TABLE": "cv-reporter-idempotency"}
    ).idempotency_table == ("cv-reporter-idempotency")
    with pytest.raises(ConfigurationError, match="IDEMPOTENCY_TABLE='no spaces allowed'"):
        load_settings({**VALID, "IDEMPOTENCY_TABLE": "no spaces allowed"})


def test_the_settings_share_the_contracts_base_and_error() -> None:
    from analytics_contract import settings as contract
    from reporter.settings import ReporterSettings

    assert issubclass(ReporterSettings, contract.EnvironmentSettings)
    assert ConfigurationError is contract.ConfigurationError


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigurationError) as error:
        load_settings({"REPORT_SENDER": "nope", "PRICE_CURRENCY": "x"})
    message = str(error.value)
    for variable in ("ANALYTICS_TABLE", "REPORT_SENDER", "REPORT_RECIPIENTS", "PRICE_CURRENCY"):
        assert variable in message


def test_prices_enable_the_cost_and_must_come_in_pairs() -> None:
    options = load_report_options(
        {
            "PRICE_PER_MILLION_INPUT_TOKENS": "0.80",
            "PRICE_PER_MILLION_OUTPUT_TOKENS": "4",
            "PRICE_CURRENCY": "EUR",
        }
    )
    assert options.shows_cost
    assert options.cost(2_000_000, 500_000) == Decimal("3.6")
    assert options.currency == "EUR"
    with pytest.raises(ConfigurationError, match="PRICE_PER_MILLION_OUTPUT_TOKENS must be set too"):
        load_report_options({"PRICE_PER_MILLION_INPUT_TOKENS": "0.80"})
    assert load_report_options({}).cost(10, 10) is None
