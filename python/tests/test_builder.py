"""fimql.quote and the builder: values from elsewhere become filters that mean exactly them."""

from __future__ import annotations

import datetime
from typing import Callable

import pytest

import fimql

NASTY = ['a b', 'C:\\temp\\*.exe', 'x"y', "it's", "`tick`", "AND", "a:b", "(x)", "[1..2]", "日本語", "?", "-x", "\\"]


@pytest.mark.parametrize("value", NASTY)
def test_a_quoted_value_means_exactly_itself(value: str) -> None:
    bare = fimql.compile(f"file.name:{fimql.quote(value)}")
    assert bare.matches({"name": value})
    assert bare.matches({"name": value.upper()})  # bare matches ignore case
    assert not bare.matches({"name": value + "z"})
    exact = fimql.compile(f"file.name:{fimql.quote(value, 'exact')}")
    assert exact.matches({"name": value})
    assert exact.matches({"name": value.swapcase()}) is (value.swapcase() == value)
    phrase = fimql.compile(f"file.name:{fimql.quote(value, 'phrase')}")
    assert phrase.matches({"name": "<<" + value + ">>"})


def test_quote_refuses_what_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="empty"):
        fimql.quote("")
    with pytest.raises(ValueError, match="form"):
        fimql.quote("x", "single")  # type: ignore[arg-type]


