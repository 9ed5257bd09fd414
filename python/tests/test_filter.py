"""fimql.compile and Filter: matching dicts, text and bytes; reading files like `fimql filter`."""

from __future__ import annotations

import gzip
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import fimql

from conftest import BENCH_FILTERS, EXAMPLES, Cli


def lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if line.strip()]


def cli_matches(cli: Cli, src: str, path: Path) -> list[str]:
    run = cli("filter", "--jobs", "1", "--quiet", src, str(path))
    assert run.returncode in (0, 1), run.stderr
    return run.stdout.splitlines()


def test_compile_errors_raise_filter_error_with_every_problem() -> None:
    src = "actoin:Create AND severity:high"
    with pytest.raises(fimql.FilterError) as info:
        fimql.compile(src)
    codes = sorted(d.code for d in info.value.diagnostics)
    assert codes == ["type-mismatch", "unknown-token"]
    assert "error[unknown-token]" in str(info.value)
    assert "error[type-mismatch]" in str(info.value)


def test_a_filter_knows_its_source_scope_paths_and_warnings() -> None:
    f = fimql.compile("action:Create OR action:Delete AND file.attribute.hidden:`Added`")
    assert f.source.startswith("action:Create")
    assert f.scope == "events"
    assert sorted(f.paths) == ["action", "fileAttribute.hidden"]
    assert [w.code for w in f.warnings] == ["mixed-and-or"]
    assert repr(fimql.compile('file.name:"a b"')) == """fimql.compile('file.name:"a b"', scope='events')"""


def test_every_input_form_gives_the_same_answer() -> None:
    f = fimql.compile("action:create AND severity>=4 AND NOT asset.name:*laptop*")
    hit = {"action": "Create", "severity": 5, "asset": {"name": "DESKTOP-1"}}
    miss = {"action": "Create", "severity": 5, "asset": {"name": "my-LAPTOP-2"}}
    for event, want in ((hit, True), (miss, False)):
        element = {"sortValues": [1, "x"], "data": event}
        text = json.dumps(element)
        assert f.matches(event) is want
        assert f.matches(element) is want
        assert f.matches(text) is want
        assert f.matches(text.encode()) is want
        assert f.matches(bytearray(text.encode())) is want
        assert f.matches(json.dumps(event, indent=2)) is want


@pytest.mark.parametrize("name", sorted(BENCH_FILTERS))
def test_dicts_text_and_bytes_agree_with_the_command_line(cli: Cli, name: str) -> None:
    src = BENCH_FILTERS[name]
    f = fimql.compile(src)
    records = lines(EXAMPLES)
    want = [line.encode() for line in cli_matches(cli, src, EXAMPLES)]
    assert [r for r in records if f.matches(r)] == want
    assert [r for r in records if f.matches(r.decode())] == want
    assert [r for r in records if f.matches(json.loads(r))] == want
    assert [r for r in records if f.matches(json.loads(r)["data"])] == want


def test_dict_values_follow_json() -> None:
    f = fimql.compile("severity>=4 AND profiles.rules.name:*CR_*")
    event: dict[str, Any] = {"severity": 4, "profiles": ({"rules": [{"name": "x"}, {"name": "a CR_1"}]},)}
    assert f.matches(event)
    assert not f.matches({**event, "severity": 3.5})
    assert not f.matches({**event, "severity": None})
    assert not f.matches({**event, "severity": float("nan")})
    # Numbers mean what they mean in JSON text, beyond 64 bits too.
    for n in (2**63, 2**64 + 1, 2**70, -(2**70), 4.0, 1e300, True):
        e = {**event, "severity": n}
        assert f.matches(e) is f.matches(json.dumps(e)), n
    # Members the filter does not read are not looked at.
    assert f.matches({**event, "other": object()})
    # Keys are case-sensitive JSON keys.
    assert not f.matches({"Severity": 9, "profiles": event["profiles"]})


