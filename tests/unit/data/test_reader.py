"""Reading whole records of a range of weeks: keys through the week index, items with
BatchGetItem, unprocessed keys retried, nothing lost or read twice, problems counted."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from analytics_contract.weeks import week_bounds
from cv_analytics.data.reader import BATCH_KEYS, Backoff, ReadError, TableReader
from tests.unit.data.conftest import TABLE, put_records
from tests.unit.data.records import full_record, varied_records

WEEK = "2026-W47"


class Withholding:
    """The real client, except that BatchGetItem's answer moves ``share`` of the items it
    returned into ``UnprocessedKeys`` for the first ``calls`` calls (the call succeeded; part of
    its answer is left for later, as DynamoDB does when throttled or past 16 MB)."""

    def __init__(self, client: Any, calls: int, share: float = 0.5) -> None:
        self._client = client
        self.remaining = calls
        self.share = share
        self.requested: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_get_item(self, **kwargs: Any) -> Any:
        self.requested.append(len(kwargs["RequestItems"][TABLE]["Keys"]))
        response = self._client.batch_get_item(**kwargs)
        if self.remaining <= 0:
            return response
        self.remaining -= 1
        items = response["Responses"][TABLE]
        withheld = max(1, int(len(items) * self.share))
        response["Responses"][TABLE] = items[withheld:]
        response["UnprocessedKeys"] = {
            TABLE: {"Keys": [{"requestId": item["requestId"]} for item in items[:withheld]]}
        }
        return response


def _reader(client: Any, **kwargs: Any) -> tuple[TableReader, list[float]]:
    slept: list[float] = []
    return TableReader(client, TABLE, sleep=slept.append, **kwargs), slept


def test_every_record_of_the_weeks_comes_back_whole_in_order(dynamodb):
    records = [full_record(timestamp=week_bounds(WEEK)[0] + 3_600_000), *varied_records(WEEK, 250)]
    other = list(varied_records("2026-W46", 30, seed=2))
    put_records(dynamodb, [*records, *other, *varied_records("2026-W48", 10, seed=3)])
    reader, _ = _reader(dynamodb, page_size=40)

    got = list(reader.records(["2026-W46", WEEK]))

    expected = sorted(other, key=lambda r: r.timestamp) + sorted(records, key=lambda r: r.timestamp)
    assert [r.request_id for r in got] == [r.request_id for r in expected]
    assert got == expected  # whole: response, reasoning, metadata, feedback...
    assert next(r for r in got if r.request_id == "req-full").reasoning  # not in any index
    assert reader.stats.index_pages >= 281 // 40
    assert reader.stats.records == reader.stats.keys == 281
    assert reader.stats.batch_calls == 1 + 7  # 30 keys, then 251 in pages of 40
    assert (reader.stats.unreadable, reader.stats.vanished) == (0, 0)


def test_keys_are_read_through_the_index_whatever_it_projects(dynamodb):
    """The week index may project only its keys (the processor keeps the large attributes out of
    it): the reader asks it for requestId only and gets the rest from the table."""
    dynamodb.delete_table(TableName=TABLE)
    from cv_analytics.dev.resources import analytics_table_definition

    definition = analytics_table_definition(TABLE)
    for index in definition["GlobalSecondaryIndexes"]:
        index["Projection"] = {"ProjectionType": "KEYS_ONLY"}
    dynamodb.create_table(**definition)
    put_records(dynamodb, [full_record()])
    reader, _ = _reader(dynamodb)
    [record] = reader.records([full_record().week])
    assert record == full_record()


def test_unprocessed_keys_are_asked_again_with_backoff_until_all_are_read(dynamodb):
    records = list(varied_records(WEEK, 230))
    put_records(dynamodb, records)
    flaky = Withholding(dynamodb, calls=4)
    reader, slept = _reader(flaky, backoff=Backoff(base_seconds=0.01, max_seconds=0.05))

    got = list(reader.records([WEEK]))

    assert sorted(r.request_id for r in got) == sorted(r.request_id for r in records)
    assert len({r.request_id for r in got}) == len(got)  # none twice
    assert reader.stats.retried_keys > 0
    assert len(slept) == 4 and all(0 <= s <= 0.05 for s in slept)
    assert max(flaky.requested) <= BATCH_KEYS


def test_a_batch_that_never_progresses_stops_the_read_and_says_so(dynamodb):
    put_records(dynamodb, varied_records(WEEK, 20))
    flaky = Withholding(dynamodb, calls=10_000, share=1.0)
    reader, slept = _reader(flaky, backoff=Backoff(max_attempts=3))
    with pytest.raises(ReadError, match="left unprocessed by 3 BatchGetItem calls in a row"):
        list(reader.records([WEEK]))
    assert len(slept) == 2


def test_a_record_breaking_the_contract_is_counted_and_logged_not_exported(dynamodb, caplog):
    good = list(varied_records(WEEK, 5))
    put_records(dynamodb, good)
    broken = {
        "requestId": {"S": "req-broken"},
        "week": {"S": WEEK},
        "timestamp": {"N": str(good[0].timestamp + 1)},
        "status": {"S": "lost"},  # not a status the contract knows
    }
    dynamodb.put_item(TableName=TABLE, Item=broken)
    reader, _ = _reader(dynamodb)
    with caplog.at_level(logging.WARNING, logger="cv_analytics.data.reader"):
        got = list(reader.records([WEEK]))
    assert len(got) == 5
    assert reader.stats.unreadable == 1
    assert "req-broken" in caplog.text and "status" in caplog.text


def test_a_record_deleted_between_listing_and_reading_is_counted_as_vanished(dynamodb):
    records = list(varied_records(WEEK, 8))
    put_records(dynamodb, records)

    class DeletingFirst(Withholding):
        def batch_get_item(self, **kwargs: Any) -> Any:
            self._client.delete_item(
                TableName=TABLE, Key={"requestId": {"S": records[0].request_id}}
            )
            return self._client.batch_get_item(**kwargs)

    reader, _ = _reader(DeletingFirst(dynamodb, calls=0))
    got = list(reader.records([WEEK]))
    assert len(got) == 7
    assert reader.stats.vanished == 1


def test_a_bad_week_id_is_refused_before_any_call(dynamodb):
    reader, _ = _reader(dynamodb)
    with pytest.raises(ValueError, match="YYYY-Www"):
        list(reader.records(["2026-47"]))
    assert reader.stats.index_pages == 0
