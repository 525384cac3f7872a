"""The pool's dealer, backoff and drop rules, with fake endpoints and an injected clock.

The real servers (killed, stalled) are in tests/integration/test_describe_pool.py; here the
rules themselves: who gets the next image, how long a failing endpoint waits, when it is
dropped, that a failed image goes to someone else, that a bad image is one error row, and
that a pool with no endpoint left writes no row for the images it could not do.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.base import (
    BackendUnavailable,
    CancelToken,
    ChatRequest,
    Chunk,
    Done,
    GenerationFailed,
    GenerationOptions,
    InvalidImage,
    Stats,
    TextDelta,
)
from desktop_app.core.describe.output import DescribeRow
from desktop_app.core.describe.pool import (
    AllEndpointsDropped,
    Dealer,
    EndpointState,
    PoolEndpoint,
    PoolPolicy,
    run_pool,
)
from desktop_app.core.describe.run import DescribeJob, WorkItem, file_sha256
from desktop_app.core.images import ImagePolicy


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _item(name: str) -> WorkItem:
    return WorkItem(Path(name), name)


def _dealer(*limits: int, concurrency: int = 99, **policy: float) -> tuple[Dealer, Clock]:
    clock = Clock()
    endpoints = [EndpointState(f"e{i}", limit) for i, limit in enumerate(limits)]
    dealer = Dealer(endpoints, concurrency, PoolPolicy(**policy), clock, random.Random(7))  # type: ignore[arg-type]
    return dealer, clock


def test_deals_to_the_least_loaded_endpoint_within_each_limit_and_the_total() -> None:
    dealer, _ = _dealer(2, 2, 1, concurrency=4)
    dealer.pending.extend(_item(f"i{n}") for n in range(10))
    dealt = []
    while (next_one := dealer.deal()) is not None:
        dealt.append(next_one[0])
    assert len(dealt) == 4  # the total in flight
    assert all(e.in_flight <= e.limit for e in dealer.endpoints)
    assert dealt[:3] == [0, 1, 2]  # each endpoint gets one before any gets a second


def test_a_failure_hands_the_image_back_and_backs_the_endpoint_off() -> None:
    dealer, clock = _dealer(1, 1, backoff_s=1.0, jitter=0.0)
    dealer.pending.extend([_item("a"), _item("b")])
    assert dealer.deal() == (0, _item("a"))
    assert dealer.deal() == (1, _item("b"))
    assert dealer.failed(0, _item("a")) is False
    assert dealer.pending[0] == _item("a")
    assert dealer.deal() is None  # e0 backing off, e1 busy
    assert dealer.next_ready_in() == pytest.approx(1.0)
    dealer.succeeded(1)
    assert dealer.deal() == (1, _item("a"))  # another endpoint takes it
    clock.now += 1.0
    dealer.pending.append(_item("c"))
    assert dealer.deal() == (0, _item("c"))  # e0 may work again after its wait


def test_backoff_doubles_per_failure_in_a_row_is_capped_and_jittered() -> None:
    dealer, clock = _dealer(1, backoff_s=1.0, backoff_max_s=5.0, jitter=0.0, max_failures=10)
    waits = []
    for _ in range(5):
        dealer.pending.append(_item("x"))
        index, item = dealer.deal() or (None, None)
        assert index == 0 and item is not None
        dealer.failed(0, item)
        dealer.pending.clear()
        waits.append(dealer.endpoints[0].ready_at - clock.now)
        clock.now = dealer.endpoints[0].ready_at
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0]
    jittered, _ = _dealer(1, backoff_s=1.0, jitter=0.5)
    jittered.pending.append(_item("y"))
    assert jittered.deal() is not None
    jittered.failed(0, _item("y"))
    assert 0.5 <= jittered.next_ready_in() <= 1.5  # type: ignore[operator]


def test_k_failures_in_a_row_drop_the_endpoint_and_a_success_resets_the_count() -> None:
    dealer, clock = _dealer(1, 1, max_failures=3, jitter=0.0)
    for round_ in range(2):  # two failures, then a success: not dropped
        dealer.pending.append(_item(f"r{round_}"))
        assert dealer.deal() is not None
        assert dealer.failed(0, _item(f"r{round_}")) is False
        dealer.pending.clear()
        clock.now += 100
    dealer.pending.append(_item("ok"))
    assert dealer.deal() is not None
    dealer.succeeded(0)
    assert dealer.endpoints[0].failures_in_row == 0
    dropped = []
    for round_ in range(3):
        dealer.pending.append(_item(f"f{round_}"))
        index, item = dealer.deal() or (None, None)
        assert index == 0 and item is not None
        dropped.append(dealer.failed(0, item))
        dealer.pending.clear()
        clock.now += 100
    assert dropped == [False, False, True]
    assert dealer.endpoints[0].dropped and not dealer.all_dropped
    dealer.pending.append(_item("after"))
    assert dealer.deal() == (1, _item("after"))  # never dealt to a dropped endpoint


def test_a_drop_is_reported_once_though_more_images_were_in_flight() -> None:
    dealer, _ = _dealer(3, 1, max_failures=2)
    dealer.pending.extend(_item(f"i{n}") for n in range(4))
    on_zero = [item for index, item in iter(dealer.deal, None) if index == 0]
    assert len(on_zero) == 3
    assert [dealer.failed(0, item) for item in on_zero] == [False, True, False]
    assert len(dealer.pending) == 3 and dealer.endpoints[0].in_flight == 0


# -- run_pool with fake endpoints -------------------------------------------------------------


class FakeBackend:
    """Answers with the image's first bytes' length, or fails as its endpoint is told to."""

    name = "openai"

    def __init__(self, endpoint: FakeEndpoint) -> None:
        self.endpoint = endpoint

    def stream_chat(
        self, request: ChatRequest, cancel: CancelToken | None = None
    ) -> Iterator[Chunk]:
        failure = self.endpoint.next_failure()
        if failure is not None:
            raise failure
        image = request.messages[0].images[0]
        with self.endpoint.lock:
            self.endpoint.answered += 1
        yield TextDelta(f"{image.width}x{image.height}")
        yield Done(Stats(), "stop")

    def close(self) -> None:
        pass


class FakeEndpoint:
    def __init__(
        self, failures: list[Exception | None] | None = None, always: Exception | None = None
    ) -> None:
        self.failures = list(failures or [])
        self.always = always
        self.answered = 0
        self.lock = threading.Lock()

    def next_failure(self) -> Exception | None:
        with self.lock:
            if self.always is not None:
                return self.always
            return self.failures.pop(0) if self.failures else None

    def pool(self, name: str, limit: int = 2) -> PoolEndpoint:
        return PoolEndpoint(name, lambda: FakeBackend(self), limit)  # type: ignore[arg-type,return-value]


class ListWriter:
    def __init__(self) -> None:
        self.rows: list[DescribeRow] = []

    def write(self, row: DescribeRow) -> None:
        self.rows.append(row)


@pytest.fixture()
def images(tmp_path: Path) -> list[WorkItem]:
    from PIL import Image

    items = []
    for n in range(12):
        path = tmp_path / f"p{n:02d}.png"
        Image.new("RGB", (20 + n, 10 + n), (n * 10, 0, 0)).save(path)
        items.append(WorkItem(path, file_sha256(path)))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png at all")
    items.append(WorkItem(bad, file_sha256(bad)))
    return items


JOB = DescribeJob("m", "p", options=GenerationOptions(), policy=ImagePolicy())
FAST = PoolPolicy(backoff_s=0.001, backoff_max_s=0.002, max_failures=3)


def test_every_image_one_row_when_an_endpoint_fails_now_and_then(images: list[WorkItem]) -> None:
    flaky = FakeEndpoint([GenerationFailed("500"), None, BackendUnavailable("refused")])
    good = FakeEndpoint()
    writer = ListWriter()
    summary = run_pool(
        [flaky.pool("flaky"), good.pool("good")],
        images, [], JOB, writer, concurrency=3, stop=CancelToken(), cancel=CancelToken(),
        policy=FAST,
    )  # fmt: skip
    assert sorted(row.path for row in writer.rows) == sorted(str(i.path) for i in images)
    errors = [row for row in writer.rows if row.error]
    assert [Path(row.path).name for row in errors] == ["bad.png"]  # the bad image: one error row
    assert summary.errors == 1 and summary.described == len(images)
    for row in writer.rows:
        if not row.error:
            assert row.text == f"{row.width}x{row.height}"


def test_a_dead_endpoint_is_dropped_once_and_the_rest_finish(images: list[WorkItem]) -> None:
    dead = FakeEndpoint(always=BackendUnavailable("refused"))
    good = FakeEndpoint()
    writer = ListWriter()
    drops: list[tuple[int, bool]] = []
    run_pool(
        [dead.pool("dead"), good.pool("good")],
        images, [], JOB, writer, concurrency=4, stop=CancelToken(), cancel=CancelToken(),
        policy=FAST, on_failure=lambda index, why, dropped: drops.append((index, dropped)),
    )  # fmt: skip
    assert len(writer.rows) == len(images)
    assert len({row.path for row in writer.rows}) == len(images)
    assert [d for d in drops if d[1]] == [(0, True)]
    assert dead.answered == 0


def test_all_endpoints_dropped_stops_without_rows_for_the_rest(images: list[WorkItem]) -> None:
    one = FakeEndpoint([None, None] + [BackendUnavailable("gone")] * 50)
    two = FakeEndpoint(always=GenerationFailed("503"))
    writer = ListWriter()
    with pytest.raises(AllEndpointsDropped):
        run_pool(
            [one.pool("one", 1), two.pool("two", 1)],
            images, [], JOB, writer, concurrency=1, stop=CancelToken(), cancel=CancelToken(),
            policy=FAST,
        )  # fmt: skip
    assert len(writer.rows) == 2  # the two answered; no error row for the images left
    assert not any(row.error for row in writer.rows)


def test_an_image_the_server_cannot_decode_is_one_error_row_not_an_endpoint_failure(
    images: list[WorkItem],
) -> None:
    picky = FakeEndpoint([InvalidImage("cannot decode")])
    writer = ListWriter()
    failures: list[int] = []
    run_pool(
        [picky.pool("picky", 1)],
        images[:3], [], JOB, writer, concurrency=1, stop=CancelToken(), cancel=CancelToken(),
        policy=FAST, on_failure=lambda index, why, dropped: failures.append(index),
    )  # fmt: skip
    assert len(writer.rows) == 3 and sum(bool(row.error) for row in writer.rows) == 1
    assert failures == []


def test_stop_deals_no_more_and_writes_nothing_for_the_rest(images: list[WorkItem]) -> None:
    stop = CancelToken()
    good = FakeEndpoint()
    writer = ListWriter()

    def on_row(row: DescribeRow, index: int) -> None:
        stop.cancel()

    summary = run_pool(
        [good.pool("good", 1)], images, [], JOB, writer, concurrency=1,
        stop=stop, cancel=CancelToken(), policy=FAST, on_row=on_row,
    )  # fmt: skip
    assert summary.interrupted and len(writer.rows) == 1


# -- the command line ------------------------------------------------------------------------


def test_pool_file_urls_limits_and_comments(tmp_path: Path) -> None:
    from desktop_app.cli.common import CliError
    from desktop_app.cli.describe_pool import read_pool_file

    good = tmp_path / "servers.txt"
    good.write_text(
        "# the lab's servers\nhttp://a:8080/v1 4  # the big one\n\n  http://b:8080/v1\n",
        encoding="utf-8",
    )
    assert read_pool_file(good) == [("http://a:8080/v1", 4), ("http://b:8080/v1", None)]
    for text in ("http://a:8080/v1 four\n", "http://a:8080/v1 0\n", "# nothing\n"):
        bad = tmp_path / "bad.txt"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(CliError):
            read_pool_file(bad)


def test_repeated_host_and_base_url_parse_as_lists_and_one_stays_one() -> None:
    from desktop_app.cli.app import build_parser
    from desktop_app.cli.describe_pool import single_server_args
    from desktop_app.core.settings import Settings

    parser = build_parser()
    args = parser.parse_args(
        ["describe", "p", "--base-url", "http://a/v1", "--base-url", "http://b/v1"]
    )
    assert args.base_url == ["http://a/v1", "http://b/v1"] and args.concurrency == 1
    single = single_server_args(args, Settings())
    assert single.base_url == "http://a/v1" and single.host is None
    one = single_server_args(parser.parse_args(["describe", "p", "--host", "h:1"]), Settings())
    assert one.host == "h:1" and one.base_url is None
    assert parser.parse_args(["ask", "q", "--host", "h:1"]).host == "h:1"  # ask: unchanged


def test_an_image_every_server_fails_on_becomes_an_error_row_and_drops_no_server(
    images: list[WorkItem],
) -> None:
    """A request that makes every server fail (a repeatable 500 for that one image) while
    they answer the others: after ``max_image_failures`` it is the image's error row, and
    no server is dropped for it."""

    class PoisonedBackend(FakeBackend):
        def stream_chat(
            self, request: ChatRequest, cancel: CancelToken | None = None
        ) -> Iterator[Chunk]:
            if request.messages[0].images[0].width == 25:  # p05.png
                raise GenerationFailed("500 Internal Server Error")
            return super().stream_chat(request, cancel)

    endpoints = [FakeEndpoint(), FakeEndpoint()]
    pool = [
        PoolEndpoint(name, lambda e=e: PoisonedBackend(e), 2)  # type: ignore[misc]
        for name, e in zip(("a", "b"), endpoints, strict=True)
    ]
    writer = ListWriter()
    drops: list[bool] = []
    run_pool(
        pool, images, [], JOB, writer, concurrency=2, stop=CancelToken(), cancel=CancelToken(),
        policy=FAST, on_failure=lambda _index, _why, dropped: drops.append(dropped),
    )  # fmt: skip
    assert sorted(row.path for row in writer.rows) == sorted(str(i.path) for i in images)
    errors = {Path(row.path).name: row.error for row in writer.rows if row.error}
    assert set(errors) == {"bad.png", "p05.png"}
    assert "500" in errors["p05.png"]
    assert drops.count(True) == 0 and len(drops) == FAST.max_image_failures


def test_on_the_in_process_engine_an_error_is_the_images_row_and_the_run_goes_on(
    images: list[WorkItem],
) -> None:
    """``errors_are_rows`` (the window's built-in llama.cpp: no server to be down): a
    failure on one image is its error row at once, as a sequential run writes it, even on
    the last image with nobody else to answer; a fatal error still ends the run."""
    from backends.base import EngineCrashed

    class OneBadImage(FakeBackend):
        def stream_chat(
            self, request: ChatRequest, cancel: CancelToken | None = None
        ) -> Iterator[Chunk]:
            if request.messages[0].images[0].width in {25, 31}:  # p05.png, p11.png (last)
                raise GenerationFailed("llama.cpp failed while answering: boom")
            return super().stream_chat(request, cancel)

    engine = FakeEndpoint()
    policy = PoolPolicy(backoff_s=0.001, backoff_max_s=0.002, errors_are_rows=True)
    writer = ListWriter()
    run_pool(
        [PoolEndpoint("llama-cpp", lambda: OneBadImage(engine), 1)],  # type: ignore[arg-type,return-value]
        images, [], JOB, writer, concurrency=1, stop=CancelToken(), cancel=CancelToken(),
        policy=policy,
    )  # fmt: skip
    assert len(writer.rows) == len(images)
    errors = {Path(row.path).name: row.error for row in writer.rows if row.error}
    assert set(errors) == {"bad.png", "p05.png", "p11.png"}
    assert "boom" in errors["p11.png"]

    crashing = FakeEndpoint(always=EngineCrashed("the engine died"))
    with pytest.raises(AllEndpointsDropped):
        run_pool(
            [crashing.pool("llama-cpp", 1)], images, [], JOB, ListWriter(), concurrency=1,
            stop=CancelToken(), cancel=CancelToken(), policy=policy,
        )  # fmt: skip


def test_one_server_that_refuses_two_images_among_many_finishes_with_their_error_rows(
    images: list[WorkItem],
) -> None:
    """The window's default and ``--host X --concurrency N``: one live server answering
    most images and refusing two (a 500 for those requests).  The two come last in line,
    fail one after another, and must end as their error rows -- not drop the only server
    and leave a run that no re-run can finish."""

    class TwoBadImages(FakeBackend):
        def stream_chat(
            self, request: ChatRequest, cancel: CancelToken | None = None
        ) -> Iterator[Chunk]:
            if request.messages[0].images[0].width in {21, 27}:  # p01.png, p07.png
                raise GenerationFailed("500 Internal Server Error")
            return super().stream_chat(request, cancel)

    server = FakeEndpoint()
    writer = ListWriter()
    drops: list[bool] = []
    run_pool(
        [PoolEndpoint("one", lambda: TwoBadImages(server), 1)],  # type: ignore[arg-type,return-value]
        images, [], JOB, writer, concurrency=1, stop=CancelToken(), cancel=CancelToken(),
        policy=FAST, on_failure=lambda _index, _why, dropped: drops.append(dropped),
    )  # fmt: skip
    assert sorted(row.path for row in writer.rows) == sorted(str(i.path) for i in images)
    errors = {Path(row.path).name for row in writer.rows if row.error}
    assert errors == {"bad.png", "p01.png", "p07.png"}
    assert not any(drops)


def test_a_stalled_or_unreachable_server_never_turns_an_image_into_an_error_row(
    images: list[WorkItem],
) -> None:
    """Failures of a server that is down say nothing of the image: after some answers the
    server goes away, and the images left get no row (a re-run does them)."""
    from backends.base import BackendUnavailable

    gone = FakeEndpoint([None, None, None] + [BackendUnavailable("refused")] * 100)
    writer = ListWriter()
    with pytest.raises(AllEndpointsDropped):
        run_pool(
            [gone.pool("gone", 1)], images, [], JOB, writer, concurrency=1,
            stop=CancelToken(), cancel=CancelToken(), policy=FAST,
        )  # fmt: skip
    assert len(writer.rows) == 3 and not any(row.error for row in writer.rows)


def test_a_mistyped_address_in_the_pool_file_is_said_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A later pool line with an address that is no URL: one clear line and exit 1 before
    any image is dealt, not a run that ends mid-way when that server gets its first image."""
    from PIL import Image

    from desktop_app.cli.app import main

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (8, 8)).save(photos / "a.png")
    pool = tmp_path / "servers.txt"
    pool.write_text("http://127.0.0.1:9/v1 2\nftp://nowhere/v1 2\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code = main(
        ["describe", str(photos), "--pool", str(pool), "--concurrency", "2", "--model", "m",
         "--out", str(out)]
    )  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "ftp://nowhere" in err
    assert "to describe" not in err  # said before the run began
    assert not out.exists() or not out.read_text(encoding="utf-8").strip()
