"""Read free-text medium and material descriptions into rule-base materials.

Rule-based: the vocabulary is every name and synonym in the rule base plus the small table of
collection phrases below. English text is split into words that are folded (case, accents,
British/American spelling, plurals) and matched longest phrase first; Chinese text is matched
longest term first over runs of Han characters, with the cataloguing conventions X本 (support),
X胎 (body), 设色 / 水墨 / 墨笔 (media) handled explicitly.

Confidence (fixed values, so that a threshold means the same thing everywhere):

- 0.95 ``exact``: a rule-base name or synonym, written as the rule base writes it
  (case aside);
- 0.85 ``normalized``: the same term after folding accents, spelling or plural;
- 0.75 ``convention``: a cataloguing convention (绢本 → silk support, 木胎 → wood body, a
  collection phrase such as "ink and color on silk");
- 0.6 ``inferred``: a material implied rather than named (设色 → mineral pigments and ink,
  青花 → porcelain, "painted" → pigments) or a single Han character;
- 0.5 ``fuzzy``: a misspelt English word within a small edit distance of a term.

Compound decision: "gilt bronze" (鎏金) is one rule-base material, ``gilt_bronze``, whose
sensitivities already combine bronze disease and gilding; it is not also reported as
``bronze`` and ``gold``. "Silver gilt" is reported as ``silver`` (its first word) and ``gold``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .knowledge import RuleBase, load_rule_base

EXACT = 0.95
NORMALIZED = 0.85
CONVENTION = 0.75
INFERRED = 0.6
FUZZY = 0.5

# British → American spellings folded before matching (both spellings then match).
SPELLING = {
    "colour": "color",
    "colours": "colors",
    "coloured": "colored",
    "watercolour": "watercolor",
    "watercolours": "watercolors",
    "bodycolour": "bodycolor",
    "aluminium": "aluminum",
    "grey": "gray",
    "mould": "mold",
    "moulded": "molded",
    "enamelled": "enameled",
    "woollen": "woolen",
    "vulcanised": "vulcanized",
    "galvanised": "galvanized",
    "fibreglass": "fiberglass",
    "jewellery": "jewelry",
}
# Irregular plurals; regular ones are folded by _singular.
IRREGULAR = {"leaves": "leaf", "knives": "knife", "glasses": "glass", "brasses": "brass"}
KEEP_S = {"glass", "brass", "canvas", "papyrus", "gneiss", "moss", "grass", "cross", "gauss", "gas"}

# Printmaking processes: a print is ink on paper unless the medium line names another support.
PRINT_TECHNIQUES = (
    "woodcut",
    "woodblock",
    "woodblock print",
    "wood engraving",
    "etching",
    "engraving",
    "lithograph",
    "offset lithograph",
    "transfer lithograph",
    "screenprint",
    "photoscreenprint",
    "linocut",
    "aquatint",
    "drypoint",
    "mezzotint",
    "photogravure",
    "intaglio",
    "letterpress",
)
# A colour word after a number counts printing colours ("Screenprint, 7 colors"), not pigments.
COLOUR_COUNT = re.compile(
    r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen)\s+$",
    re.IGNORECASE,
)
GENERIC_COLOUR = {"color", "colors"}
# Traditional -> simplified characters that occur in material descriptions (NPM Taipei and
# Hong Kong catalogues write Traditional Chinese); folding keeps one vocabulary for both.
TRADITIONAL = str.maketrans(
    "畫琺瑯紅樂絲緙緞繡綾絹紙設銅鐵銀錫鉛鋅鍍錯黃藍綠寶蓋爐鈕連盤窯筆軸冊紋龍鳳鸞樓閣鐘錶蓮壺"
    "鈿貝殼點瑪蠟標織錦紗羅闐雲書於圖縱橫繪質膠漿製髹嵌彫鎏琉璃磚壇燒銹鏽螺獸檯紬邊蘆葫禮",
    "画珐琅红乐丝缂缎绣绫绢纸设铜铁银锡铅锌镀错黄蓝绿宝盖炉钮连盘窑笔轴册纹龙凤鸾楼阁钟表莲壶"
    "钿贝壳点玛蜡标织锦纱罗阗云书于图纵横绘质胶浆制髹嵌雕鎏琉璃砖坛烧锈锈螺兽台䌷边芦葫礼",
)
# Colour names built on pigment names (石青色 "stone blue") are colours, not pigments.
PIGMENT_KEYS = {"mineral_pigments", "lake_pigments"}
CERAMIC_BODIES = {"porcelain", "stoneware", "earthenware"}
SPECIFIC_PAPERS = {"xuan_paper", "papyrus", "parchment"}
LANGUAGE_CODES = (None, "en", "zh-hans", "zh-hant")

# Collection phrases that are not material names: (phrase, material keys, confidence).
ENGLISH_PHRASES: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("ink and color", ("ink", "mineral_pigments"), CONVENTION),
    ("ink and colors", ("ink", "mineral_pigments"), CONVENTION),
    ("ink and light color", ("ink", "mineral_pigments"), CONVENTION),
    ("ink color and gold", ("ink", "mineral_pigments", "gold"), CONVENTION),
    *((technique, ("ink", "paper"), INFERRED) for technique in PRINT_TECHNIQUES),
    *((f"color {technique}", ("ink", "paper"), INFERRED) for technique in PRINT_TECHNIQUES),
    # Underglaze decoration is sealed under the glaze and adds no separate sensitivity.
    ("underglaze blue", (), CONVENTION),
    ("underglaze", (), CONVENTION),
    ("lead glaze", (), CONVENTION),
    ("lead glazed", (), CONVENTION),
    ("overglaze enamels", ("mineral_pigments",), CONVENTION),
    ("overglaze enamel", ("mineral_pigments",), CONVENTION),
    ("polychrome glaze", ("mineral_pigments",), CONVENTION),
    ("polychrome", ("mineral_pigments",), INFERRED),
    ("polychromy", ("mineral_pigments",), INFERRED),
    ("pigment", ("mineral_pigments",), INFERRED),
    ("pigments", ("mineral_pigments",), INFERRED),
    ("color", ("mineral_pigments",), INFERRED),
    ("colors", ("mineral_pigments",), INFERRED),
    ("paint", ("mineral_pigments",), INFERRED),
    ("painted", ("mineral_pigments",), INFERRED),
    ("pen", ("ink",), INFERRED),
    # Museums write "Clay" for fired pottery; unfired clay is named as such ("unfired clay").
    ("clay", ("earthenware",), INFERRED),
    ("gold leaf", ("gold",), EXACT),
    ("silver gilt", ("silver", "gold"), CONVENTION),
    ("parcel gilt", ("gold",), CONVENTION),
    ("lacquered", ("lacquer",), NORMALIZED),
    ("cloisonne enamel", ("enamel",), EXACT),
    ("hanging scroll", (), CONVENTION),
    ("handscroll", (), CONVENTION),
    ("album leaf", (), CONVENTION),
)
# Chinese terms that imply materials (cataloguing conventions, wares and techniques).
CHINESE_PHRASES: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("设色", ("mineral_pigments", "carbon_ink"), INFERRED),
    ("洋彩", ("porcelain", "mineral_pigments"), INFERRED),
    ("淡设色", ("mineral_pigments", "carbon_ink"), INFERRED),
    ("着色", ("mineral_pigments",), INFERRED),
    ("青花", ("porcelain",), INFERRED),
    ("粉彩", ("porcelain", "mineral_pigments"), INFERRED),
    ("五彩", ("porcelain", "mineral_pigments"), INFERRED),
    ("斗彩", ("porcelain", "mineral_pigments"), INFERRED),
    ("珐琅彩", ("porcelain", "mineral_pigments"), INFERRED),
    ("金笺", ("paper", "gold"), CONVENTION),
    ("洒金笺", ("paper", "gold"), CONVENTION),
    ("蜡笺", ("paper", "wax"), CONVENTION),
    ("笺", ("paper",), CONVENTION),
    ("泥金", ("gold",), CONVENTION),
    ("金银", ("gold", "silver"), CONVENTION),
    ("髹漆", ("lacquer",), CONVENTION),
    ("髹", ("lacquer",), INFERRED),
    ("釉", (), INFERRED),
)
# X本 (support) and X胎 (body): the character before 本/胎 names the material.
CHINESE_SUPPORT = {
    "纸": "paper",
    "绢": "silk",
    "绫": "silk",
    "缎": "silk",
    "布": "cotton",
    "麻": "linen",
    "金": "gold",
    "木": "wood",
    "竹": "bamboo",
}
CHINESE_BODY = {
    "木": "wood",
    "铜": "bronze",
    "银": "silver",
    "金": "gold",
    "瓷": "porcelain",
    "磁": "porcelain",
    "陶": "earthenware",
    "竹": "bamboo",
    "皮": "leather",
    "夹纻": "lacquer",
    "脱": "lacquer",
    "锡": "tin",
    "铁": "iron",
    "纸": "paper",
    "布": "linen",
}

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
COLOUR_FOLLOWERS = {"paper", "wove", "laid", "japanese", "japan", "card", "board", "silk"}
SUPPORT_WORDS = {"on", "over", "mounted", "laid", "backed"}
CLAUSE_BREAK = re.compile(r"[;,.()\[\]:/]")


@dataclass(frozen=True)
class MaterialMatch:
    """One material read from a text: its rule-base key, confidence 0-1, where it was read
    (``start``/``end`` into the original text and the ``matched`` substring), how it was read
    (``method``: exact, normalized, convention, inferred, fuzzy) and its ``role`` (``support``
    for the ground or body it is on or in, ``material`` otherwise)."""

    key: str
    confidence: float
    start: int
    end: int
    matched: str
    method: str
    role: str


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _singular(word: str) -> str:
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word in KEEP_S or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def fold_word(word: str) -> str:
    """A word folded for matching: lower case, no accents, American spelling, singular."""
    lowered = _strip_accents(word).casefold().replace("’", "'")
    lowered = SPELLING.get(lowered, lowered)
    return _singular(lowered)


def _fold_phrase(phrase: str) -> tuple[str, ...]:
    return tuple(fold_word(match.group()) for match in WORD.finditer(phrase.replace("-", " ")))


@dataclass(frozen=True)
class _Entry:
    keys: tuple[str, ...]
    confidence: float
    surface: str


class _Vocabulary:
    def __init__(self, rule_base: RuleBase) -> None:
        self.english: dict[tuple[str, ...], _Entry] = {}
        self.chinese: dict[str, _Entry] = {}
        self.exact_english: dict[str, tuple[str, ...]] = {}
        for material in rule_base.materials:
            for term in material.terms("en"):
                self._add_english(term, (material.key,), EXACT)
            for term in material.terms("zh-hans"):
                confidence = INFERRED if len(term) == 1 else EXACT
                self.chinese.setdefault(term, _Entry((material.key,), confidence, term))
        known = set(rule_base.material_keys)
        for phrase, keys, confidence in ENGLISH_PHRASES:
            if set(keys) <= known:
                self._add_english(phrase, keys, confidence, replace=True)
        for phrase, keys, confidence in CHINESE_PHRASES:
            if set(keys) <= known:
                self.chinese[phrase] = _Entry(keys, confidence, phrase)
        self.longest_english = max(len(phrase) for phrase in self.english)
        self.longest_chinese = max(len(term) for term in self.chinese)
        # Only material names are fuzzy targets: generic words ("painted", "colors") would turn
        # ordinary words ("printed") into materials.
        self.fuzzy_words = sorted(
            {
                phrase[0]
                for phrase, entry in self.english.items()
                if len(phrase) == 1 and len(phrase[0]) >= 6 and entry.confidence != INFERRED
            }
            | {fold_word(technique) for technique in PRINT_TECHNIQUES if " " not in technique}
        )

    def _add_english(
        self, term: str, keys: tuple[str, ...], confidence: float, replace: bool = False
    ) -> None:
        folded = _fold_phrase(term)
        if not folded:
            return
        if replace or folded not in self.english:
            self.english[folded] = _Entry(keys, confidence, term.casefold())


# Rule bases hold dicts and are not hashable; cache by identity, keeping the few most recent.
_VOCABULARIES: dict[int, tuple[RuleBase, _Vocabulary]] = {}


def _vocabulary(rule_base: RuleBase) -> _Vocabulary:
    cached = _VOCABULARIES.get(id(rule_base))
    if cached is not None and cached[0] is rule_base:
        return cached[1]
    vocabulary = _Vocabulary(rule_base)
    if len(_VOCABULARIES) >= 8:
        _VOCABULARIES.pop(next(iter(_VOCABULARIES)))
    _VOCABULARIES[id(rule_base)] = (rule_base, vocabulary)
    return vocabulary


@lru_cache(maxsize=1)
def _default_rule_base() -> RuleBase:
    return load_rule_base()


def _is_support(text: str, start: int) -> bool:
    clause = CLAUSE_BREAK.split(text[:start])[-1]
    words = [fold_word(word) for word in WORD.findall(clause)]
    return any(word in SUPPORT_WORDS for word in words)


def _english(text: str, vocabulary: _Vocabulary) -> list[MaterialMatch]:
    words = [
        (match.start(), match.end(), fold_word(match.group()))
        for match in WORD.finditer(text)
        if not HAN.search(match.group())
    ]
    # Hyphenated words are split as well ("gilt-bronze" → gilt bronze) with the same span.
    tokens: list[tuple[int, int, str]] = []
    for start, end, folded in words:
        parts = folded.split("-")
        tokens.extend((start, end, part) for part in parts if part)
    matches: list[MaterialMatch] = []
    index = 0
    while index < len(tokens):
        found = None
        for length in range(min(vocabulary.longest_english, len(tokens) - index), 0, -1):
            phrase = tuple(token[2] for token in tokens[index : index + length])
            entry = vocabulary.english.get(phrase)
            if entry is not None:
                found = (length, entry)
                break
        if found is None:
            start, end, word = tokens[index]
            close = (
                difflib.get_close_matches(word, vocabulary.fuzzy_words, n=1, cutoff=0.85)
                if len(word) >= 6
                else []
            )
            if close:
                entry = vocabulary.english[(close[0],)]
                matches.extend(
                    MaterialMatch(
                        key,
                        FUZZY,
                        start,
                        end,
                        text[start:end],
                        "fuzzy",
                        "support" if _is_support(text, start) else "material",
                    )
                    for key in entry.keys
                )
            index += 1
            continue
        length, entry = found
        following = tokens[index + length][2] if index + length < len(tokens) else ""
        if (
            length == 1
            and tokens[index][2] in GENERIC_COLOUR
            and COLOUR_COUNT.search(text[: tokens[index][0]])
        ):
            index += length
            continue
        if entry.keys == ("ivory",) and following in COLOUR_FOLLOWERS:
            # Print cataloguers name paper colours: "on ivory laid paper" is not ivory.
            index += length
            continue
        start, end = tokens[index][0], tokens[index + length - 1][1]
        surface = text[start:end]
        confidence = entry.confidence
        method = {
            EXACT: "exact",
            CONVENTION: "convention",
            INFERRED: "inferred",
            NORMALIZED: "normalized",
        }.get(confidence, "exact")
        if confidence == EXACT and surface.casefold() != entry.surface:
            confidence, method = NORMALIZED, "normalized"
        role = "support" if _is_support(text, start) else "material"
        matches.extend(
            MaterialMatch(key, confidence, start, end, surface, method, role) for key in entry.keys
        )
        index += length
    return matches


TITLE = re.compile(r"《[^》]*》")


def _without_titles(text: str) -> str:
    """The text with work titles (《…》) blanked out, same length: titles name subjects
    (《梅竹仕女图》), not materials."""
    return TITLE.sub(lambda match: " " * len(match.group()), text)


def _chinese(text: str, vocabulary: _Vocabulary) -> list[MaterialMatch]:
    matches: list[MaterialMatch] = []
    for run in HAN.finditer(_without_titles(text)):
        position = run.start()
        while position < run.end():
            # X本 / X胎 conventions come first: the character is a support or body, not a medium.
            follower = text[position + 1] if position + 1 < run.end() else ""
            two = text[position : position + 2]
            if follower == "本" and text[position] in CHINESE_SUPPORT:
                key = CHINESE_SUPPORT[text[position]]
                matches.append(
                    MaterialMatch(
                        key, CONVENTION, position, position + 2, two, "convention", "support"
                    )
                )
                if text[position] == "金":
                    matches.append(
                        MaterialMatch(
                            "paper",
                            CONVENTION,
                            position,
                            position + 2,
                            two,
                            "convention",
                            "support",
                        )
                    )
                position += 2
                continue
            body = None
            for size in (2, 1):
                candidate = text[position : position + size]
                if (
                    text[position + size : position + size + 1] == "胎"
                    and candidate in CHINESE_BODY
                ):
                    body = (candidate, size)
                    break
            if body is not None:
                candidate, size = body
                matches.append(
                    MaterialMatch(
                        CHINESE_BODY[candidate],
                        CONVENTION,
                        position,
                        position + size + 1,
                        text[position : position + size + 1],
                        "convention",
                        "support",
                    )
                )
                position += size + 1
                continue
            found = None
            for length in range(min(vocabulary.longest_chinese, run.end() - position), 0, -1):
                entry = vocabulary.chinese.get(text[position : position + length])
                if entry is not None:
                    found = (length, entry)
                    break
            if found is None:
                position += 1
                continue
            length, entry = found
            after = text[position + length : position + length + 1]
            if set(entry.keys) <= PIGMENT_KEYS and after == "色":
                position += length + 1
                continue
            method = {EXACT: "exact", CONVENTION: "convention"}.get(entry.confidence, "inferred")
            matches.extend(
                MaterialMatch(
                    key,
                    entry.confidence,
                    position,
                    position + length,
                    text[position : position + length],
                    method,
                    "material",
                )
                for key in entry.keys
            )
            position += length
    return matches


def classify_medium(
    text: str, *, rule_base: RuleBase | None = None, language: str | None = None
) -> list[MaterialMatch]:
    """Read a medium or material description into rule-base materials.

    ``language`` is ``"en"``, ``"zh-hans"``, ``"zh-hant"`` (Traditional characters are folded
    to Simplified) or ``None`` (both readers run; mixed text works).
    Returns one :class:`MaterialMatch` per material key, the best reading of each, ordered by
    confidence (highest first) and then by position in the text, so the first-named material
    of equal confidence leads. Text with no known material returns ``[]``. Raises
    ``ValueError`` naming ``language`` when it is not one of those values, and
    ``TypeError`` when ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a string, got {type(text).__name__}")
    if language not in LANGUAGE_CODES:
        raise ValueError(f"language: expected 'en', 'zh-hans', 'zh-hant' or None, got {language!r}")
    base = rule_base if rule_base is not None else _default_rule_base()
    vocabulary = _vocabulary(base)
    folded = unicodedata.normalize("NFKC", text)
    # Spans index the caller's text, so folding must keep every character in its place.
    normal = (folded if len(folded) == len(text) else text).translate(TRADITIONAL)
    found: list[MaterialMatch] = []
    if language in (None, "en"):
        found.extend(_english(normal, vocabulary))
    if language in (None, "zh-hans", "zh-hant"):
        found.extend(_chinese(normal, vocabulary))
    best: dict[str, MaterialMatch] = {}
    for match in found:
        current = best.get(match.key)
        if current is None or (match.confidence, -match.start) > (
            current.confidence,
            -current.start,
        ):
            if current is not None and current.role == "support" and match.role != "support":
                match = MaterialMatch(
                    match.key,
                    match.confidence,
                    match.start,
                    match.end,
                    match.matched,
                    match.method,
                    "support",
                )
            best[match.key] = match
    _apply_context_rules(best)
    return sorted(best.values(), key=lambda match: (-match.confidence, match.start))


def _apply_context_rules(best: dict[str, MaterialMatch]) -> None:
    # Enamel on a ceramic body is overglaze colour (粉彩, "enamel and gilt decoration"): it
    # behaves as pigment on a glaze, not as vitreous enamel on metal (cloisonné).
    if "enamel" in best and CERAMIC_BODIES & set(best):
        enamel = best.pop("enamel")
        best.setdefault(
            "mineral_pigments",
            MaterialMatch(
                "mineral_pigments",
                INFERRED,
                enamel.start,
                enamel.end,
                enamel.matched,
                "inferred",
                enamel.role,
            ),
        )
    # A print technique implies paper; a named paper (Japanese paper, papyrus) is more specific.
    paper = best.get("paper")
    if paper is not None and paper.method == "inferred" and best.keys() & SPECIFIC_PAPERS:
        del best["paper"]
    # 瓷 alone is the generic word for high-fired ware; a named stoneware kiln is more specific.
    porcelain = best.get("porcelain")
    if porcelain is not None and "stoneware" in best and porcelain.matched in {"瓷", "瓷器"}:
        del best["porcelain"]
