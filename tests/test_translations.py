"""The Simplified Chinese catalogue: complete, not fuzzy, placeholders intact, compiled, and in
step with the strings the code marks for translation.

The catalogue is ``src/taihe/locale/zh_Hans/LC_MESSAGES/django.po`` and its compiled
``django.mo`` (committed, so installing Taihe needs no gettext). After changing a marked
string, run ``make messages`` (makemessages + compilemessages) and translate what is new.
"""

from __future__ import annotations

import ast
import gettext as pygettext
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.utils.translation import gettext, ngettext, override
from django.utils.translation.template import templatize

import taihe

PACKAGE_DIR = Path(taihe.__file__).resolve().parent
MESSAGES_DIR = PACKAGE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = MESSAGES_DIR / "django.po"
MO_FILE = MESSAGES_DIR / "django.mo"
# The JavaScript catalogue (served by /jsi18n/) for scripts that build their own text.
JS_PO_FILE = MESSAGES_DIR / "djangojs.po"
JS_MO_FILE = MESSAGES_DIR / "djangojs.mo"
CATALOGUES = {"django": (PO_FILE, MO_FILE, 400), "djangojs": (JS_PO_FILE, JS_MO_FILE, 100)}
# Kept out of the catalogue on purpose (as in the makemessages call): the conservation
# science library is a pure-Python library with no user-facing text.
IGNORED_DIRS = (PACKAGE_DIR / "modules" / "conservation" / "science",)


# --- A small .po reader (the standard library has none; polib is not a dependency) ----------

@dataclass
class Entry:
    msgid: str
    line: int
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


_PO_STRING = re.compile(r'^"(.*)"$')
_PO_KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[(\d+)\])?)\s+"(.*)"$')


def _unescape(text: str) -> str:
    replacements = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: replacements.get(m.group(1), "\\" + m.group(1)), text)


