"""Message text to safe HTML: CommonMark (markdown-it-py, raw HTML off, so nothing a person
types becomes markup), line breaks kept, bare http(s) links made clickable, ``@username``
mentions of members resolved to people, ``@all`` noted, and links to Taihe records (objects,
approvals, alerts, knowledge pages) collected so the reader sees them as cards.

markdown-it-py was chosen over Python-Markdown and mistune because it follows CommonMark
exactly, escapes raw HTML when ``html`` is off and refuses ``javascript:`` links by default,
which is the safety a chat needs without a separate sanitiser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from taihe.modules.messaging.cards import link_of

_MENTION = re.compile(r"@([A-Za-z0-9_.\-]{1,80}|all|所有人)")
_URL = re.compile(r"https?://[^\s<>\"'）)】。，；：！？、]+")
ALL_WORDS = ("all", "所有人")


@dataclass
class Rendered:
    html: str
    mentions: list[int] = field(default_factory=list)
    mentions_all: bool = False
    links: list[dict[str, str]] = field(default_factory=list)


def _mention_rule(state: StateInline, silent: bool) -> bool:
    position = state.pos
    if state.src[position] != "@":
        return False
    # "li@museum.org" is an address, not a mention
    before = state.src[position - 1] if position > 0 else " "
    if before.isascii() and (before.isalnum() or before == "_"):
        return False
    match = _MENTION.match(state.src, position)
    if match is None:
        return False
    word = match.group(1).rstrip(".-")
    candidates: Mapping[str, int] = state.env.get("candidates", {})
    is_all = word.lower() in ALL_WORDS
    person_id = candidates.get(word.lower())
    if not is_all and person_id is None:
        return False
    if not silent:
        token = state.push("mention", "", 0)
        token.meta = {"all": is_all, "person_id": person_id, "word": word}
        if is_all:
            state.env["mentions_all"] = True
        else:
            found = state.env.setdefault("mentions", [])
            if person_id not in found:
                found.append(person_id)
    state.pos = position + 1 + len(word)
    return True


def _bare_urls(state: StateCore) -> None:
    """Turn bare http(s) addresses in text into links (what linkify does, without the
    extra dependency), outside existing links and code."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children, inside_link = [], 0
        for token in block.children:
            if token.type == "link_open":
                inside_link += 1
            elif token.type == "link_close":
                inside_link -= 1
            if token.type != "text" or inside_link or "http" not in token.content:
                children.append(token)
                continue
            children.extend(_split_urls(state, token))
        block.children = children


def _split_urls(state: StateCore, token: Token) -> list[Token]:
    found, rest, last = [], token.content, 0
    for match in _URL.finditer(rest):
        if match.start() > 0 and rest[match.start() - 1].isascii() \
                and rest[match.start() - 1].isalnum():
            continue
        url = match.group(0).rstrip(".,;:!?。，；：！？")
        full = state.md.normalizeLink(url)
        if not state.md.validateLink(full):
            continue
        if match.start() > last:
            found.append(_text(rest[last:match.start()]))
        opening = Token("link_open", "a", 1)
        opening.attrs = {"href": full}
        opening.markup, opening.info = "autolink", "auto"
        found.append(opening)
        found.append(_text(state.md.normalizeLinkText(url)))
        closing = Token("link_close", "a", -1)
        closing.markup, closing.info = "autolink", "auto"
        found.append(closing)
        last = match.start() + len(url)
    if not found:
        return [token]
    if last < len(rest):
        found.append(_text(rest[last:]))
    return found


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _render_mention(self: Any, tokens: Any, index: int, options: Any, env: Any) -> str:
    meta = tokens[index].meta
    escaped = self.escapeHtml if hasattr(self, "escapeHtml") else _escape
    if meta["all"]:
        return f'<span class="mention mention-all">@{escaped(meta["word"])}</span>'
    return (f'<span class="mention" data-person-id="{int(meta["person_id"])}">'
            f'@{escaped(meta["word"])}</span>')


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "typographer": False})
    md.disable(["image"])  # pictures are sent as attachments, never fetched from a URL
    md.inline.ruler.before("emphasis", "mention", _mention_rule)
    md.core.ruler.after("inline", "bare_urls", _bare_urls)
    md.add_render_rule("mention", _render_mention)
    default_link_open = getattr(md.renderer, "rules", {}).get("link_open")

    def link_open(self: Any, tokens: Any, index: int, options: Any, env: Any) -> str:
        token = tokens[index]
        token.attrSet("rel", "noopener noreferrer")
        token.attrSet("target", "_blank")
        if default_link_open is not None:
            return str(default_link_open(tokens, index, options, env))
        return str(self.renderToken(tokens, index, options, env))

    md.add_render_rule("link_open", link_open)
    return md


_MD = _parser()


def render(text: str, candidates: Mapping[str, int]) -> Rendered:
    """Render ``text``; ``candidates`` maps the lower-case usernames that may be mentioned
    (the conversation's members) to person ids."""
    env: dict[str, Any] = {"candidates": candidates}
    tokens = _MD.parse(text, env)
    links: list[dict[str, str]] = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "link_open":
                found = link_of(str(child.attrGet("href") or ""))
                if found is not None and found not in links:
                    links.append(found)
    html = _MD.renderer.render(tokens, _MD.options, env)
    return Rendered(html=html.strip(), mentions=list(env.get("mentions", [])),
                    mentions_all=bool(env.get("mentions_all")), links=links[:10])