def test_bad_events_raise() -> None:
    f = fimql.compile("action:Create")
    with pytest.raises(fimql.RecordError) as info:
        f.matches(b'{"action": "Create"')
    assert isinstance(info.value, ValueError)
    assert info.value.code == "invalid-record"
    assert info.value.path is None
    with pytest.raises(fimql.RecordError):
        f.matches("[1, 2]")
    with pytest.raises(fimql.RecordError):
        f.matches(b"\xff\xfe")
    with pytest.raises(TypeError):
        f.matches(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        f.matches(["action", "Create"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="JSON"):
        f.matches({"action": {1, 2}})
    with pytest.raises(TypeError, match="keys"):
        f.matches({"action": {"x": 1, 2: 3}})


def test_deep_or_cyclic_dicts_raise_instead_of_crashing() -> None:
    f = fimql.compile("action:Create")
    deep: Any = "Create"
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(ValueError, match="deeper"):
        f.matches({"action": deep})
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="deeper"):
        f.matches({"action": cyclic})


def test_filter_file_yields_the_matching_events_in_order(cli: Cli, generated: Path) -> None:
    for src in BENCH_FILTERS.values():
        f = fimql.compile(src)
        want = [json.loads(line) for line in cli_matches(cli, src, generated)]
        got = list(f.filter_file(generated))
        assert got == want
        assert f.count_file(generated) == len(want)
        assert f.count_file(str(generated)) == len(want)


@pytest.mark.parametrize("name", sorted(BENCH_FILTERS))
def test_count_file_agrees_with_the_command_line(cli: Cli, generated: Path, name: str) -> None:
    src = BENCH_FILTERS[name]
    run = cli("filter", "--count", "--jobs", "1", "--quiet", src, str(generated))
    assert fimql.compile(src).count_file(generated) == int(run.stdout)


def zstd_frame(data: bytes) -> bytes:
    """A zstd frame of raw (stored) blocks: what a zstd compressor writes for data it cannot shrink."""
    out = bytearray(b"\x28\xb5\x2f\xfd")
    out.append(0xE0)  # single segment, 8-byte content size, no checksum
    out += len(data).to_bytes(8, "little")
    blocks = [data[i : i + (128 << 10)] for i in range(0, len(data), 128 << 10)] or [b""]
    for i, block in enumerate(blocks):
        last = int(i == len(blocks) - 1)
        out += (last | (len(block) << 3)).to_bytes(3, "little")  # block type 0: raw
        out += block
    return bytes(out)


def test_every_file_layout_and_compression(tmp_path: Path) -> None:
    records = [json.loads(r) for r in lines(EXAMPLES)]
    f = fimql.compile("action:Create OR severity>=4")
    want = [r for r in records if f.matches(r)]
    assert 0 < len(want) < len(records)
    array = tmp_path / "array.json"
    array.write_text(json.dumps(records, indent=1))
    pretty = tmp_path / "pretty.json"
    pretty.write_text("\n".join(json.dumps(r, indent=4) for r in records))
    zipped = tmp_path / "events.ndjson.gz"
    zipped.write_bytes(gzip.compress(EXAMPLES.read_bytes()))
    zstd = tmp_path / "events.json.zst"
    zstd.write_bytes(zstd_frame(array.read_bytes()))
    for path in (EXAMPLES, array, pretty, zipped, zstd):
        assert list(f.filter_file(path)) == want, path
        assert f.count_file(path) == len(want), path


def test_group_by_has_the_count_api_shape(cli: Cli, generated: Path) -> None:
    src = "severity>=3"
    f = fimql.compile(src)
    run = cli("filter", "--group-by", "action", "--group-by", "platform", "--jobs", "1", "--quiet", src, str(generated))
    got = f.group_by(generated, ["action", "platform"])
    assert got == json.loads(run.stdout)
    assert sum(n for per in got.values() for n in per.values()) == f.count_file(generated)
    unknown = "unknown field `actoin`: not a token of scope events; did you mean `action`"
    with pytest.raises(ValueError, match=unknown):
        f.group_by(generated, ["actoin"])
    with pytest.raises(ValueError):
        f.group_by(generated, [])


def test_group_by_counts_numbers_as_written_like_the_command_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "numbers.ndjson"
    sizes = ["7", "1.50", "1E2", "100", "99999999999999999999999", "9007199254740993", "-0", "7"]
    path.write_text("".join(f'{{"data": {{"action": "Create", "size": {s}, "severity": {s}}}}}\n' for s in sizes))
    f = fimql.compile("action:Create")
    for tokens in (["file.size"], ["file.size", "action"]):
        flags = [a for t in tokens for a in ("--group-by", t)]
        run = cli("filter", *flags, "--jobs", "1", "--quiet", "action:Create", str(path))
        assert run.returncode == 0, run.stderr
        assert f.group_by(path, tokens) == json.loads(run.stdout), tokens
    got = f.group_by(path, ["file.size"])
    # Each number under its text: 1.50 is not 1.5, 1E2 not 100.0, big integers keep their digits.
    assert got == {"7": 2, "1.50": 1, "1E2": 1, "100": 1, "99999999999999999999999": 1, "9007199254740993": 1, "-0": 1}


def test_malformed_records_raise_with_file_and_line_or_are_collected(cli: Cli, tmp_path: Path) -> None:
    good = lines(EXAMPLES)[:6]
    path = tmp_path / "bad.ndjson"
    path.write_bytes(b"\n".join([good[0], good[1], b'{"data": {"action": "Create"', good[2], b"[1]", *good[3:]]) + b"\n")
    f = fimql.compile("NOT action:Nothing")
    with pytest.raises(fimql.RecordError) as info:
        f.count_file(path)
    err = info.value
    assert (err.path, err.line, err.code) == (str(path), 3, "invalid-record")
    assert str(err).startswith(f"{path}:3: ")
    # The iteration yields what comes before, then raises, then ends.
    it = f.filter_file(path)
    assert [next(it), next(it)] == [json.loads(good[0]), json.loads(good[1])]
    with pytest.raises(fimql.RecordError):
        next(it)
    assert list(it) == []
    # Collected instead: every good record, and each bad one with its line.
    def records(errors: list[fimql.RecordError | OSError]) -> list[fimql.RecordError]:
        bad = [e for e in errors if isinstance(e, fimql.RecordError)]
        assert len(bad) == len(errors), errors
        return bad

    errors: list[fimql.RecordError | OSError] = []
    assert f.count_file(path, errors=errors) == 6
    assert [(e.line, e.code) for e in records(errors)] == [
        (3, "invalid-record"),
        (5, "invalid-record"),
    ]
    errors2: list[fimql.RecordError | OSError] = []
    assert list(f.filter_file(path, errors=errors2)) == [json.loads(g) for g in good]
    assert [e.line for e in records(errors2)] == [3, 5]
    errors3: list[Exception] = []
    assert f.group_by(path, ["action"], errors=errors3) and len(errors3) == 2
    # The command line reports the same lines.
    run = cli("filter", "--count", "--quiet", "NOT action:Nothing", str(path))
    assert run.stdout.strip() == "6" and run.returncode == 2
    assert f"{path}:3:" in run.stderr and f"{path}:5:" in run.stderr


def test_unreadable_files_raise_os_errors(tmp_path: Path) -> None:
    f = fimql.compile("action:Create")
    with pytest.raises(FileNotFoundError) as info:
        f.count_file(tmp_path / "missing.ndjson")
    assert info.value.filename == str(tmp_path / "missing.ndjson")
    with pytest.raises(IsADirectoryError):
        f.count_file(tmp_path)
    with pytest.raises(FileNotFoundError):
        f.filter_file(tmp_path / "missing.ndjson")
    broken = tmp_path / "broken.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00" + b"not deflate data" * 8)
    with pytest.raises(OSError, match="broken.gz"):
        f.count_file(broken)