def read_po(path: Path) -> tuple[Entry, list[Entry]]:
    """The header entry and the message entries of a .po file."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current, flags, target
        if current is not None:
            entries.append(current)
        current, flags, target = None, set(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            if current is None or not current.obsolete:
                finish()
                current = Entry(msgid="", line=number, obsolete=True)
            continue
        if line.startswith("#,"):
            if current is not None and target is not None:
                finish()
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            if current is not None and target is not None:
                finish()
            continue
        keyword = _PO_KEYWORD.match(line)
        if keyword:
            name, index, value = keyword.group(1), keyword.group(2), _unescape(keyword.group(3))
            if name in ("msgctxt", "msgid") and current is not None and target is not None \
                    and target[0] == "msgstr":
                finish()
            if current is None:
                current = Entry(msgid="", line=number, flags=flags)
            if name == "msgctxt":
                current.msgctxt, target = value, ("msgctxt", 0)
            elif name == "msgid":
                current.msgid, target = value, ("msgid", 0)
            elif name == "msgid_plural":
                current.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else 0
                current.msgstr[slot], target = value, ("msgstr", slot)
            continue
        continued = _PO_STRING.match(line)
        assert continued and current is not None and target is not None, \
            f"{path.name}:{number}: cannot read {raw!r}"
        value = _unescape(continued.group(1))
        if target[0] == "msgstr":
            current.msgstr[target[1]] += value
        else:
            setattr(current, target[0], getattr(current, target[0]) + value)
    finish()
    headers = [e for e in entries if e.msgid == "" and e.msgctxt is None and not e.obsolete]
    assert len(headers) == 1, "the catalogue needs exactly one header entry"
    return headers[0], [e for e in entries if e is not headers[0]]


@pytest.fixture(scope="module")
def catalogue() -> tuple[Entry, list[Entry]]:
    return read_po(PO_FILE)


@pytest.fixture(scope="module", params=sorted(CATALOGUES))
def any_catalogue(request: Any) -> tuple[str, Entry, list[Entry]]:
    """Each shipped catalogue: the checks of (a), (b) and the compiled file hold for both."""
    header, entries = read_po(CATALOGUES[request.param][0])
    return request.param, header, entries


# --- (a) complete and final ---------------------------------------------------------------------

def test_header_declares_chinese_with_one_plural_form(
        any_catalogue: tuple[str, Entry, list[Entry]]) -> None:
    _, header, _ = any_catalogue
    text = header.msgstr[0]
    assert "fuzzy" not in header.flags, "a fuzzy header is skipped by msgfmt, plural rule included"
    assert "Language: zh_Hans\n" in text
    assert "Content-Type: text/plain; charset=UTF-8\n" in text
    assert "Plural-Forms: nplurals=1; plural=0;\n" in text


def test_every_message_is_translated_and_final(
        any_catalogue: tuple[str, Entry, list[Entry]]) -> None:
    name, _, entries = any_catalogue
    assert len(entries) > CATALOGUES[name][2]
    problems = []
    for entry in entries:
        where = f"{name}.po:{entry.line} {entry.msgid[:60]!r}"
        if entry.obsolete:
            problems.append(f"{where}: obsolete entry (run makemessages --no-obsolete)")
        if "fuzzy" in entry.flags:
            problems.append(f"{where}: fuzzy")
        slots = [0]  # Chinese has one form, plural entries included
        if sorted(entry.msgstr) != slots:
            problems.append(f"{where}: msgstr forms {sorted(entry.msgstr)}, expected {slots}")
        if any(not entry.msgstr.get(slot, "").strip() for slot in slots):
            problems.append(f"{where}: not translated")
    assert not problems, "\n".join(problems)


def test_no_message_appears_twice(any_catalogue: tuple[str, Entry, list[Entry]]) -> None:
    _, _, entries = any_catalogue
    keys = [entry.key for entry in entries]
    assert len(keys) == len(set(keys))


# --- (b) placeholders survive translation -------------------------------------------------------

_PLACEHOLDER = re.compile(
    r"%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[sdifgeExXr]"  # %(name)s, %(minutes)d
    r"|%[-#0 +]*\d*(?:\.\d+)?[sdifgeExXr]"                  # %s, %d
    r"|\{[A-Za-z_0-9]*(?:![rsa])?(?::[^{}]*)?\}"            # {0}, {name}, {name:>3}
    r"|</?[A-Za-z][^<>]*>"                                    # HTML tags
)


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text.replace("%%", "")))


def test_placeholders_match(any_catalogue: tuple[str, Entry, list[Entry]]) -> None:
    name, _, entries = any_catalogue
    problems = []
    for entry in entries:
        expected = placeholders(entry.msgid)
        if entry.msgid_plural is not None:
            # The one Chinese form stands for the plural, which may name more than the singular.
            expected = placeholders(entry.msgid_plural)
        for slot, text in entry.msgstr.items():
            found = placeholders(text)
            if found != expected:
                problems.append(f"{name}.po:{entry.line} {entry.msgid[:50]!r} msgstr[{slot}]: "
                                f"{found} != {expected}")
    assert not problems, "\n".join(problems)


def test_placeholder_pattern_sees_every_kind() -> None:
    assert placeholders("%(name)s has %(n)d of %s, {0} and {name} in <strong>bold</strong>") \
        == sorted(["%(name)s", "%(n)d", "%s", "{0}", "{name}", "<strong>", "</strong>"])
    assert placeholders("100%% sure") == []


# --- The compiled catalogue is the current one -----------------------------------------------

def test_compiled_catalogue_matches_the_po(
        any_catalogue: tuple[str, Entry, list[Entry]]) -> None:
    name, _, entries = any_catalogue
    mo_file = CATALOGUES[name][1]
    assert mo_file.exists(), "run `django-admin compilemessages` in src/taihe"
    with mo_file.open("rb") as handle:
        compiled = pygettext.GNUTranslations(handle)
    stale = []
    for entry in entries:
        context, want = entry.msgctxt, entry.msgstr[0]
        if entry.msgid_plural is None:
            got = (compiled.gettext(entry.msgid) if context is None
                   else compiled.pgettext(context, entry.msgid))
        elif context is None:
            got = compiled.ngettext(entry.msgid, entry.msgid_plural, 2)
        else:
            got = compiled.npgettext(context, entry.msgid, entry.msgid_plural, 2)
        if got != want:
            stale.append(f"{entry.msgid[:60]!r}: .mo has {got[:40]!r}, .po has {want[:40]!r}")
    assert not stale, f"{name}.mo is out of date; run compilemessages:\n" + "\n".join(stale)


# --- (c) Django serves the translations ----------------------------------------------------------

@pytest.mark.parametrize(("english", "chinese"), [
    ("Workbench", "工作台"),
    ("Directory", "通讯录"),
    ("Notifications", "通知"),
    ("Departments", "部门"),
    ("Roles and access", "角色与权限"),
    ("API tokens", "API 令牌"),
    ("Audit log", "审计日志"),
    ("Two-factor sign-in", "两步验证"),
    ("Staff", "职工"),
    ("Contractor", "合同工"),
    ("Volunteer", "志愿者"),
    ("External", "外部人员"),
    ("Sign in", "登录"),
    ("Sign out", "退出登录"),
    ("Employee number", "工号"),
    ("Taihe", "太和"),
])
def test_key_strings_in_chinese(english: str, chinese: str) -> None:
    with override("zh-hans"):
        assert gettext(english) == chinese
    with override("en"):
        assert gettext(english) == english


def test_placeholders_and_plurals_in_chinese() -> None:
    with override("zh-hans"):
        assert gettext("Good morning, %(name)s") % {"name": "张三"} == "早上好，张三"
        for count in (1, 5):
            text = ngettext("%(counter)s person", "%(counter)s people", count)
            assert text % {"counter": count} == f"{count} 人"


@pytest.mark.django_db
def test_workbench_page_in_chinese(client_for: Any, member: Any) -> None:
    member.language = "zh-hans"
    member.save(update_fields=["language"])
    body = client_for(member).get("/").content.decode()
    assert '<html lang="zh-hans">' in body
    assert "<title>工作台 · 太和</title>" in body
    assert "工作台</a>" in body  # the side navigation
    assert "通讯录" in body  # the directory app, in the navigation and as a tile
    assert "Workbench" not in body and "Directory" not in body


# --- (d) The catalogue covers what the code marks, and nothing else ---------------------------

_PY_KEYWORDS = {  # function name -> (context argument, msgid argument, plural argument)
    "_": (None, 0, None), "gettext": (None, 0, None), "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None), "ngettext": (None, 0, 1), "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None), "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2), "npgettext_lazy": (0, 1, 2),
}
_TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
                            r"\s*,?)+)")
_LITERAL = re.compile(r"u?('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def _ignored(path: Path) -> bool:
    return any(path.is_relative_to(directory) for directory in IGNORED_DIRS)


def _python_messages(path: Path) -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in _PY_KEYWORDS:
            continue
        context_at, msgid_at, _plural_at = _PY_KEYWORDS[name]
        args = node.args
        if len(args) <= msgid_at or not isinstance(args[msgid_at], ast.Constant) \
                or not isinstance(args[msgid_at].value, str):
            continue  # xgettext skips non-literals too
        context = None
        if context_at is not None:
            argument = args[context_at]
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                continue
            context = argument.value
        found.add((context, args[msgid_at].value))
    return found


def _template_messages(path: Path) -> set[tuple[str | None, str]]:
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found: set[tuple[str | None, str]] = set()
    for call in _TEMPLATE_CALL.finditer(code):
        literals = [ast.literal_eval(m.group(1)) for m in _LITERAL.finditer(call.group(2))]
        if call.group(1).startswith(("pgettext", "npgettext")):
            found.add((literals[0], literals[1]))
        else:
            found.add((None, literals[0]))
    return found


def marked_messages() -> set[tuple[str | None, str]]:
    """What ``makemessages -e html,txt,py`` would collect, without running xgettext."""
    found: set[tuple[str | None, str]] = set()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if not path.is_file() or _ignored(path) or "__pycache__" in path.parts:
            continue
        if path.suffix == ".py":
            found |= _python_messages(path)
        elif path.suffix in (".html", ".txt"):
            found |= _template_messages(path)
    found.discard((None, ""))
    return found


def test_extractor_reads_templates_and_python(tmp_path: Path) -> None:
    template = tmp_path / "t.html"
    template.write_text("{% load i18n %}{% translate 'say \"hi\"' %}{% translate \"it's\" %}"
                        "{% blocktranslate count counter=n %}{{ counter }} c{% plural %}"
                        "{{ counter }} cs{% endblocktranslate %}{% translate 'd' context 'e' %}",
                        encoding="utf-8")
    assert _template_messages(template) == {(None, 'say "hi"'), (None, "it's"),
                                            (None, "%(counter)s c"), ("e", "d")}
    module = tmp_path / "m.py"
    module.write_text('_("x"), gettext_lazy("y" "z"), pgettext("c", "w"), _(f"no"), _(name)\n',
                      encoding="utf-8")
    assert _python_messages(module) == {(None, "x"), (None, "yz"), ("c", "w")}


def test_catalogue_is_in_step_with_the_code(catalogue: tuple[Entry, list[Entry]]) -> None:
    _, entries = catalogue
    in_catalogue = {entry.key for entry in entries}
    in_code = marked_messages()
    missing = sorted(in_code - in_catalogue, key=str)
    stale = sorted(in_catalogue - in_code, key=str)
    hint = "run `make messages` (makemessages + compilemessages), then translate what is new"
    assert not missing, f"marked in the code but not in django.po ({hint}):\n" + \
        "\n".join(repr(m) for m in missing)
    assert not stale, f"in django.po but no longer in the code ({hint}):\n" + \
        "\n".join(repr(m) for m in stale)


_JS_CALL = re.compile(
    r"""\b(gettext|ngettext|pgettext)\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def script_messages() -> set[str]:
    """What ``makemessages -d djangojs`` collects from our scripts (vendored ones aside)."""
    found: set[str] = set()
    for path in sorted(PACKAGE_DIR.rglob("*.js")):
        if "vendor" in path.parts:
            continue
        for match in _JS_CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(ast.literal_eval(match.group(2)))
    return found


def test_script_catalogue_is_in_step_with_the_scripts() -> None:
    _, entries = read_po(JS_PO_FILE)
    in_catalogue = {entry.msgid for entry in entries}
    in_code = script_messages()
    assert in_code, "the extractor found no gettext call in the scripts"
    assert sorted(in_code - in_catalogue) == [], "run `make messages` and translate"
    assert sorted(in_catalogue - in_code) == [], "run `make messages` (stale entries)"
