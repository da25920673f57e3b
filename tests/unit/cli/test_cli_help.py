"""Every command of the operator command line has --help, and bad usage fails clearly."""

from __future__ import annotations

import argparse

import pytest

from cv_analytics.cli import build_parser, main


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from command_paths(sub, (*prefix, name))


COMMANDS = list(command_paths(build_parser()))


def test_the_expected_commands_exist():
    assert set(COMMANDS) >= {
        (),
        ("demo",),
        ("stack",),
        ("stack", "up"),
        ("report",),
        ("report", "preview"),
        ("dlq",),
        ("dlq", "list"),
        ("dlq", "replay"),
        ("events",),
        ("events", "send"),
    }


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "(top)")
def test_every_command_has_help(path, capsys):
    with pytest.raises(SystemExit) as exited:
        main([*path, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: cv-analytics")
    assert len(out.splitlines()) > 3


@pytest.mark.parametrize("group", ["stack", "report", "dlq", "events"])
def test_a_group_without_its_command_prints_usage(group, capsys):
    assert main([group]) == 2
    assert "usage:" in capsys.readouterr().err


def test_no_command_prints_usage(capsys):
    assert main([]) == 2
    assert "commands:" in capsys.readouterr().err


def test_missing_queue_url_is_a_usage_error_naming_the_variable(monkeypatch, capsys):
    monkeypatch.delenv("CV_ANALYTICS_DLQ_URL", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["dlq", "list"])
    assert exited.value.code == 2
    assert "--dlq-url is required (or set CV_ANALYTICS_DLQ_URL)" in capsys.readouterr().err


def test_options_default_to_the_environment(monkeypatch):
    monkeypatch.setenv("CV_ANALYTICS_QUEUE_URL", "https://q.example/1/events.fifo")
    monkeypatch.setenv("CV_ANALYTICS_DLQ_URL", "https://q.example/1/dlq.fifo")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    args = build_parser().parse_args(["dlq", "replay"])
    assert args.queue_url == "https://q.example/1/events.fifo"
    assert args.dlq_url == "https://q.example/1/dlq.fifo"
    assert args.endpoint_url == "http://127.0.0.1:5000"
    explicit = build_parser().parse_args(["dlq", "replay", "--queue-url", "other"])
    assert explicit.queue_url == "other"


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--questions", "0"],
        ["demo", "--provisioner", "pulumi"],
        ["demo", "--history-weeks", "-1"],
        ["demo", "--history-weeks", "9"],
        ["dlq", "replay", "--max", "-1"],
        ["events", "send", "--query", "q", "--match-score", "101"],
        ["events", "send"],
    ],
)
def test_bad_arguments_are_refused(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_the_demo_sends_four_earlier_weeks_unless_told_otherwise():
    assert build_parser().parse_args(["demo"]).history_weeks == 4
    assert build_parser().parse_args(["demo", "--history-weeks", "0"]).history_weeks == 0


def test_an_invalid_week_is_a_usage_error(monkeypatch, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["report", "preview", "--week", "2025-W60", "--analytics-table", "t"])
    assert exited.value.code == 2
    assert "2025-W60" in capsys.readouterr().err