def test_a_filter_is_shared_between_threads(generated: Path) -> None:
    f = fimql.compile(BENCH_FILTERS["F3"])
    records = lines(generated)[:2000]
    want = sum(f.matches(r) for r in records)

    def count_records(_: int) -> int:
        return sum(f.matches(r) for r in records)

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(count_records, range(8))) == [want] * 8
        files = list(pool.map(lambda _: f.count_file(generated), range(4)))
    assert len(set(files)) == 1


def test_the_gil_is_released_while_a_file_is_read(generated: Path, tmp_path: Path) -> None:
    f = fimql.compile(BENCH_FILTERS["F4"])
    begin = time.perf_counter()
    once = f.count_file(generated)
    # A file that takes about half a second to read, whatever the build.
    copies = max(1, min(64, round(0.5 / (time.perf_counter() - begin))))
    big = tmp_path / "big.ndjson"
    big.write_bytes(generated.read_bytes() * copies)
    want = once * copies
    started = threading.Event()
    result: list[int] = []

    def work() -> None:
        started.set()
        result.append(f.count_file(big))

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    ticks = 0
    begin = time.perf_counter()
    while t.is_alive():
        ticks += 1
        time.sleep(0.001)
    elapsed = time.perf_counter() - begin
    t.join()
    assert result == [want]
    # This thread ran all along (about a tick a millisecond), not only before the read began: a
    # read holding the GIL would leave it a handful of ticks.
    if elapsed < 0.2:
        pytest.fail(f"the read took {elapsed:.3f} s: too short to tell")
    assert ticks >= elapsed * 1000 / 20


