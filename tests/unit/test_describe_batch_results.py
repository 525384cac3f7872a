"""The result-line shapes of the batch engines, read by ``describe --import-batch``.

OpenAI's output file (a ``chat.completion`` under ``response.body``), OpenAI's error file
(``response: null``, ``error: {code, message}``), vLLM's ``run-batch`` error (a 4xx
``status_code`` with the message as a plain string), and lines that are none of these.
"""

from __future__ import annotations

import json

import pytest

from desktop_app.core.describe.batch import BatchResult, parse_result_line

SHA = "a" * 64


def _ok(content: object) -> str:
    body = {"object": "chat.completion", "choices": [{"message": {"content": content}}]}
    return json.dumps(
        {
            "id": "batch_req_1",
            "custom_id": SHA,
            "response": {"status_code": 200, "request_id": "r1", "body": body},
            "error": None,
        }
    )


def test_an_answer_is_its_first_choices_text_stripped() -> None:
    assert parse_result_line(_ok("  A red square.\n")) == BatchResult(SHA, text="A red square.")


@pytest.mark.parametrize(
    ("line", "error", "transient"),
    [
        (  # a batch-level error (expired, cancelled): no verdict on the request
            {"custom_id": SHA, "response": None, "error": {"code": "x", "message": "no GPU"}},
            "x: no GPU",
            True,
        ),
        (  # vLLM run-batch: the message is a string
            {"custom_id": SHA, "response": {"status_code": 400}, "error": "bad image"},
            "bad image",
            False,
        ),
        (  # a 429 whose body carries the error: the server was busy
            {
                "custom_id": SHA,
                "response": {"status_code": 429, "body": {"error": {"message": "slow down"}}},
                "error": None,
            },
            "slow down",
            True,
        ),
        ({"custom_id": SHA, "response": {"status_code": 500, "body": {}}}, "HTTP 500", True),
        (
            {"custom_id": SHA, "response": {"status_code": 422, "body": {}}},
            "HTTP 422",
            False,
        ),
    ],
)
def test_failed_requests_keep_the_servers_message(
    line: dict[str, object], error: str, transient: bool
) -> None:
    """The server's words are kept; only a 4xx other than 408/429 is a verdict on the
    request (an error row): the rest leave the image to do."""
    assert parse_result_line(json.dumps(line)) == BatchResult(SHA, error=error, transient=transient)


@pytest.mark.parametrize(
    "line",
    [
        "{not json",
        "[1, 2]",
        json.dumps({"response": {"status_code": 200, "body": {"choices": []}}}),  # no id
        json.dumps({"custom_id": SHA, "response": {"status_code": 200, "body": {}}}),
        json.dumps({"custom_id": SHA, "method": "POST", "url": "/v1/chat/completions"}),
        _ok(["not", "text"]),
    ],
)
def test_lines_that_are_not_results_are_refused(line: str) -> None:
    assert parse_result_line(line) is None
