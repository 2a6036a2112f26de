"""Every setting is checked when the settings are read, so a bad value stops the start-up
instead of failing a sender round hours later."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from overgang.cli import app as cli
from overgang.config import Settings


def refusal(**values: object) -> tuple[str, str]:
    """(field, reason) of the one value Settings refuses."""
    with pytest.raises(ValidationError) as refused:
        Settings(**values)  # type: ignore[arg-type]
    [problem] = refused.value.errors()
    return str(problem["loc"][0]), problem["msg"]


def test_a_bad_retry_schedule_is_refused_with_the_parser_s_reason() -> None:
    assert refusal(webhook_retry_schedule="5,,30") == (
        "webhook_retry_schedule",
        "Value error, the webhook retry schedule has an empty entry at position 2",
    )


def test_a_good_retry_schedule_is_kept_and_an_empty_one_means_the_default() -> None:
    assert Settings(webhook_retry_schedule="5, 30").webhook_retry_schedule == "5, 30"
    assert Settings(webhook_retry_schedule="").webhook_retry_schedule is None


@pytest.mark.parametrize(
    "field",
    [
        "worker_poll_seconds",
        "delivery_lease_seconds",
        "worker_batch_size",
        "worker_concurrency",
        "webhook_connect_timeout",
        "webhook_read_timeout",
        "endpoint_failing_after",
        "unacknowledged_after_seconds",
    ],
)
@pytest.mark.parametrize("value", [0, -1])
def test_counts_and_durations_must_be_more_than_zero(field: str, value: int) -> None:
    assert refusal(**{field: value}) == (field, "Value error, must be a number more than zero")


def test_an_endless_timeout_is_refused() -> None:
    assert refusal(webhook_read_timeout=float("inf"))[0] == "webhook_read_timeout"
    assert refusal(webhook_read_timeout=float("nan"))[0] == "webhook_read_timeout"


def test_an_unknown_log_level_is_refused_and_a_known_one_in_any_case_taken() -> None:
    assert refusal(log_level="loud")[0] == "log_level"
    assert Settings(log_level="warning").log_level == "warning"


def test_a_database_url_that_does_not_parse_is_refused_without_repeating_it() -> None:
    field, reason = refusal(database_url="postgresql://overgang:s3cret@[::1/overgang")

    assert field == "database_url"
    assert "s3cret" not in reason


@pytest.mark.parametrize(
    "command",
    [
        ["org", "add-hospital", "--sor", "1144561000016002", "--name", "Psyk S4"],
        ["client", "create", "--org", "0851", "--name", "EOJ"],
        ["webhook", "list", "--municipality", "0851"],
        ["deliveries", "list"],
        ["audit", "list"],
        ["checklist", "show"],
    ],
)
def test_every_command_refuses_a_bad_setting_in_one_line(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OVERGANG_LOG_LEVEL", "loud")

    result = CliRunner().invoke(cli, command)

    assert result.exit_code == 1
    assert result.output == (
        "error: OVERGANG_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL\n"
    )