def test_an_int_beyond_the_floats_is_out_of_range_as_in_json_text() -> None:
    f = fimql.compile("severity>=4")
    for event in ({"severity": 10**400}, '{"severity": 1e400}'):
        with pytest.raises(fimql.RecordError, match="out of range"):
            f.matches(event)
    # Beyond 64 bits but within a float: read as the float, as in JSON text.
    assert f.matches({"severity": 10**30}) == f.matches('{"severity": 1000000000000000000000000000000}')


def test_record_and_filter_errors_say_where_once(cli: Cli, tmp_path: Path) -> None:
    f = fimql.compile("action:Create")
    # A record given alone: its position within the record, said once (not "line 3: ... at line
    # 3 column 1 of the record"); `line` is that line.
    cases: list[tuple[str | bytes, str, int | None]] = [
        (b'{"action": "Create"', "EOF while parsing an object at line 1 column 19 of the record", 1),
        ('{\n"action":\n}', "expected value at line 3 column 1 of the record", 3),
        ("[1]", "invalid type: an array, expected a JSON object (an event)", None),
    ]
    for record, text, line in cases:
        for method in (f.matches, f.explain):
            with pytest.raises(fimql.RecordError) as info:
                method(record)
            err = info.value
            assert (str(err), err.message, err.line, err.path) == (text, text, line, None)
    # A file's record: the file and the line it starts on, then the message, as the command
    # line prints it.
    export = tmp_path / "export.ndjson"
    export.write_text('{"action": "Create"}\n{"action":\n')
    errors: list[fimql.RecordError | OSError] = []
    assert f.count_file(export, errors=errors) == 1
    [collected] = errors
    assert isinstance(collected, fimql.RecordError)
    want = f"{export}:2: EOF while parsing a value at line 1 column 10 of the record"
    assert str(collected) == want
    assert (collected.path, collected.line) == (str(export), 2)
    assert cli("filter", "--count", "action:Create", str(export)).stderr.splitlines()[0] == want
    with pytest.raises(fimql.RecordError) as info:
        list(f.filter_file(export))
    assert str(info.value) == want
    # A filter: the caret rendering, where the line is said in the `-->` line and the margin.
    with pytest.raises(fimql.FilterError) as bad:
        fimql.compile("action:x AND\n(b:")
    assert str(bad.value) == (
        "error[expected-value]: expected a value in a term, found the end of the filter\n"
        " --> 2:4\n"
        "  |\n"
        "2 | (b:\n"
        "  |    ^\n"
        "  = help: write a value after the `:`: `action:Create`; `field:*` tests that the field is present"
    )


