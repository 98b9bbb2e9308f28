"""Production dates as people write them → an earliest and a latest year.

Years are *historical* years: 1 CE follows 1 BCE, there is no year 0, and a BCE year is stored
as its negative (206 BCE → -206, 公元前206年 → -206). The Met's open-access data and CDWA use
the same numbers, so imported begin/end years compare directly with theirs.

Conventions (ours, written down so results are predictable):

* "18th century" is 1700–1799 (the museum convention of the Met and CDWA, not 1701–1800);
  "3rd century BCE" is 300–201 BCE; the 1st century CE starts at 1.
* early / mid / late split the century into thirds (1700–1733, 1733–1766, 1766–1799);
  first half / second half into 1700–1749 and 1750–1799.
* "c. 1750" is the year 1750 itself; the circa is kept in the source text, not widened.
* "1736–95" abbreviates the end year (1795); "1920s" is 1920–1929.
* a dynasty or reign name gives the dates in the tables below; a reign era year
  ("乾隆十年") gives one year, counted from the era's first year (乾隆元年 = 1736).

Text that matches none of these gives None: the caller keeps the text as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DateRange:
    earliest: int
    latest: int
    period_label: dict[str, str] = field(default_factory=dict)
    """A language map naming the dynasty or reign ("清乾隆" / "Qing dynasty, Qianlong reign");
    empty for plain years and centuries."""


@dataclass(frozen=True)
class Period:
    code: str
    start: int
    end: int
    zh_hans: str
    zh_hant: str
    en: str
    aliases: tuple[str, ...] = ()
    """More names that mean the same period, any language (lower case for English)."""


# Dynasties. Dates are the conventional ones of 《中国历史年代简表》(文物出版社) as used by
# the Palace Museum; Xia/Shang/Western Zhou boundaries (c. 1600 and 1046 BCE) follow the
# Xia–Shang–Zhou Chronology Project (2000). Liao is given from 907 and Qing to 1911 as in
# the Met's period names ("Liao dynasty (907–1125)", "Qing dynasty (1644–1911)").
DYNASTIES: tuple[Period, ...] = (
    Period("xia", -2070, -1600, "夏", "夏", "Xia dynasty"),
    Period("shang", -1600, -1046, "商", "商", "Shang dynasty", ("殷", "殷商")),
    Period("western-zhou", -1046, -771, "西周", "西周", "Western Zhou dynasty"),
    Period("eastern-zhou", -770, -256, "东周", "東周", "Eastern Zhou dynasty"),
    Period("zhou", -1046, -256, "周", "周", "Zhou dynasty"),
    Period("spring-autumn", -770, -476, "春秋", "春秋", "Spring and Autumn period",
           ("spring and autumn",)),
    Period("warring-states", -475, -221, "战国", "戰國", "Warring States period",
           ("warring states",)),
    Period("qin", -221, -207, "秦", "秦", "Qin dynasty"),
    Period("western-han", -206, 9, "西汉", "西漢", "Western Han dynasty"),
    Period("xin", 9, 23, "新", "新", "Xin dynasty"),
    Period("eastern-han", 25, 220, "东汉", "東漢", "Eastern Han dynasty"),
    Period("han", -206, 220, "汉", "漢", "Han dynasty"),
    Period("three-kingdoms", 220, 280, "三国", "三國", "Three Kingdoms period",
           ("three kingdoms",)),
    Period("western-jin", 265, 317, "西晋", "西晉", "Western Jin dynasty"),
    Period("eastern-jin", 317, 420, "东晋", "東晉", "Eastern Jin dynasty"),
    Period("jin-265", 265, 420, "晋", "晉", "Jin dynasty (265–420)", ("两晋", "兩晉")),
    Period("southern-northern", 420, 589, "南北朝", "南北朝",
           "Northern and Southern dynasties", ("southern and northern dynasties",
                                               "six dynasties")),
    Period("sui", 581, 618, "隋", "隋", "Sui dynasty"),
    Period("tang", 618, 907, "唐", "唐", "Tang dynasty"),
    Period("five-dynasties", 907, 960, "五代", "五代", "Five Dynasties period",
           ("五代十国", "五代十國", "five dynasties")),
    Period("northern-song", 960, 1127, "北宋", "北宋", "Northern Song dynasty"),
    Period("southern-song", 1127, 1279, "南宋", "南宋", "Southern Song dynasty"),
    Period("song", 960, 1279, "宋", "宋", "Song dynasty"),
    Period("liao", 907, 1125, "辽", "遼", "Liao dynasty"),
    Period("western-xia", 1038, 1227, "西夏", "西夏", "Western Xia dynasty",
           ("xixia", "xi xia")),
    Period("jin-1115", 1115, 1234, "金", "金", "Jin dynasty", ("jurchen jin",)),
    Period("yuan", 1271, 1368, "元", "元", "Yuan dynasty"),
    Period("ming", 1368, 1644, "明", "明", "Ming dynasty"),
    Period("qing", 1644, 1911, "清", "清", "Qing dynasty"),
    Period("republic", 1912, 1949, "中华民国", "中華民國", "Republic of China",
           ("民国", "民國", "republic period", "republican period")),
)

# Ming and Qing reign eras (年号). First and last year of each era as in 《中国历史年代简表》;
# the first year of an era is the year after the accession (e.g. 乾隆元年 = 1736). Jingtai's
# eighth year (1457) is also Tianshun's first; the Met writes "Jingtai period (1450–57)".
MING_REIGNS: tuple[Period, ...] = (
    Period("hongwu", 1368, 1398, "洪武", "洪武", "Hongwu"),
    Period("jianwen", 1399, 1402, "建文", "建文", "Jianwen"),
    Period("yongle", 1403, 1424, "永乐", "永樂", "Yongle"),
    Period("hongxi", 1425, 1425, "洪熙", "洪熙", "Hongxi"),
    Period("xuande", 1426, 1435, "宣德", "宣德", "Xuande"),
    Period("zhengtong", 1436, 1449, "正统", "正統", "Zhengtong"),
    Period("jingtai", 1450, 1457, "景泰", "景泰", "Jingtai"),
    Period("tianshun", 1457, 1464, "天顺", "天順", "Tianshun"),
    Period("chenghua", 1465, 1487, "成化", "成化", "Chenghua"),
    Period("hongzhi", 1488, 1505, "弘治", "弘治", "Hongzhi"),
    Period("zhengde", 1506, 1521, "正德", "正德", "Zhengde"),
    Period("jiajing", 1522, 1566, "嘉靖", "嘉靖", "Jiajing"),
    Period("longqing", 1567, 1572, "隆庆", "隆慶", "Longqing"),
    Period("wanli", 1573, 1620, "万历", "萬曆", "Wanli"),
    Period("taichang", 1620, 1620, "泰昌", "泰昌", "Taichang"),
    Period("tianqi", 1621, 1627, "天启", "天啟", "Tianqi"),
    Period("chongzhen", 1628, 1644, "崇祯", "崇禎", "Chongzhen"),
)
QING_REIGNS: tuple[Period, ...] = (
    Period("shunzhi", 1644, 1661, "顺治", "順治", "Shunzhi"),
    Period("kangxi", 1662, 1722, "康熙", "康熙", "Kangxi"),
    Period("yongzheng", 1723, 1735, "雍正", "雍正", "Yongzheng"),
    Period("qianlong", 1736, 1795, "乾隆", "乾隆", "Qianlong"),
    Period("jiaqing", 1796, 1820, "嘉庆", "嘉慶", "Jiaqing"),
    Period("daoguang", 1821, 1850, "道光", "道光", "Daoguang"),
    Period("xianfeng", 1851, 1861, "咸丰", "咸豐", "Xianfeng"),
    Period("tongzhi", 1862, 1874, "同治", "同治", "Tongzhi"),
    Period("guangxu", 1875, 1908, "光绪", "光緒", "Guangxu"),
    Period("xuantong", 1909, 1911, "宣统", "宣統", "Xuantong"),
)
REIGN_DYNASTY: dict[str, str] = {
    **{reign.code: "ming" for reign in MING_REIGNS},
    **{reign.code: "qing" for reign in QING_REIGNS},
}
REIGNS: tuple[Period, ...] = MING_REIGNS + QING_REIGNS
_DYNASTY_BY_CODE = {dynasty.code: dynasty for dynasty in DYNASTIES}

# --- Normalising ---------------------------------------------------------------------------

_DASHES = re.compile(r"\s*(?:[‐‑‒–—―~～〜]|--|-|\bto\b|至|到)\s*")
_CHINESE_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4,
                   "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> int | None:
    """Arabic digits or a Chinese numeral ("十八", "二十一", "一九三六", "元" = 1) as an int;
    None when it is neither."""
    if text.isdigit():
        return int(text)
    if text == "元":
        return 1
    if not text or any(ch not in _CHINESE_DIGITS and ch not in _CHINESE_UNITS for ch in text):
        return None
    if all(ch in _CHINESE_DIGITS for ch in text):
        # Digit by digit, as years are often written: 一九三六 = 1936.
        return int("".join(str(_CHINESE_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in _CHINESE_DIGITS:
            current = _CHINESE_DIGITS[ch]
        else:
            total += (current or 1) * _CHINESE_UNITS[ch]
            current = 0
    return total + current


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().casefold()
    text = text.replace("公元後", "公元").replace("公元后", "公元")
    # "mid-18th century" and "18th-century" use a hyphen that is not a range dash.
    text = re.sub(r"\b(mid|early|late)-(?=\d)", r"\1 ", text)
    text = re.sub(r"(\d(?:st|nd|rd|th))-(centur)", r"\1 \2", text)
    return " ".join(text.split())


# --- Points: one year, decade or century -----------------------------------------------------

_QUALIFIER = r"(?:ca\.?|c\.|circa|about|approximately|approx\.|around|约|約|大约|大約)?\s*"
_ERA_SUFFIX = r"(?P<era>\s*(?:b\.?\s?c\.?\s?e?\.?|c\.?\s?e\.?|a\.?\s?d\.?))?"
_YEAR = re.compile(
    rf"^{_QUALIFIER}(?P<pre>公元前|前|公元)?\s*(?P<year>\d{{1,4}})\s*年?{_ERA_SUFFIX}$"
)
_DECADE = re.compile(rf"^{_QUALIFIER}(?P<decade>\d{{2,3}}0)(?:'?s|年代){_ERA_SUFFIX}$")
_PART_EN = (r"(?P<part>early|mid|middle|late|first half of(?: the)?|second half of(?: the)?|"
            r"first quarter of(?: the)?|last quarter of(?: the)?)?[\s-]*")
_CENTURY_EN = re.compile(
    rf"^{_QUALIFIER}{_PART_EN}(?P<century>\d{{1,2}})(?:st|nd|rd|th)"
    rf"(?:\s*(?:century|centuries|cent\.?|c\.))?{_ERA_SUFFIX}$"
)
_CENTURY_ZH = re.compile(
    r"^(?:约|約)?(?P<pre>公元前|前|公元)?(?P<century>\d{1,2}|[一二三四五六七八九十]+)世[纪紀]"
    r"(?P<part>早期|初期|初|前期|上半叶|上半葉|中期|中叶|中葉|晚期|后期|後期|末期|末|下半叶|下半葉)?$"
)
_PARTS = {
    "early": "early", "早期": "early", "初期": "early", "初": "early", "前期": "early",
    "mid": "mid", "middle": "mid", "中期": "mid", "中叶": "mid", "中葉": "mid",
    "late": "late", "晚期": "late", "后期": "late", "後期": "late", "末期": "late", "末": "late",
    "first half of": "first-half", "first half of the": "first-half",
    "上半叶": "first-half", "上半葉": "first-half",
    "second half of": "second-half", "second half of the": "second-half",
    "下半叶": "second-half", "下半葉": "second-half",
    "first quarter of": "first-quarter", "first quarter of the": "first-quarter",
    "last quarter of": "last-quarter", "last quarter of the": "last-quarter",
}


@dataclass(frozen=True)
class _Point:
    earliest: int
    latest: int
    era: str  # "bce", "ce" or "" when the text did not say
    digits: str = ""  # the bare year as written, for abbreviated range ends ("1736–95")


def _era(raw: str | None, prefix: str | None = None) -> str:
    if prefix in ("公元前", "前"):
        return "bce"
    if prefix == "公元":
        return "ce"
    if not raw:
        return ""
    compact = re.sub(r"[\s.]", "", raw)
    return "bce" if compact.startswith("b") else "ce"


def _signed(year: int, era: str) -> int:
    return -year if era == "bce" else year


def _century_span(number: int, era: str) -> tuple[int, int]:
    if era == "bce":
        return -(number * 100), -((number - 1) * 100 + 1)
    start = (number - 1) * 100
    return max(start, 1), start + 99


def _part_of(span: tuple[int, int], part: str | None) -> tuple[int, int]:
    start, end = span
    length = end - start
    match part:
        case "early":
            return start, start + length // 3
        case "mid":
            return start + length // 3, start + 2 * length // 3
        case "late":
            return start + 2 * length // 3, end
        case "first-half":
            return start, start + length // 2
        case "second-half":
            return start + length // 2 + 1, end
        case "first-quarter":
            return start, start + length // 4
        case "last-quarter":
            return end - length // 4, end
    return span


def _point(text: str) -> _Point | None:
    text = text.strip(" ,;")
    if match := _YEAR.match(text):
        era = _era(match["era"], match["pre"])
        year = int(match["year"])
        if year == 0:
            return None  # there is no year 0 in historical numbering
        return _Point(_signed(year, era), _signed(year, era), era, match["year"])
    if match := _DECADE.match(text):
        era = _era(match["era"])
        decade = int(match["decade"])
        if era == "bce":
            return _Point(-(decade + 9), -decade if decade else -1, era)
        return _Point(max(decade, 1), decade + 9, era)
    if match := _CENTURY_EN.match(text):
        era = _era(match["era"])
        number = int(match["century"])
        part = _PARTS.get(match["part"] or "")
        return _point_for_century(number, era, part)
    if match := _CENTURY_ZH.match(text):
        era = _era(None, match["pre"])
        century = chinese_number(match["century"])
        if century is None:
            return None
        return _point_for_century(century, era, _PARTS.get(match["part"] or ""))
    return None


def _point_for_century(number: int, era: str, part: str | None) -> _Point | None:
    if not 1 <= number <= 30:
        return None
    earliest, latest = _part_of(_century_span(number, era), part)
    return _Point(earliest, latest, era)


def _parse_numeric(text: str) -> DateRange | None:
    parts = _DASHES.split(text)
    if len(parts) == 1:
        point = _point(parts[0])
        return DateRange(point.earliest, point.latest) if point else None
    if len(parts) != 2:
        return None
    left = _point(parts[0])
    right = None
    short = re.fullmatch(r"\d{1,2}", parts[1].strip())
    if left is not None and left.digits and short and len(short[0]) < len(left.digits):
        # "1736–95", "1905-8": the end year written with its last digits only.
        size = 10 ** len(short[0])
        year = abs(left.earliest) - abs(left.earliest) % size + int(short[0])
        right = _Point(_signed(year, left.era), _signed(year, left.era), left.era)
    if right is None:
        right = _point(parts[1])
    if left is None or right is None:
        return None
    # "2600–1900 BCE", "3rd–2nd century BCE": an era written once holds for both ends.
    if right.era == "bce" and not left.era:
        left = _point(f"{parts[0]} bce") or left
    elif left.era == "bce" and not right.era:
        right = _point(f"{parts[1]} bce") or right
    if left.earliest > right.latest:
        return None
    return DateRange(left.earliest, right.latest)


# --- Named periods ---------------------------------------------------------------------------

def _names(period: Period) -> tuple[str, ...]:
    return (period.zh_hans, period.zh_hant, period.en.casefold(), *period.aliases)


def _label(dynasty: Period | None, reign: Period | None) -> dict[str, str]:
    if reign is not None:
        dynasty = dynasty or _DYNASTY_BY_CODE[REIGN_DYNASTY[reign.code]]
        return {
            "zh-Hans": f"{dynasty.zh_hans}{reign.zh_hans}",
            "zh-Hant": f"{dynasty.zh_hant}{reign.zh_hant}",
            "en": f"{dynasty.en}, {reign.en} reign",
        }
    assert dynasty is not None
    return {"zh-Hans": dynasty.zh_hans, "zh-Hant": dynasty.zh_hant, "en": dynasty.en}


# Chinese: the whole text must be covered by period names and these filler words, so that a
# stray character ("清水") is never read as a dynasty.
_ZH_FILLERS = ("时期", "時期", "年间", "年間", "早期", "中期", "晚期", "初期", "末期", "前期",
               "后期", "後期", "朝", "代", "期", "初", "末", "中", "晚", "早", "年制", "款",
               "年", "大", "・", "·", " ", ",", "，", "、")


def _zh_tokens() -> list[tuple[str, Period, bool]]:
    tokens = [(name, period, False) for period in DYNASTIES for name in
              (period.zh_hans, period.zh_hant, *period.aliases) if not name.isascii()]
    tokens += [(name, reign, True) for reign in REIGNS for name in (reign.zh_hans, reign.zh_hant)]
    return sorted(tokens, key=lambda token: -len(token[0]))


_ZH_TOKENS = _zh_tokens()
_ERA_YEAR = re.compile(
    r"^(?P<dynasty>[^\d]{0,4}?)(?P<era>" + "|".join(
        sorted({name for reign in REIGNS for name in (reign.zh_hans, reign.zh_hant)},
               key=len, reverse=True)) +
    r")(?P<year>元|[〇零一二两兩三四五六七八九十]+|\d{1,2})年"
)


def _parse_chinese_period(text: str) -> DateRange | None:
    dynasty: Period | None = None
    reign: Period | None = None
    position = 0
    while position < len(text):
        for name, period, is_reign in _ZH_TOKENS:
            if text.startswith(name, position):
                if is_reign:
                    reign = period
                elif dynasty is None or (period.start >= dynasty.start
                                         and period.end <= dynasty.end):
                    dynasty = period
                elif not (dynasty.start >= period.start and dynasty.end <= period.end):
                    return None  # "明末清初" spans two dynasties: keep it as text
                position += len(name)
                break
        else:
            for filler in _ZH_FILLERS:
                if text.startswith(filler, position):
                    position += len(filler)
                    break
            else:
                return None
    if reign is not None:
        return DateRange(reign.start, reign.end, _label(dynasty, reign))
    if dynasty is not None:
        return DateRange(dynasty.start, dynasty.end, _label(dynasty, None))
    return None


# The Republic counts years from its founding: 民国元年 = 1912 (民国十年 = 1921).
_REPUBLIC_YEAR = re.compile(
    r"^(?:中华民国|中華民國|民国|民國)(?P<year>元|[〇零一二两兩三四五六七八九十]+|\d{1,2})年$"
)


def _parse_era_year(text: str) -> DateRange | None:
    if republic := _REPUBLIC_YEAR.match(text):
        number = chinese_number(republic["year"])
        if number is None or not 1 <= number <= 38:
            return None
        label = {"zh-Hans": "中华民国", "zh-Hant": "中華民國", "en": "Republic of China"}
        return DateRange(1911 + number, 1911 + number, label)
    match = _ERA_YEAR.match(text)
    if not match:
        return None
    reign = next(r for r in REIGNS if match["era"] in (r.zh_hans, r.zh_hant))
    prefix = match["dynasty"].rstrip("代朝")
    dynasty = None
    if prefix:
        dynasty = next((d for d in DYNASTIES if prefix in (d.zh_hans, d.zh_hant)), None)
        if dynasty is None or dynasty.code != REIGN_DYNASTY[reign.code]:
            return None
    number = chinese_number(match["year"])
    if number is None or number < 1:
        return None
    year = reign.start + number - 1
    if year > reign.end:
        return None  # 乾隆七十年 does not exist: the era ended in its sixtieth year
    return DateRange(year, year, _label(dynasty, reign))


_EN_KEYWORD = re.compile(r"\b(dynasty|dynasties|period|reign|era|kingdoms|states|republic)\b")
_PARENTHESISED = re.compile(r"\(([^()]*)\)")


def _parse_english_period(text: str) -> DateRange | None:
    if not _EN_KEYWORD.search(text) and not any(
        text == name for period in (*DYNASTIES, *REIGNS) for name in _names(period)
    ):
        return None
    reign = _find_english(REIGNS, text)
    if reign is not None:
        dynasty = _DYNASTY_BY_CODE[REIGN_DYNASTY[reign.code]]
        return DateRange(reign.start, reign.end, _label(dynasty, reign))
    named = _find_english(DYNASTIES, text)
    if named is None:
        return None
    # The years the source wrote beside the name win over our table ("Jin dynasty
    # (265–420)" is the Sima Jin, not the Jurchen Jin the bare name stands for).
    for inner in _PARENTHESISED.findall(text):
        written = _parse_numeric(inner)
        if written is not None:
            return DateRange(written.earliest, written.latest, _label(named, None))
    return DateRange(named.start, named.end, _label(named, None))


def _find_english(periods: tuple[Period, ...], text: str) -> Period | None:
    best: tuple[int, Period] | None = None
    for period in periods:
        for name in (period.en.casefold(), *period.aliases):
            if not name.isascii() or "(" in name:
                continue  # names that carry their years ("Jin dynasty (265–420)") are ambiguous
            bare = re.sub(r"\s*\([^)]*\)| (dynasty|period)$", "", name)
            if re.search(rf"\b{re.escape(bare)}\b", text) and (best is None or
                                                               len(bare) > best[0]):
                best = (len(bare), period)
    return best[1] if best else None


def _parse_parenthesised(text: str, original: str) -> DateRange | None:
    """"Edo period (1615–1868)": a period we do not know, with its years beside it."""
    for inner in _PARENTHESISED.findall(text):
        written = _parse_numeric(inner)
        if written is not None:
            name = _PARENTHESISED.sub("", unicodedata.normalize("NFKC", original)).strip(" ,;")
            name = " ".join(name.split())
            label = {("en" if name.isascii() else "none"): name} if name else {}
            return DateRange(written.earliest, written.latest, label)
    return None


_PARSERS: tuple[Callable[[str], DateRange | None], ...] = (
    _parse_era_year,
    _parse_numeric,
    _parse_chinese_period,
    _parse_english_period,
)


def parse_date_range(text: str) -> DateRange | None:
    """The earliest and latest year a date text stands for, with a period label where the
    text names a dynasty or reign; None when the text is not understood (never raises)."""
    normalized = _normalize(text or "")
    if not normalized:
        return None
    for parser in _PARSERS:
        result = parser(normalized)
        if result is not None:
            return result
    return _parse_parenthesised(normalized, text)
