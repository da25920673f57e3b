"""The measured inputs of the processing cost model, read from ``measured.json`` next to this
module: written by ``python -m bench.cost_inputs`` (``make cost-inputs``), never by hand, and
checked against a fresh run by ``tests/unit/cost/test_measured.py``.

Also the deployment's settings the model prices at (memory, retention), each checked against the
file it comes from by the tests.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

MEASURED_FILE = "measured.json"

#: template.yaml: the processor's and the reporter's ``MemorySize`` (MB), the log groups'
#: ``LogRetentionDays`` default.
PROCESSOR_MEMORY_MB = 256
REPORTER_MEMORY_MB = 1769
LOG_RETENTION_DAYS = 30
#: processor.settings: ``RECORD_TTL_DAYS`` and ``CORRELATION_WINDOW_HOURS`` defaults.
RECORD_TTL_DAYS = 90
CORRELATION_WINDOW_HOURS = 24
#: The reporter reads the week and the week before, then the question texts of four more weeks.
REPORTER_WEEKS_READ = 6
#: The aggregation passes of one run: the week, and the week before.
REPORTER_WEEKS_AGGREGATED = 2


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SplitFigures(_Model):
    """A question whose query and response reach the processor in different invocations."""

    dynamodb_requests_per_question: dict[str, float]
    table_wcu_per_question: float = Field(ge=0)
    index_wcu_per_question: float = Field(ge=0)
    write_units_per_question: float = Field(gt=0)
    read_units_per_question: float = Field(ge=0)
    interim_bytes_written_per_question: float = Field(ge=0)


class ProcessorFigures(_Model):
    """The same-batch mix (a question's query and response mostly in one batch), with the split
    mixes' DynamoDB figures beside it."""

    invocations_per_question: float = Field(gt=0)
    handler_ms_per_invocation: float = Field(gt=0)
    dynamodb_requests_per_question: dict[str, float]
    sqs_requests_per_question: float = Field(ge=0)
    table_wcu_per_question: float = Field(ge=0)
    index_wcu_per_question: float = Field(ge=0)
    write_units_per_question: float = Field(gt=0)
    read_units_per_question: float = Field(ge=0)
    log_bytes_per_question: float = Field(ge=0)
    debug_log_bytes_per_question: float = Field(ge=0)
    emf_bytes_per_question: float = Field(ge=0)
    metrics: list[str]
    analytics_item_bytes_per_question: float = Field(gt=0)
    index_entry_bytes_per_question: float = Field(ge=0)
    interim_bytes_written_per_question: float = Field(ge=0)
    split_query_first: SplitFigures
    split_response_first: SplitFigures


class EdgeClientFigures(_Model):
    mode: str
    send_requests_per_question: float = Field(gt=0)


class SeedFigures(_Model):
    send_requests_per_question: float = Field(gt=0)
    dynamodb_requests_per_question: dict[str, float]
    table_wcu_per_question: float = Field(ge=0)
    index_wcu_per_question: float = Field(ge=0)
    write_units_per_question: float = Field(gt=0)
    read_units_per_question: float = Field(ge=0)
    indexes: int = Field(ge=0)
    analytics_item_bytes_per_question: float = Field(gt=0)
    index_entry_bytes_per_question: float = Field(ge=0)
    interim_bytes_written_per_question: float = Field(ge=0)


class ReporterFigures(_Model):
    """CPU time per record of the reporter's work on the records: a lower bound of the wall time
    Lambda bills (the DynamoDB ``Query`` and SES round trips are not in it)."""

    records: int = Field(gt=0)
    cpu_seconds_per_record: float = Field(gt=0)


class AlarmFigures(_Model):
    """The deployment's CloudWatch alarms, counted from template.yaml and the ``*_infra`` modules."""

    alarms: int = Field(ge=0)
    #: What AWS bills: one per standard alarm, one per metric in a metric-math alarm.
    alarm_metrics: int = Field(ge=0)
    alarm_metrics_by_source: dict[str, int]


class MeasuredInputs(_Model):
    generated_by: str
    questions: int = Field(gt=0)
    seed: int
    units: str
    processor: ProcessorFigures
    edge_client: EdgeClientFigures
    seed_design: SeedFigures
    reporter: ReporterFigures
    lambda_platform_log_bytes_per_invocation: int = Field(gt=0)
    cloudwatch_alarms: AlarmFigures


@cache
def measured_inputs() -> MeasuredInputs:
    text = (resources.files(__package__) / MEASURED_FILE).read_text(encoding="utf-8")
    return MeasuredInputs.model_validate_json(text)