def test_lone_surrogates_in_events_are_record_errors() -> None:
    # serde_json refuses the escape of a lone surrogate in JSON text: a RecordError. The same
    # string in a dict, or raw in JSON text given as str, is the same kind of error, not the
    # UnicodeEncodeError of converting it.
    f = fimql.compile("action:Create")
    with pytest.raises(fimql.RecordError, match="an unpaired UTF-16 surrogate escape"):
        f.matches('{"action": "\\udcff"}')
    value = "a string value in the event ('C\\udcff') holds a lone surrogate (U+DCFF) at index 1, which is not a character (JSON text is Unicode)"
    key = "a key in the event ('\\udcffx') holds a lone surrogate (U+DCFF) at index 0, which is not a character (JSON text is Unicode)"
    cases: list[tuple[fimql.Filter, Any, str]] = [
        (f, {"action": "C\udcff"}, value),
        (f, {"data": {"action": "C\udcff"}}, value),
        (f, {"action": ["Create", "C\udcff"]}, value),
        # A key inside a value the filter reads whole.
        (f, {"action": {"\udcffx": 1}}, key),
    ]
    for flt, event, message in cases:
        for method in (flt.matches, flt.explain):
            with pytest.raises(fimql.RecordError) as info:
                method(event)
            err = info.value
            assert (str(err), err.message, err.path, err.line, err.code) == (
                message,
                message,
                None,
                None,
                "invalid-record",
            )
    # explain reads the whole event: a key anywhere.
    with pytest.raises(fimql.RecordError, match="a key in the event"):
        f.explain({"other": {"\udcffx": 1}, "action": "Create"})
    # JSON text as str with a raw surrogate: its line and column (in bytes of the UTF-8 before
    # it, as in serde_json's errors).
    text = '{"action": "Create",\n "名": "x\udcff"}'
    for method in (f.matches, f.explain):
        with pytest.raises(fimql.RecordError) as info:
            method(text)
        err = info.value
        want = "lone surrogate U+DCFF, which is not a character (JSON text is Unicode), at line 2 column 11 of the record"
        assert (str(err), err.line, err.code) == (want, 2, "invalid-record")


def test_lone_surrogates_in_other_arguments_are_value_errors(tmp_path: Path) -> None:
    export = tmp_path / "export.ndjson"
    export.write_text('{"action": "Create"}\n')
    f = fimql.compile("action:Create")
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: fimql.compile("action:x", now="2024\udcff"), "now: a lone surrogate (U+DCFF) at index 4"),
        (lambda: fimql.check_request({}, kind="event\udcff"),  # type: ignore[arg-type]
         "kind: a lone surrogate (U+DCFF) at index 5"),
        (lambda: f.group_by(export, ["platform", "\udcff"]), "group_by: a token: a lone surrogate (U+DCFF) at index 0"),
        (lambda: fimql.check_request('{"filter": "\udcff"}'), "the body is not Unicode text: a lone surrogate (U+DCFF) at index 12"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError) as info:
            call()
        assert type(info.value) is ValueError, info.value
        assert str(info.value).startswith(message), str(info.value)
    # A dict body is JSON through json.dumps, which escapes the surrogate: invalid JSON, found.
    report = fimql.check_request({"filter": "\udcff"})
    assert [f.code for f in report.errors] == ["invalid-json"]


def nested(value: Any, lists: int) -> Any:
    for _ in range(lists):
        value = [value]
    return value


