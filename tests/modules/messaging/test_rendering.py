"""Message text to HTML: nothing typed becomes markup, mentions resolve to members only,
bare links are linked without the punctuation around them, record links become cards."""

from __future__ import annotations

from typing import Any

import pytest

from taihe.modules.messaging import cards
from taihe.modules.messaging.rendering import render

PEOPLE = {"zhang": 2, "li.wei": 3}
LINK = 'rel="noopener noreferrer" target="_blank"'


def _html(text: str) -> str:
    return render(text, PEOPLE).html


def _link(url: str, text: str | None = None) -> str:
    return f'<a href="{url}" {LINK}>{text or url}</a>'


@pytest.fixture
def card_kinds(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Only a test kind of card is registered."""
    kinds: dict[str, Any] = {}
    monkeypatch.setattr(cards, "_KINDS", kinds)
    cards.register_card("test.object", r"/catalog/objects/(\d+)/",
                        lambda actor, ref: {"title": f"Object {ref}"} if ref != "13" else None)
    return kinds


# ---------------------------------------------------------------- safety

@pytest.mark.parametrize(("text", "html"), [
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
    ('<a href="https://evil.example" onclick="x()">x</a>',
     f'<p>&lt;a href=&quot;{_link("https://evil.example")}&quot; onclick=&quot;x()&quot;&gt;'
     "x&lt;/a&gt;</p>"),
    ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
    ("[x](JavaScript:alert(1))", "<p>[x](JavaScript:alert(1))</p>"),
    ("[x](data:text/html,hi)", "<p>[x](data:text/html,hi)</p>"),
    ("<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>"),
    ("javascript:alert(1)", "<p>javascript:alert(1)</p>"),
    # pictures are never fetched from a URL: the image syntax is a plain link
    ("![pic](https://tracker.example/p.png)",
     f'<p>!{_link("https://tracker.example/p.png", "pic")}</p>'),
])
def test_raw_html_and_dangerous_links_stay_text(text: str, html: str) -> None:
    assert _html(text) == html


def test_quotes_cannot_break_out_of_attributes() -> None:
    assert _html('[a"b](https://e.example/"onmouseover="x)') == (
        f'<p>{_link("https://e.example/%22onmouseover=%22x", "a&quot;b")}</p>')
    assert _html('https://e.example/a"onmouseover="x') == (
        f'<p>{_link("https://e.example/a")}&quot;onmouseover=&quot;x</p>')


def test_markdown_and_line_breaks_render() -> None:
    assert _html("**bold** and `code`\nnext line") == (
        "<p><strong>bold</strong> and <code>code</code><br />\nnext line</p>")


# ---------------------------------------------------------------- mentions

def test_a_member_mention_becomes_a_person() -> None:
    rendered = render("@zhang and @Li.Wei, look", PEOPLE)
    assert rendered.html == (
        '<p><span class="mention" data-person-id="2">@zhang</span> and '
        '<span class="mention" data-person-id="3">@Li.Wei</span>, look</p>')
    assert (rendered.mentions, rendered.mentions_all) == ([2, 3], False)


def test_repeated_mentions_name_a_person_once() -> None:
    assert render("@zhang @zhang @ZHANG", PEOPLE).mentions == [2]


@pytest.mark.parametrize("text", [
    "@wang hello",          # not a member
    "zhang@zhang.example",  # an address
    "write to li_@zhang",   # an address again
    "`@zhang`",             # code
    "```\n@zhang\n```",     # a code block
    "mail@all",             # not @all
])
def test_what_is_not_a_mention_stays_text(text: str) -> None:
    rendered = render(text, PEOPLE)
    assert (rendered.mentions, rendered.mentions_all) == ([], False)
    assert "mention" not in rendered.html


def test_trailing_punctuation_is_not_part_of_a_name() -> None:
    rendered = render("Thanks @li.wei. And (@zhang)!", PEOPLE)
    assert rendered.html == (
        '<p>Thanks <span class="mention" data-person-id="3">@li.wei</span>. And '
        '(<span class="mention" data-person-id="2">@zhang</span>)!</p>')


@pytest.mark.parametrize("text", ["@all meeting", "@所有人 开会", "Team: @ALL"])
def test_at_all_is_noted(text: str) -> None:
    rendered = render(text, PEOPLE)
    assert (rendered.mentions, rendered.mentions_all) == ([], True)
    assert '<span class="mention mention-all">@' in rendered.html


def test_a_mention_right_after_chinese_text_is_a_mention() -> None:
    rendered = render("请@zhang 看一下，@所有人 注意", PEOPLE)
    assert (rendered.mentions, rendered.mentions_all) == ([2], True)
    assert rendered.html == (
        '<p>请<span class="mention" data-person-id="2">@zhang</span> 看一下，'
        '<span class="mention mention-all">@所有人</span> 注意</p>')


# ---------------------------------------------------------------- bare links

@pytest.mark.parametrize(("text", "html"), [
    ("see https://example.com/x.", f'<p>see {_link("https://example.com/x")}.</p>'),
    ("https://example.com/x, then", f'<p>{_link("https://example.com/x")}, then</p>'),
    ("https://example.com/x?!", f'<p>{_link("https://example.com/x")}?!</p>'),
    ("(https://example.com/x)", f'<p>({_link("https://example.com/x")})</p>'),
    ("（https://example.com/x）", f'<p>（{_link("https://example.com/x")}）</p>'),
    ("【https://example.com/x】", f'<p>【{_link("https://example.com/x")}】</p>'),
    ("见 https://example.com/x。", f'<p>见 {_link("https://example.com/x")}。</p>'),
    ("见 https://example.com/x，", f'<p>见 {_link("https://example.com/x")}，</p>'),
    ("https://example.com/?q=1&b=2",
     f'<p>{_link("https://example.com/?q=1&amp;b=2")}</p>'),
    ("https://例子.测试/路径",
     f'<p>{_link("https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84", "https://例子.测试/路径")}'
     "</p>"),
])
def test_bare_links_are_linked_without_surrounding_punctuation(text: str, html: str) -> None:
    assert _html(text) == html


@pytest.mark.parametrize("text", ["`https://example.com`", "ftp://example.com",
                                  "www.example.com", "xhttps://example.com"])
def test_what_is_not_a_bare_link_stays_text(text: str) -> None:
    assert "<a " not in _html(text)


def test_a_bare_link_inside_a_written_link_is_not_linked_twice() -> None:
    assert _html("[https://a.example](https://b.example)") == (
        f'<p>{_link("https://b.example", "https://a.example")}</p>')


def test_chinese_punctuation_inside_a_sentence_ends_a_bare_link() -> None:
    assert _html("见 https://example.com/x。好的") == (
        f'<p>见 {_link("https://example.com/x")}。好的</p>')
    assert _html("https://example.com/x，谢谢") == (
        f'<p>{_link("https://example.com/x")}，谢谢</p>')


def test_a_bare_link_right_after_chinese_text_is_linked() -> None:
    assert _html("详见https://example.com/x") == (
        f'<p>详见{_link("https://example.com/x")}</p>')


# ---------------------------------------------------------------- record links

def test_links_to_records_are_collected_once_each(card_kinds: dict[str, Any]) -> None:
    rendered = render(
        "[the scroll](/catalog/objects/12/) and https://taihe.example/catalog/objects/12/ "
        "and https://other.example/catalog/objects/13/?tab=1#top\n\n"
        "> https://taihe.example/catalog/objects/14/\n\n- [x](/catalog/objects/15/)", PEOPLE)
    assert rendered.links == [{"kind": "test.object", "ref": ref}
                              for ref in ("12", "13", "14", "15")]


def test_code_and_other_paths_are_not_record_links(card_kinds: dict[str, Any]) -> None:
    rendered = render("`/catalog/objects/5/` [x](/catalog/objects/6/extra) "
                      "https://e.example/catalog/objects/x/", PEOPLE)
    assert rendered.links == []


def test_at_most_ten_record_links_are_kept(card_kinds: dict[str, Any]) -> None:
    text = " ".join(f"https://t.example/catalog/objects/{n}/" for n in range(12))
    assert [link["ref"] for link in render(text, PEOPLE).links] == [str(n) for n in range(10)]


def test_cards_are_resolved_per_reader_and_hidden_when_refused(
        card_kinds: dict[str, Any]) -> None:
    def broken(actor: Any, ref: str) -> dict[str, Any]:
        raise RuntimeError("module down")

    cards.register_card("test.broken", r"/broken/(\d+)/", broken)
    found = cards.cards_for(None, [{"kind": "test.object", "ref": "12"},
                                   {"kind": "test.object", "ref": "13"},
                                   {"kind": "test.broken", "ref": "1"},
                                   {"kind": "gone.kind", "ref": "1"}])
    assert found == [
        {"kind": "test.object", "ref": "12", "hidden": False, "title": "Object 12"},
        {"kind": "test.object", "ref": "13", "hidden": True},
        {"kind": "test.broken", "ref": "1", "hidden": True}]
    assert cards.link_of("http://[::1") is None