def test_conditions_build_filters() -> None:
    since = datetime.datetime(2023, 6, 1, 2, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    cond = (
        fimql.field("dateTime").range(since, None)
        & fimql.field("action").any_of(["Create", "Content"])
        & ~fimql.field("file.fullPath").phrase("C:\\Windows\\")
        & (fimql.field("file.attribute.hidden").exact("Added") | fimql.field("severity").ge(4))
    )
    text = cond.build()
    assert text == (
        "dateTime:['2023-06-01T00:00:00Z'..*] AND action:[Create, Content] AND NOT "
        'file.fullPath:"C:\\Windows\\\\" AND (file.attribute.hidden:`Added` OR severity>=4)'
    )
    assert str(cond) == text
    assert fimql.check(text).valid
    assert fimql.format(text) == text


def test_every_constructor() -> None:
    f = fimql.field
    assert f("severity").range(3, 5).build() == "severity:[3..5]"
    assert f("severity").range(None, 2).build() == "severity:[*..2]"
    assert f("dateTime").gt(datetime.date(2023, 1, 9)).build() == "dateTime>'2023-01-09'"
    assert f("dateTime").lt(datetime.datetime(2023, 1, 9, 10, 30)).build() == "dateTime<'2023-01-09T10:30:00Z'"
    assert f("dateTime").le("now-7d").build() == "dateTime<='now-7d'"
    assert f("severity").gt(3).build() == "severity>3"
    assert f("asset.name").wildcard("DESKTOP*").build() == "asset.name:DESKTOP*"
    assert f("asset.name").eq("DESKTOP*").build() == "asset.name:DESKTOP\\*"
    assert f("file.attribute.hidden").exact_any_of(["Added", "Removed"]).build() == "file.attribute.hidden:[`Added`, `Removed`]"
    assert f("action").present().build() == "action:*"
    assert "false" in f("x").is_(False).build().lower()
    assert fimql.and_(f("a").eq("1"), f("b").eq("2")).build() == "a:1 AND b:2"
    assert fimql.or_(f("a").eq("1"), f("b").eq("2")).build() == "a:1 OR b:2"
    assert fimql.not_(f("a").eq("1")).build() == "NOT a:1"


def test_conditions_that_cannot_be_written_raise_filter_error() -> None:
    for bad in (fimql.field("action").eq(""), fimql.field("bad name").eq("x"), fimql.and_(), fimql.field("a").any_of([])):
        with pytest.raises(fimql.FilterError) as info:
            bad.build()
        assert info.value.diagnostics[0].severity == "error"
    with pytest.raises(TypeError):
        fimql.field("severity").gt(True)
    with pytest.raises(TypeError):
        fimql.field("severity").gt(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fimql.and_("action:Create")  # type: ignore[arg-type]
    # An int beyond 64 bits is a value out of range, said as such.
    for big in (2**63, -(2**63) - 1):
        with pytest.raises(ValueError, match="does not fit in 64 bits"):
            fimql.field("severity").ge(big)
    assert fimql.field("severity").ge(2**63 - 1).build() == f"severity>={2**63 - 1}"


def test_building_deeper_than_any_parser_raises_instead_of_crashing() -> None:
    c = fimql.field("a").eq("b")
    for _ in range(20000):
        c = ~c
    with pytest.raises(fimql.FilterError) as info:
        c.build()
    assert info.value.diagnostics[0].code == "too-deep"
    d = fimql.field("a").eq("b")
    for _ in range(3000):
        d = (d & fimql.field("b").eq("x")) | fimql.field("c").eq("y")
    with pytest.raises(fimql.FilterError):
        d.build()


def test_an_aware_datetime_of_any_tzinfo_is_its_instant() -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    d = datetime.datetime(2023, 1, 10, 12, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    utc = datetime.datetime(2023, 1, 10, 17, tzinfo=datetime.timezone.utc)
    assert fimql.field("dateTime").gt(d).build() == fimql.field("dateTime").gt(utc).build()
    event = {"dateTime": "2023-01-10T16:30:00Z"}
    assert fimql.compile("dateTime>now-1h", now=d).matches(event)
    assert not fimql.compile("dateTime>now-10m", now=d).matches(event)


def test_long_chains_share_their_list_and_branches_stay_apart() -> None:
    f = fimql.field
    # A chain made in a loop, as scripts do: each step appends to the list the chain shares.
    c = f("a").eq("0")
    for i in range(1, 5000):
        c = c | f("a").eq(str(i))
    text = c.build()
    assert text.startswith("a:0 OR a:1 OR a:2 OR ") and text.endswith(" OR a:4999")
    assert text.count(" OR ") == 4999
    # Two conditions made from one by the same operator do not see each other's parts.
    base = f("x").eq("1") & f("y").eq("2")
    left = base & f("z").eq("3")
    right = base & f("w").eq("4")
    assert base.build() == "x:1 AND y:2"
    assert left.build() == "x:1 AND y:2 AND z:3"
    assert right.build() == "x:1 AND y:2 AND w:4"
    assert (left | right).build() == "(x:1 AND y:2 AND z:3) OR (x:1 AND y:2 AND w:4)"
    # A chain on the right is flattened as one on the left is.
    assert (f("v").eq("0") & base).build() == "v:0 AND x:1 AND y:2"
    # Every way of growing a chain in a loop gives the same filter (and each is linear).
    n = 5000
    terms = [f("a").eq(str(i)) for i in range(n)]
    appended, prepended, functional, branched = terms[0], terms[n - 1], terms[0], terms[0]
    for i in range(1, n):
        appended = appended | terms[i]
        prepended = terms[n - 1 - i] | prepended
        functional = fimql.or_(functional, terms[i])
        _other = branched | f("b").eq("x")
        branched = branched | terms[i]
    assert appended == prepended == functional == branched == fimql.or_(*terms)
    assert branched.build() == text


def test_conditions_copy_as_themselves() -> None:
    import copy

    c = fimql.field("a").eq("1") | fimql.field("b").eq("2")
    assert copy.copy(c) is c and copy.deepcopy(c) is c
    assert copy.deepcopy({"k": [c]})["k"][0] == c


def test_conditions_compare_and_hash_by_the_filter_they_make() -> None:
    f = fimql.field
    a = f("action").eq("Create") & f("severity").ge(4)
    b = fimql.and_(f("action").eq("Create"), f("severity").ge(4))
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != (f("severity").ge(4) & f("action").eq("Create"))
    assert a != ~a
    assert a != "action:Create AND severity>=4"
    assert (a == 1) is False


def test_a_datetime_out_of_range_in_utc_is_a_value_error() -> None:
    east = datetime.timezone(datetime.timedelta(hours=5))
    with pytest.raises(ValueError, match="out of the range of dates"):
        fimql.field("dateTime").ge(datetime.datetime(1, 1, 1, tzinfo=east))


def test_lone_surrogates_in_builder_values_are_filter_errors() -> None:
    # A str can hold half of a surrogate pair (as from bytes decoded with "surrogateescape"):
    # not a character, so it cannot be written in a filter. The builder says so, naming the
    # value, rather than raising the UnicodeEncodeError of converting it.
    f = fimql.field("file.name")
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: f.eq("ab\udcff"), "the value for `file.name` holds a lone surrogate (U+DCFF) at index 2"),
        (lambda: f.exact("\udcff"), "the value for `file.name` holds a lone surrogate (U+DCFF) at index 0"),
        (lambda: f.phrase("x\ud800"), "the value for `file.name` holds a lone surrogate (U+D800) at index 1"),
        (lambda: f.wildcard("*\udcff"), "the pattern for `file.name` holds a lone surrogate (U+DCFF) at index 1"),
        (lambda: f.any_of(["a", "\udcff"]), "item 1 of the values for `file.name` holds a lone surrogate"),
        (lambda: f.exact_any_of(("\udcff",)), "item 0 of the values for `file.name` holds a lone surrogate"),
        (lambda: f.range(None, "now\udcff"), "the high end for `file.name` holds a lone surrogate"),
        (lambda: f.range("\udcff", None), "the low end for `file.name` holds a lone surrogate"),
        (lambda: f.gt("\udcff"), "the value for `file.name` holds a lone surrogate"),
        (lambda: fimql.field("file.\udcff"), "the field name holds a lone surrogate (U+DCFF) at index 5"),
    ]
    for make, message in cases:
        with pytest.raises(fimql.FilterError) as info:
            make()
        err = info.value
        assert not isinstance(err, UnicodeError)
        [d] = err.diagnostics
        assert d.message.startswith(message), d.message
        assert d.message.endswith("which is not a character")
        assert d.code == "unexpected-token" and d.help and "surrogate" in d.help
        assert str(err) == f"error[unexpected-token]: {d.message}\n  = help: {d.help}"
    # The two halves of a pair are two code points in a str: each is alone.
    with pytest.raises(fimql.FilterError, match="U\\+D83D"):
        f.eq("\ud83d\ude00")
    assert f.eq("\U0001f600").build() == "file.name:\U0001f600"
    # quote is no builder: a ValueError naming the value, as for its other mistakes.
    with pytest.raises(ValueError) as quoted:
        fimql.quote("a\udcff")
    assert type(quoted.value) is ValueError
    assert str(quoted.value).startswith("quote: the value: a lone surrogate (U+DCFF) at index 1 is not a character")


def test_a_condition_that_cannot_be_written_prints_without_raising() -> None:
    c = fimql.field("action").eq("") | fimql.field("action").eq("x")
    assert str(c) == repr(c)
    assert f"{c}".startswith("Condition(")
    with pytest.raises(fimql.FilterError):
        c.build()
    ok = fimql.field("action").eq("Create")
    assert str(ok) == ok.build() == "action:Create"


def test_typed_dict_events_and_bodies_are_accepted() -> None:
    from typing import TypedDict

    class Data(TypedDict):
        action: str

    class Element(TypedDict):
        data: Data

    e: Element = {"data": {"action": "Create"}}
    assert fimql.compile("action:Create").matches(e)
    report = fimql.check_request({"filter": "action:Create"}, kind="event-search")
    assert report.valid