def test_a_dict_nests_as_deep_as_json_text_along_the_filters_paths() -> None:
    f = fimql.compile("action:Create")

    def outcome(call: Callable[[], object]) -> object:
        try:
            return call()
        except fimql.RecordError:
            return fimql.RecordError

    for lists in range(124, 130):
        for event in (
            {"action": nested("Create", lists)},
            {"data": {"action": nested("Create", lists)}},
            {"action": nested([], lists)},
        ):
            text = json.dumps(event)
            want = outcome(lambda: f.matches(text))
            assert outcome(lambda: f.matches(event)) == want, (lists, event)
            # explain reads the whole event, whatever the filter reads.
            assert outcome(lambda: f.explain(text)["matched"]) == want
            assert outcome(lambda: f.explain(event)["matched"]) == want
        assert outcome(lambda: f.explain({"action": "Create", "data": [1], "x": nested(1, lists)})) == outcome(
            lambda: f.explain(json.dumps({"action": "Create", "data": [1], "x": nested(1, lists)}))
        )
    # Off the filter's paths, `matches` does not read a dict at all (as documented): the depth
    # there is not checked, where JSON text is refused.
    deep = {"action": "Create", "other": nested(1, 200)}
    assert f.matches(deep) is True
    with pytest.raises(fimql.RecordError, match="recursion limit"):
        f.matches(json.dumps(deep))
    with pytest.raises(fimql.RecordError) as info:
        f.explain(deep)
    assert str(info.value) == (
        "the event nests lists and dicts deeper than 127 levels (or one holds itself), deeper than JSON text is read"
    )


def test_a_damaged_gzip_header_goes_to_errors_as_other_read_errors(tmp_path: Path) -> None:
    bad = tmp_path / "fake.json.gz"
    bad.write_bytes(b"\x1f\x8b\x08garbage that is no gzip")
    f = fimql.compile("action:Create")
    for call in (
        lambda errors: f.count_file(bad, errors=errors),
        lambda errors: f.group_by(bad, ["action"], errors=errors),
        lambda errors: list(f.filter_file(bad, errors=errors)),
    ):
        errors: list[Exception] = []
        call(errors)
        assert len(errors) == 1 and type(errors[0]) is OSError, errors
        assert str(errors[0]).startswith(f"{bad}: the gzip data is damaged"), errors
        # Without `errors`, it raises.
        with pytest.raises(OSError, match="the gzip data is damaged"):
            call(None)
    # A missing file raises either way.
    with pytest.raises(FileNotFoundError):
        f.count_file(tmp_path / "missing.ndjson", errors=[])


def test_a_file_whose_first_record_wraps_events_is_warned_of(tmp_path: Path) -> None:
    event = {"action": "Create"}
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"count": 2, "data": [event, event]}) + "\n")
    f = fimql.compile("action:Create")
    message = (
        f"{wrapped}:1: the record's `data` is an array of 2 objects; each record is read as one "
        "event, so they are not events here: take them out first (each one given to "
        "`Filter.matches`, say)"
    )
    for call in (
        lambda: f.count_file(wrapped),
        lambda: f.group_by(wrapped, ["action"]),
        lambda: list(f.filter_file(wrapped)),
    ):
        with pytest.warns(UserWarning) as caught:
            call()
        assert [str(w.message) for w in caught] == [message]
    # An export of search-response elements: no warning.
    plain = tmp_path / "plain.ndjson"
    plain.write_text(json.dumps({"sortValues": [], "data": event}) + "\n")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f.count_file(plain) == 1


def test_paths_are_taken_as_open_takes_them(tmp_path: Path) -> None:
    export = tmp_path / "events.ndjson"
    export.write_text('{"action":"Create"}\n{"action":"Delete"}\n')
    f = fimql.compile("action:Create")
    for path in (export, str(export), bytes(export), os.fsencode(export)):
        assert f.count_file(path) == 1
        assert f.group_by(path, ["action"]) == {"Create": 1}
        assert len(list(f.filter_file(path))) == 1
    with pytest.raises(ValueError, match="embedded null byte"):
        f.count_file(str(export) + "\0x", errors=[])
    with pytest.raises(TypeError, match="str, bytes or os.PathLike"):
        f.count_file(3)  # type: ignore[arg-type]
