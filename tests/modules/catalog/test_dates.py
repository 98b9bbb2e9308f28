"""parse_date_range: date texts in Chinese and English → historical years (BCE negative)."""

import pytest

from taihe.modules.catalog.importing.dates import DateRange, chinese_number, parse_date_range

QING = {"zh-Hans": "清", "zh-Hant": "清", "en": "Qing dynasty"}
QIANLONG = {"zh-Hans": "清乾隆", "zh-Hant": "清乾隆", "en": "Qing dynasty, Qianlong reign"}

# (text, earliest, latest)
YEARS = [
    # dynasties (《中国历史年代简表》; Shang/Western Zhou per the Chronology Project)
    ("商", -1600, -1046),
    ("西周", -1046, -771),
    ("东周", -770, -256),
    ("春秋", -770, -476),
    ("战国", -475, -221),
    ("秦", -221, -207),
    ("西汉", -206, 9),
    ("东汉", 25, 220),
    ("三国", 220, 280),
    ("晋", 265, 420),
    ("南北朝", 420, 589),
    ("隋", 581, 618),
    ("唐代", 618, 907),
    ("五代", 907, 960),
    ("北宋", 960, 1127),
    ("南宋", 1127, 1279),
    ("辽", 907, 1125),
    ("金", 1115, 1234),
    ("元", 1271, 1368),
    ("明", 1368, 1644),
    ("清代", 1644, 1911),
    ("中华民国", 1912, 1949),
    ("東漢", 25, 220),
    # reigns and reign years
    ("明永乐", 1403, 1424),
    ("明成化年间", 1465, 1487),
    ("大清乾隆年制", 1736, 1795),
    ("乾隆十年", 1745, 1745),
    ("乾隆元年", 1736, 1736),
    ("清康熙六十一年", 1722, 1722),
    ("光緒二十六年", 1900, 1900),
    ("民国十年", 1921, 1921),
    ("Qianlong period (1736–95)", 1736, 1795),
    ("Ming dynasty, Yongle reign", 1403, 1424),
    ("Qing dynasty (1644–1911)", 1644, 1911),
    ("Qing dynasty (1644–1911), Kangxi period (1662–1722)", 1662, 1722),
    ("Western Han dynasty (206 BCE–9 CE)", -206, 9),
    ("Jin dynasty (1115–1234)", 1115, 1234),
    # centuries
    ("18th century", 1700, 1799),
    ("early 18th century", 1700, 1733),
    ("mid-18th century", 1733, 1766),
    ("late 18th century", 1766, 1799),
    ("first half of the 18th century", 1700, 1749),
    ("十八世纪", 1700, 1799),
    ("18世纪中期", 1733, 1766),
    ("late 3rd century BCE", -234, -201),
    ("公元前3世纪", -300, -201),
    ("18th–19th century", 1700, 1899),
    ("late 17th–early 18th century", 1666, 1733),
    ("3rd–2nd century BCE", -300, -101),
    ("ca. 1st–2nd century A.D", 1, 199),
    ("ca. 2nd century BCE–3rd century CE", -200, 299),
    # years, ranges, decades
    ("c. 1750", 1750, 1750),
    ("ca. 1750–1760", 1750, 1760),
    ("circa 1750", 1750, 1750),
    ("1736-1795", 1736, 1795),
    ("1736–95", 1736, 1795),
    ("2005–6", 2005, 2006),
    ("1750", 1750, 1750),
    ("1750年", 1750, 1750),
    ("约1750年", 1750, 1750),
    ("1736至1795年", 1736, 1795),
    ("1920s", 1920, 1929),
    ("1920年代", 1920, 1929),
    ("公元前206年", -206, -206),
    ("206 BCE–9 CE", -206, 9),
    ("ca. 2600–1900 BCE", -2600, -1900),
    ("200–500 CE", 200, 500),
    ("1 BC", -1, -1),
    # periods we do not know, with their years beside them (the Met's Period column)
    ("Edo period (1615–1868)", 1615, 1868),
]


@pytest.mark.parametrize(("text", "earliest", "latest"), YEARS)
def test_parse_date_range_gives_historical_years(text, earliest, latest):
    # Given a date as a person wrote it
    # When it is parsed
    result = parse_date_range(text)
    # Then the earliest and latest years are exactly these
    assert result is not None
    assert (result.earliest, result.latest) == (earliest, latest)


UNREADABLE = [
    "",
    "shortly after 1285",
    "1405–1408/1409",
    "明末清初",  # spans two dynasties: kept as text
    "乾隆七十年",  # the Qianlong era ended in its sixtieth year
    "新石器时代",  # 新 is a dynasty name, but not here
    "spring/summer 2018",
    "0",
    "1800–1700",
    "undated",
]


@pytest.mark.parametrize("text", UNREADABLE)
def test_unreadable_dates_give_none(text):
    assert parse_date_range(text) is None


def test_a_reign_gives_its_dynasty_and_reign_label():
    assert parse_date_range("清乾隆") == DateRange(1736, 1795, QIANLONG)
    assert parse_date_range("Qianlong period (1736–95)") == DateRange(1736, 1795, QIANLONG)
    assert parse_date_range("乾隆十年") == DateRange(1745, 1745, QIANLONG)


def test_a_dynasty_gives_its_label_in_three_languages():
    assert parse_date_range("清代晚期") == DateRange(1644, 1911, QING)
    assert parse_date_range("Ming dynasty, Yongle reign").period_label == {
        "zh-Hans": "明永乐", "zh-Hant": "明永樂", "en": "Ming dynasty, Yongle reign"}


def test_plain_years_and_centuries_have_no_period_label():
    assert parse_date_range("18th century") == DateRange(1700, 1799, {})


def test_an_unknown_period_keeps_its_name_as_written():
    assert parse_date_range("Edo period (1615–1868)").period_label == {"en": "Edo period"}


def test_a_reign_year_with_the_wrong_dynasty_is_not_read():
    # 乾隆 is a Qing era: "明乾隆十年" is a mistake, not 1745
    assert parse_date_range("明乾隆十年") is None


@pytest.mark.parametrize(("text", "number"), [
    ("十", 10), ("十八", 18), ("二十一", 21), ("六十", 60), ("元", 1), ("一九三六", 1936),
    ("18", 18), ("廿", None),
])
def test_chinese_number(text, number):
    assert chinese_number(text) == number
