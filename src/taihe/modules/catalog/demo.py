"""The demo museum's collection: a location tree, about 2,000 objects of Chinese material
culture, their movements, condition checks, treatments, a loan and an exhibition.

Deterministic: every value comes from fixed lists and one seeded random generator, so every
installation gets the same register, and the object numbers ``TH000001``… are stable keys.
Idempotent: terms, locations, objects, checks, the loan and the exhibition are looked up by
those keys and only missing ones are created, so a second ``taihe demo`` changes nothing.

The objects are bulk-inserted (2,000 calls to ``services.do_create_object`` would take most of
a minute); what the service would also write is written here too: revision 1 of every object
and its search document (``services.reindex``). Movements are bulk-inserted as well; the
database trigger derives the current location from them as it does for every movement.
Locations, condition checks, treatments, the loan, the exhibition and the images go through
the services, so their events and notifications are those of real use.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from taihe.kernel import context
from taihe.kernel import demo as kernel_demo
from taihe.modules.catalog import seed, services
from taihe.modules.catalog.models import (
    CatalogObject,
    ConditionCheck,
    Exhibition,
    Loan,
    Location,
    Media,
    Movement,
    ObjectMaterial,
    ObjectRevision,
    Term,
    Treatment,
    number_sort_key,
)
from taihe.modules.directory import api as directory

OBJECT_COUNT = 2000
"""Objects in the demo register (``TAIHE_DEMO_CATALOG_OBJECTS`` overrides it)."""

IMAGE_COUNT = 150
"""Objects that get a generated photograph (``TAIHE_DEMO_CATALOG_IMAGES`` overrides it).
Not all of them: every image also costs IIIF tiles, and ``make run`` must stay quick."""

SEED = 20260101
"""Seed of the random generator: the same register on every machine."""

NUMBER_PREFIX = "TH"
LOAN_NUMBER = "TH-LO-2026-001"
EXHIBITION_CODE = "qianlong-taste"
REGISTRAR = "registrar"
CONSERVATOR = "conservator"
CUSTODIAN_DEPARTMENT = "collections"

LanguageMap = dict[str, str]


def _lm(zh: str, en: str) -> LanguageMap:
    return {"zh-Hans": zh, "en": en}


# --- Locations ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DemoLocation:
    code: str
    name: LanguageMap
    kind: str
    parent: str | None
    is_public: bool = False
    is_restricted: bool = False


def _gallery(floor: str, number: int, zh: str, en: str, cases: int) -> list[DemoLocation]:
    code = f"{floor}-G{number}"
    places = [DemoLocation(code, _lm(zh, en), Location.Kind.GALLERY, floor, is_public=True)]
    places += [DemoLocation(f"{code}-C{case:02d}", _lm(f"{zh}{case}号展柜", f"{en}, case {case}"),
                            Location.Kind.CASE, code, is_public=True)
               for case in range(1, cases + 1)]
    return places


def _store(floor: str, number: int, zh: str, en: str) -> list[DemoLocation]:
    # Stores are restricted: only people allowed to know store locations see what is inside
    # (the places inside a restricted one are restricted with it).
    code = f"{floor}-S{number}"
    return [
        DemoLocation(code, _lm(zh, en), Location.Kind.STORE, floor, is_restricted=True),
        DemoLocation(f"{code}-CAB01", _lm(f"{zh}1号柜", f"{en}, cabinet 1"),
                     Location.Kind.CABINET, code),
        DemoLocation(f"{code}-CAB02", _lm(f"{zh}2号柜", f"{en}, cabinet 2"),
                     Location.Kind.CABINET, code),
        DemoLocation(f"{code}-SH01", _lm(f"{zh}1号架", f"{en}, shelf 1"),
                     Location.Kind.SHELF, code),
    ]


SITE = "TH"
FRONT, REAR, STORE = "TH-QD", "TH-HD", "TH-KF"
LAB = "TH-HD-2-LAB"
STUDIO = "TH-HD-2-PH"

LOCATIONS: list[DemoLocation] = [
    DemoLocation(SITE, _lm("太和博物馆", "Taihe Museum"), Location.Kind.SITE, None),
    DemoLocation(FRONT, _lm("前殿", "Front Hall"), Location.Kind.BUILDING, SITE),
    DemoLocation(f"{FRONT}-1", _lm("前殿一层", "Front Hall, ground floor"),
                 Location.Kind.FLOOR, FRONT),
    *_gallery(f"{FRONT}-1", 1, "青铜器馆", "Bronze Gallery", 4),
    *_gallery(f"{FRONT}-1", 2, "陶瓷馆", "Ceramics Gallery", 4),
    DemoLocation(f"{FRONT}-2", _lm("前殿二层", "Front Hall, first floor"),
                 Location.Kind.FLOOR, FRONT),
    *_gallery(f"{FRONT}-2", 3, "书画馆", "Painting and Calligraphy Gallery", 3),
    *_gallery(f"{FRONT}-2", 4, "玉器馆", "Jade Gallery", 3),
    DemoLocation(REAR, _lm("后殿", "Rear Hall"), Location.Kind.BUILDING, SITE),
    DemoLocation(f"{REAR}-1", _lm("后殿一层", "Rear Hall, ground floor"),
                 Location.Kind.FLOOR, REAR),
    *_gallery(f"{REAR}-1", 5, "钟表馆", "Clock Gallery", 3),
    *_gallery(f"{REAR}-1", 6, "宫廷工艺馆", "Court Crafts Gallery", 3),
    *_gallery(f"{REAR}-1", 7, "特展厅", "Special Exhibition Hall", 2),
    DemoLocation(f"{REAR}-2", _lm("后殿二层", "Rear Hall, first floor"),
                 Location.Kind.FLOOR, REAR),
    DemoLocation(LAB, _lm("文物保护修复室", "Conservation Laboratory"), Location.Kind.LAB,
                 f"{REAR}-2"),
    DemoLocation(STUDIO, _lm("文物摄影室", "Photography Studio"), Location.Kind.ROOM,
                 f"{REAR}-2"),
    DemoLocation(STORE, _lm("文物库房", "Collection Store"), Location.Kind.BUILDING, SITE),
    DemoLocation(f"{STORE}-B1", _lm("库房地下一层", "Store, basement level 1"),
                 Location.Kind.FLOOR, STORE),
    *_store(f"{STORE}-B1", 1, "青铜器库", "Bronze store"),
    *_store(f"{STORE}-B1", 2, "陶瓷库", "Ceramics store"),
    *_store(f"{STORE}-B1", 3, "玉器杂项库", "Jade and decorative arts store"),
    DemoLocation(f"{STORE}-B2", _lm("库房地下二层", "Store, basement level 2"),
                 Location.Kind.FLOOR, STORE),
    *_store(f"{STORE}-B2", 4, "书画库", "Painting and calligraphy store"),
    *_store(f"{STORE}-B2", 5, "织绣库", "Textile store"),
    *_store(f"{STORE}-B2", 6, "家具钟表库", "Furniture and clock store"),
]


# --- Periods --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """A dynasty or a reign, with the years it spans (negative years are BCE)."""

    code: str
    zh: str
    en: str
    start: int
    end: int
    mark: str = ""
    """Six-character reign mark (款) written on court porcelain and enamel of the reign."""


# Years: conventional dates of Chinese history, e.g. the Xia–Shang–Zhou Chronology Project
# (夏商周断代工程, 2000) for Shang and Western Zhou; the reign years are those of the emperors'
# era names (年号).
PERIODS: dict[str, Period] = {period.code: period for period in [
    Period("liangzhu", "新石器时代良渚文化", "Neolithic, Liangzhu culture", -3300, -2300),
    Period("hongshan", "新石器时代红山文化", "Neolithic, Hongshan culture", -4700, -2900),
    Period("shang", "商", "Shang dynasty", -1600, -1046),
    Period("western-zhou", "西周", "Western Zhou dynasty", -1046, -771),
    Period("spring-autumn", "春秋", "Spring and Autumn period", -770, -476),
    Period("warring-states", "战国", "Warring States period", -475, -221),
    Period("western-han", "西汉", "Western Han dynasty", -206, 8),
    Period("eastern-han", "东汉", "Eastern Han dynasty", 25, 220),
    Period("tang", "唐", "Tang dynasty", 618, 907),
    Period("northern-song", "北宋", "Northern Song dynasty", 960, 1127),
    Period("southern-song", "南宋", "Southern Song dynasty", 1127, 1279),
    Period("yuan", "元", "Yuan dynasty", 1271, 1368),
    Period("ming", "明", "Ming dynasty", 1368, 1644),
    Period("yongle", "明永乐", "Ming dynasty, Yongle reign", 1403, 1424, "大明永乐年制"),
    Period("xuande", "明宣德", "Ming dynasty, Xuande reign", 1426, 1435, "大明宣德年制"),
    Period("jingtai", "明景泰", "Ming dynasty, Jingtai reign", 1450, 1457, "大明景泰年制"),
    Period("chenghua", "明成化", "Ming dynasty, Chenghua reign", 1465, 1487, "大明成化年制"),
    Period("jiajing", "明嘉靖", "Ming dynasty, Jiajing reign", 1522, 1566, "大明嘉靖年制"),
    Period("wanli", "明万历", "Ming dynasty, Wanli reign", 1573, 1620, "大明万历年制"),
    Period("late-ming", "明晚期", "late Ming dynasty", 1573, 1644),
    Period("qing", "清", "Qing dynasty", 1644, 1911),
    Period("kangxi", "清康熙", "Qing dynasty, Kangxi reign", 1662, 1722, "大清康熙年制"),
    Period("yongzheng", "清雍正", "Qing dynasty, Yongzheng reign", 1723, 1735, "大清雍正年制"),
    Period("qianlong", "清乾隆", "Qing dynasty, Qianlong reign", 1736, 1795, "大清乾隆年制"),
    Period("jiaqing", "清嘉庆", "Qing dynasty, Jiaqing reign", 1796, 1820, "大清嘉庆年制"),
    Period("daoguang", "清道光", "Qing dynasty, Daoguang reign", 1821, 1850, "大清道光年制"),
    Period("guangxu", "清光绪", "Qing dynasty, Guangxu reign", 1875, 1908, "大清光绪年制"),
]}
PINYIN_MARKS = {
    "大明永乐年制": "Da Ming Yongle nian zhi", "大明宣德年制": "Da Ming Xuande nian zhi",
    "大明景泰年制": "Da Ming Jingtai nian zhi", "大明成化年制": "Da Ming Chenghua nian zhi",
    "大明嘉靖年制": "Da Ming Jiajing nian zhi", "大明万历年制": "Da Ming Wanli nian zhi",
    "大清康熙年制": "Da Qing Kangxi nian zhi", "大清雍正年制": "Da Qing Yongzheng nian zhi",
    "大清乾隆年制": "Da Qing Qianlong nian zhi", "大清嘉庆年制": "Da Qing Jiaqing nian zhi",
    "大清道光年制": "Da Qing Daoguang nian zhi", "大清光绪年制": "Da Qing Guangxu nian zhi",
}


# --- Makers (painters and calligraphers; life dates from their standard biographies) ------------

@dataclass(frozen=True)
class Maker:
    zh: str
    en: str
    born: int
    died: int
    period: str


MAKERS: list[Maker] = [
    Maker("赵孟頫", "Zhao Mengfu", 1254, 1322, "yuan"),
    Maker("沈周", "Shen Zhou", 1427, 1509, "ming"),
    Maker("文徵明", "Wen Zhengming", 1470, 1559, "ming"),
    Maker("唐寅", "Tang Yin", 1470, 1524, "ming"),
    Maker("董其昌", "Dong Qichang", 1555, 1636, "ming"),
    Maker("王翚", "Wang Hui", 1632, 1717, "qing"),
    Maker("恽寿平", "Yun Shouping", 1633, 1690, "qing"),
    Maker("朱耷", "Zhu Da (Bada Shanren)", 1626, 1705, "qing"),
    Maker("石涛", "Shitao", 1642, 1707, "qing"),
    Maker("郎世宁", "Giuseppe Castiglione (Lang Shining)", 1688, 1766, "qing"),
    Maker("郑燮", "Zheng Xie (Zheng Banqiao)", 1693, 1765, "qing"),
    Maker("刘墉", "Liu Yong", 1719, 1805, "qing"),
]
CALLIGRAPHERS = ["赵孟頫", "文徵明", "董其昌", "郑燮", "刘墉"]


# --- Categories -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Form:
    """One kind of object in a category: its name, type term and plausible dimensions."""

    zh: str
    en: str
    object_type: str | None
    dimensions: tuple[tuple[str, float, float, str], ...]
    """(kind, smallest, largest, unit)."""


@dataclass(frozen=True)
class Category:
    code: str
    weight: int
    """Share of the register (relative)."""
    forms: tuple[Form, ...]
    decorations: tuple[tuple[str, str], ...]
    periods: tuple[str, ...]
    materials: tuple[tuple[str, ...], ...]
    techniques: tuple[str, ...] = ()
    medium: tuple[LanguageMap, ...] = ()
    gallery: str = ""
    store: str = ""
    marked: bool = False
    """Court pieces of a reign often carry its mark."""
    makers: tuple[LanguageMap, ...] = ()


def _f(zh: str, en: str, object_type: str | None,
       *dimensions: tuple[str, float, float, str]) -> Form:
    return Form(zh, en, object_type, dimensions)


H, W, D, L, DIA = "height", "width", "depth", "length", "diameter"
G1, G2, G3, G4 = (f"{FRONT}-1-G1", f"{FRONT}-1-G2", f"{FRONT}-2-G3", f"{FRONT}-2-G4")
G5, G6, G7 = f"{REAR}-1-G5", f"{REAR}-1-G6", f"{REAR}-1-G7"
S1, S2, S3 = f"{STORE}-B1-S1", f"{STORE}-B1-S2", f"{STORE}-B1-S3"
S4, S5, S6 = f"{STORE}-B2-S4", f"{STORE}-B2-S5", f"{STORE}-B2-S6"

CATEGORIES: list[Category] = [
    Category(
        "bronze", 16,
        (_f("鼎", "ding cauldron", "ding", (H, 15, 85, "cm"), (DIA, 12, 70, "cm")),
         _f("觚", "gu wine beaker", "gu", (H, 20, 32, "cm"), (DIA, 12, 18, "cm")),
         _f("簋", "gui food vessel", "vessel", (H, 12, 30, "cm"), (DIA, 15, 28, "cm")),
         _f("尊", "zun wine vessel", "vessel", (H, 20, 45, "cm"), (DIA, 18, 40, "cm")),
         _f("爵", "jue wine cup", "vessel", (H, 15, 25, "cm"), (L, 14, 20, "cm")),
         _f("壶", "hu wine jar", "vessel", (H, 25, 60, "cm"), (DIA, 12, 30, "cm"))),
        (("兽面纹", "taotie mask design"), ("夔龙纹", "kui dragon design"),
         ("云雷纹", "cloud-and-thunder pattern"), ("窃曲纹", "interlaced pattern"),
         ("蟠螭纹", "interlaced serpent design"), ("凤鸟纹", "phoenix design")),
        ("shang", "shang", "western-zhou", "western-zhou", "spring-autumn", "warring-states"),
        (("bronze",),), ("casting",), (_lm("青铜", "bronze"),), G1, S1),
    Category(
        "jade", 10,
        (_f("璧", "bi disc", "bi-disc", (DIA, 8, 30, "cm"), ("thickness", 0.4, 1.5, "cm")),
         _f("琮", "cong", "cong", (H, 4, 35, "cm"), (W, 5, 17, "cm")),
         _f("佩", "pendant", None, (L, 4, 12, "cm"), (W, 2, 7, "cm")),
         _f("山子", "jade mountain", "sculpture", (H, 12, 60, "cm"), (W, 15, 80, "cm")),
         _f("碗", "bowl", "bowl", (H, 5, 9, "cm"), (DIA, 12, 18, "cm")),
         _f("印", "seal", "seal", (H, 4, 12, "cm"), (W, 3, 10, "cm"))),
        (("素面", "plain"), ("谷纹", "grain pattern"), ("神人兽面纹", "god-and-beast mask"),
         ("龙纹", "dragon design"), ("螭龙纹", "chi dragon design"),
         ("山水人物", "figures in a landscape")),
        ("liangzhu", "hongshan", "western-han", "eastern-han", "qianlong", "qianlong", "qing"),
        (("nephrite",), ("jade",)), ("carving",), (_lm("和田玉", "nephrite (Hetian jade)"),),
        G4, S3),
    Category(
        "porcelain", 22,
        (_f("梅瓶", "meiping vase", "vase", (H, 25, 45, "cm"), (DIA, 8, 15, "cm")),
         _f("天球瓶", "globular vase", "vase", (H, 35, 55, "cm"), (DIA, 30, 45, "cm")),
         _f("碗", "bowl", "bowl", (H, 6, 12, "cm"), (DIA, 12, 22, "cm")),
         _f("盘", "dish", "dish", (H, 3, 8, "cm"), (DIA, 15, 48, "cm")),
         _f("高足杯", "stem cup", "vessel", (H, 8, 12, "cm"), (DIA, 8, 11, "cm")),
         _f("罐", "jar", "vessel", (H, 15, 40, "cm"), (DIA, 15, 35, "cm"))),
        (("青花缠枝莲纹", "blue-and-white lotus scroll"),
         ("青花云龙纹", "blue-and-white dragon among clouds"),
         ("斗彩鸡缸纹", "doucai chickens"), ("粉彩花鸟纹", "famille rose birds and flowers"),
         ("五彩鱼藻纹", "wucai fish and water weeds"), ("青釉", "celadon glaze"),
         ("霁蓝釉", "sacrificial blue glaze"), ("甜白釉", "sweet-white glaze")),
        ("yongle", "xuande", "chenghua", "jiajing", "wanli", "kangxi", "yongzheng",
         "qianlong", "qianlong", "southern-song", "yuan", "guangxu"),
        (("porcelain",),), ("underglaze-blue", "famille-rose", "painting"),
        (_lm("瓷", "porcelain"),), G2, S2, marked=True),
    Category(
        "lacquer", 6,
        (_f("盒", "box", "box", (H, 5, 15, "cm"), (DIA, 10, 35, "cm")),
         _f("盘", "dish", "dish", (H, 2, 5, "cm"), (DIA, 15, 40, "cm")),
         _f("宝座屏风", "throne screen", "furniture", (H, 150, 280, "cm"), (W, 120, 300, "cm"))),
        (("剔红花卉", "carved red lacquer, flowers"), ("剔红山水人物", "carved red lacquer, "
                                                        "figures in a landscape"),
         ("黑漆螺钿", "black lacquer with mother-of-pearl inlay"), ("描金", "gold-painted")),
        ("yongle", "xuande", "jiajing", "qianlong", "qianlong"),
        (("lacquer", "wood"), ("lacquer", "wood", "shell")), ("lacquer-carving",),
        (_lm("木胎漆器", "lacquer on a wooden core"),), G6, S3, marked=True),
    Category(
        "silk", 6,
        (_f("缂丝画", "silk tapestry picture", "textile-panel", (H, 60, 200, "cm"),
            (W, 30, 80, "cm")),
         _f("绣片", "embroidered panel", "textile-panel", (H, 20, 90, "cm"), (W, 20, 70, "cm"))),
        (("缂丝花鸟", "kesi birds and flowers"), ("缂丝仙山楼阁", "kesi immortals' palace"),
         ("刺绣百子", "embroidered hundred boys"), ("刺绣梅竹", "embroidered plum and bamboo")),
        ("southern-song", "ming", "qianlong", "qing"),
        (("silk",), ("silk", "gold-leaf")), ("kesi", "embroidery"),
        (_lm("丝", "silk"),), G7, S5),
    Category(
        "painting", 14,
        (_f("轴", "hanging scroll", "hanging-scroll", (H, 90, 220, "cm"), (W, 30, 100, "cm")),
         _f("卷", "handscroll", "handscroll", (H, 25, 45, "cm"), (L, 200, 1200, "cm")),
         _f("册页", "album leaf", "album-leaf", (H, 20, 40, "cm"), (W, 20, 40, "cm"))),
        (("山水图", "Landscape"), ("秋山行旅图", "Travellers among Autumn Mountains"),
         ("花鸟图", "Birds and Flowers"), ("墨竹图", "Ink Bamboo"),
         ("松鹤图", "Pine and Cranes"), ("仿古山水图", "Landscape after Old Masters"),
         ("百骏图", "One Hundred Horses"), ("荷花图", "Lotus")),
        (), (("paper", "ink"), ("paper", "ink", "pigment"), ("silk", "ink", "pigment")),
        ("painting",), (), G3, S4),
    Category(
        "calligraphy", 6,
        (_f("轴", "hanging scroll", "calligraphy", (H, 90, 220, "cm"), (W, 30, 90, "cm")),
         _f("卷", "handscroll", "calligraphy", (H, 25, 40, "cm"), (L, 150, 900, "cm"))),
        (("行书诗", "Poem in running script"), ("草书", "Cursive script"),
         ("楷书千字文", "Thousand Character Classic in regular script"),
         ("临兰亭序", "Copy of the Preface to the Orchid Pavilion")),
        (), (("paper", "ink"),), (), (), G3, S4),
    Category(
        "furniture", 5,
        (_f("圈椅", "horseshoe-back armchair", "chair", (H, 95, 110, "cm"), (W, 58, 65, "cm"),
            (D, 45, 50, "cm")),
         _f("官帽椅", "official's hat armchair", "chair", (H, 110, 120, "cm"),
            (W, 55, 62, "cm"), (D, 44, 48, "cm")),
         _f("平头案", "flush-end table", "table", (H, 78, 88, "cm"), (L, 150, 350, "cm"),
            (D, 45, 60, "cm")),
         _f("方桌", "square table", "table", (H, 80, 88, "cm"), (W, 85, 100, "cm"),
            (D, 85, 100, "cm")),
         _f("顶箱柜", "compound cabinet", "furniture", (H, 180, 280, "cm"), (W, 90, 130, "cm"),
            (D, 50, 70, "cm"))),
        (("素工", "plain"), ("雕云龙纹", "carved with dragons among clouds"),
         ("攒拐子纹", "with key-fret openwork"), ("嵌螺钿", "inlaid with mother-of-pearl")),
        ("late-ming", "late-ming", "kangxi", "qianlong", "qing"),
        (("huanghuali",), ("zitan",), ("nanmu",)), ("carving",), (), G6, S6),
    Category(
        "enamel", 6,
        (_f("瓶", "vase", "cloisonne-vessel", (H, 20, 60, "cm"), (DIA, 10, 30, "cm")),
         _f("炉", "censer", "cloisonne-vessel", (H, 15, 40, "cm"), (DIA, 15, 35, "cm")),
         _f("鼻烟壶", "snuff bottle", "snuff-bottle", (H, 5, 8, "cm"), (W, 3, 5, "cm"))),
        (("掐丝珐琅缠枝莲纹", "cloisonné lotus scroll"), ("掐丝珐琅兽面纹", "cloisonné taotie"),
         ("画珐琅花卉", "painted enamel flowers"), ("画珐琅西洋人物", "painted enamel "
                                                           "European figures")),
        ("jingtai", "kangxi", "yongzheng", "qianlong", "qianlong"),
        (("cloisonne-enamel", "copper", "gold-leaf"), ("painted-enamel", "copper")),
        ("cloisonne", "gilding"), (_lm("铜胎珐琅", "enamel on copper"),), G6, S3, marked=True),
    Category(
        "clock", 4,
        (_f("座钟", "table clock", "clock", (H, 40, 120, "cm"), (W, 25, 60, "cm")),
         _f("楼阁式钟", "pavilion clock", "clock", (H, 80, 230, "cm"), (W, 40, 90, "cm")),
         _f("怀表", "pocket watch", "clock", (DIA, 4, 7, "cm"))),
        (("铜镀金转花", "gilt bronze with revolving flowers"),
         ("铜镀金写字人", "gilt bronze with a writing automaton"),
         ("珐琅山水", "enamel with landscape"), ("紫檀嵌珐琅", "zitan inlaid with enamel")),
        ("qianlong", "qianlong", "jiaqing", "daoguang"),
        (("copper", "gold-leaf", "enamel"), ("copper", "gold-leaf", "glass"),
         ("zitan", "copper", "enamel")), ("gilding",), (), G5, S6,
        makers=(_lm("清宫造办处做钟处", "Qing Imperial Workshops, clock workshop"),
                _lm("广州钟表作坊", "Guangzhou clockmakers"),
                _lm("詹姆斯·考克斯", "James Cox, London"))),
    Category(
        "textile", 5,
        (_f("龙袍", "dragon robe", "robe", (L, 135, 150, "cm"), (W, 180, 210, "cm")),
         _f("吉服袍", "festive robe", "robe", (L, 130, 145, "cm"), (W, 170, 200, "cm")),
         _f("氅衣", "informal coat", "robe", (L, 130, 140, "cm"), (W, 150, 180, "cm"))),
        (("明黄色缎绣云龙纹", "bright yellow satin embroidered with dragons and clouds"),
         ("石青色缎绣八团", "dark blue satin with eight embroidered roundels"),
         ("红色纱绣金龙", "red gauze with gold dragons")),
        ("kangxi", "qianlong", "qianlong", "jiaqing", "guangxu"),
        (("silk", "gold-leaf"), ("silk", "pearl"), ("silk", "cotton")), ("embroidery",),
        (_lm("丝、金线", "silk and gold thread"),), G7, S5),
]


# --- Grades, acquisition ------------------------------------------------------------------------

# Grade shares: precious relics (一级 to 三级) are a minority of a collection; at the Palace
# Museum about 8,000 of 1.86 million objects are grade 1 (Palace Museum collection census,
# 2010). These shares are a demo's round numbers, weighted to show every grade.
GRADES: list[tuple[str, int]] = [
    (CatalogObject.Grade.GRADE_1, 3), (CatalogObject.Grade.GRADE_2, 9),
    (CatalogObject.Grade.GRADE_3, 23), (CatalogObject.Grade.GENERAL, 57),
    (CatalogObject.Grade.UNGRADED, 8),
]
ACQUISITIONS: list[tuple[str, int]] = [("transfer", 45), ("purchase", 20), ("gift", 20),
                                       ("field-collection", 8), ("bequest", 4),
                                       ("unknown", 3)]
DONORS: list[LanguageMap] = [_lm("陈先生", "Mr Chen"), _lm("林女士", "Ms Lin"),
                             _lm("周氏家族", "the Zhou family"), _lm("吴先生", "Mr Wu"),
                             _lm("郑女士", "Ms Zheng")]


# --- Object generation ---------------------------------------------------------------------------

@dataclass
class DemoObject:
    number: str
    category: str
    values: dict[str, Any]
    object_type: str | None
    materials: list[str]
    techniques: list[str]
    home: str
    """Code of the location the object is in now."""
    history: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    """Earlier moves before the last: (location code, reason, moved at)."""


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([value for value, _w in weighted],
                       weights=[weight for _v, weight in weighted])[0]


def _moment(rng: random.Random, start: dt.date, end: dt.date) -> dt.datetime:
    days = max((end - start).days, 0)
    day = start + dt.timedelta(days=rng.randint(0, days))
    # Working hours, China Standard Time (UTC+8): moves happen when staff are in.
    return dt.datetime(day.year, day.month, day.day, rng.randint(1, 8), rng.choice([0, 15, 30,
                                                                                     45]),
                       tzinfo=dt.UTC)


def _dimension(rng: random.Random, low: float, high: float) -> str:
    return str(Decimal(str(round(rng.uniform(low, high), 1))).normalize())


def _cases(code: str) -> list[str]:
    cases = [place.code for place in LOCATIONS if place.parent == code]
    return cases or [code]


def demo_objects(count: int = OBJECT_COUNT) -> list[DemoObject]:
    """The first ``count`` demo objects, the same on every run (numbers TH000001…)."""
    rng = random.Random(SEED)  # noqa: S311  (demo data, not secrets: it must repeat)
    weights = [category.weight for category in CATEGORIES]
    painters = list(MAKERS)
    calligraphers = [maker for maker in MAKERS if maker.zh in CALLIGRAPHERS]
    objects: list[DemoObject] = []
    for index in range(1, count + 1):
        category = rng.choices(CATEGORIES, weights=weights)[0]
        form = rng.choice(category.forms)
        decoration_zh, decoration_en = rng.choice(category.decorations)
        makers: list[dict[str, Any]] = []
        if category.code in ("painting", "calligraphy"):
            maker = rng.choice(painters if category.code == "painting" else calligraphers)
            period = PERIODS[maker.period]
            # Works date from the maker's adult life, within the dynasty named.
            earliest = max(maker.born + 20, period.start)
            latest = min(maker.died, period.end)
            makers.append({"name": _lm(maker.zh, maker.en),
                           "role": "painter" if category.code == "painting" else "calligrapher"})
            title = _lm(f"{maker.zh}{decoration_zh}{form.zh}",
                        f"{decoration_en}, {form.en}, by {maker.en}")
            name = _lm(form.zh, form.en)
        else:
            period = PERIODS[rng.choice(category.periods)]
            earliest, latest = period.start, period.end
            title = _lm(f"{period.zh}{decoration_zh}{form.zh}",
                        f"{form.en.capitalize()}, {decoration_en}")
            name = _lm(form.zh, form.en)
            if category.makers:
                makers.append({"name": rng.choice(category.makers), "role": "maker"})
        materials = list(rng.choice(category.materials))
        techniques = [rng.choice(category.techniques)] if category.techniques else []
        if category.code == "porcelain":
            techniques = (["underglaze-blue"] if "青花" in decoration_zh else
                          ["famille-rose"] if "粉彩" in decoration_zh else
                          ["painting"] if "彩" in decoration_zh else [])
        inscriptions: list[dict[str, Any]] = []
        if category.marked and period.mark and rng.random() < 0.7:
            inscriptions.append({"text": _lm(period.mark, PINYIN_MARKS[period.mark]),
                                 "kind": "mark", "position": "底 / base"})
        if category.code in ("painting", "calligraphy"):
            inscriptions.append({"text": _lm(f"{makers[0]['name']['zh-Hans']}印",
                                             f"Seal of {makers[0]['name']['en']}"),
                                 "kind": "seal", "position": "左下 / lower left"})
        method = _pick(rng, ACQUISITIONS)
        if method == "field-collection" and category.code not in ("bronze", "jade"):
            method = "transfer"
        acquired = dt.date(rng.randint(1952, 2024), rng.randint(1, 12), rng.randint(1, 28))
        values: dict[str, Any] = {
            "object_name": name, "title": title, "makers": makers,
            "culture": _lm("中国", "China"), "period": _lm(period.zh, period.en),
            "production_date": period.zh, "year_earliest": earliest, "year_latest": latest,
            "medium": rng.choice(category.medium) if category.medium else {},
            "dimensions": [{"kind": kind, "value": _dimension(rng, low, high), "unit": unit}
                           for kind, low, high, unit in form.dimensions],
            "inscriptions": inscriptions,
            "acquisition_method": method, "acquisition_date": acquired,
            "acquisition_source": rng.choice(DONORS) if method in ("gift", "bequest") else {},
            "credit_line": {},
            "grade": _pick(rng, GRADES),
        }
        if method == "gift":
            donor = values["acquisition_source"]
            values["credit_line"] = _lm(f"{donor['zh-Hans']}捐赠", f"Gift of {donor['en']}")
        on_show = rng.random() < 0.22
        home = rng.choice(_cases(category.gallery) if on_show else _cases(category.store))
        entered = _moment(rng, max(acquired, dt.date(2015, 1, 1)), dt.date(2019, 12, 31))
        history: list[tuple[str, str, dt.datetime]] = [
            (rng.choice(_cases(category.store)), "storage", entered)]
        if rng.random() < 0.15:
            # Photographed or treated before it reached where it is now.
            # Objects acquired lately went in later: each move follows the one before.
            later = max(_moment(rng, dt.date(2020, 1, 1), dt.date(2022, 12, 31)),
                        entered + dt.timedelta(days=7))
            history.append((rng.choice([STUDIO, LAB]), rng.choice(["photography",
                                                                   "conservation"]), later))
        values["is_published"] = on_show or rng.random() < 0.1
        objects.append(DemoObject(
            number=f"{NUMBER_PREFIX}{index:06d}", category=category.code, values=values,
            object_type=form.object_type, materials=materials, techniques=techniques,
            home=home, history=history))
    return objects


# --- Loading ------------------------------------------------------------------------------------

def _env_count(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip().isdigit() else default


@kernel_demo.register("catalog", order=30)
def load(write: Callable[[str], None]) -> dict[str, Any]:
    """The demo collection (after the directory's people, whose registrar and conservator
    record it). ``TAIHE_DEMO_CATALOG_OBJECTS`` and ``TAIHE_DEMO_CATALOG_IMAGES`` make it
    smaller or larger."""
    return load_collection(write, objects=_env_count("TAIHE_DEMO_CATALOG_OBJECTS", OBJECT_COUNT),
                           images=_env_count("TAIHE_DEMO_CATALOG_IMAGES", IMAGE_COUNT))


def load_collection(write: Callable[[str], None], *, objects: int = OBJECT_COUNT,
                    images: int = IMAGE_COUNT) -> dict[str, Any]:
    """Create whatever part of the demo collection is missing: the first ``objects`` demo
    objects and images for the first ``images`` of them.

    Raises :class:`RuntimeError` when the directory's demo people (``registrar``,
    ``conservator``) or the ``collections`` department are missing: load the directory's
    demo first (``taihe demo`` runs it before this loader)."""
    people = get_user_model().objects
    registrar = people.filter(username=REGISTRAR).first()
    conservator = people.filter(username=CONSERVATOR).first()
    department = directory.department_by_code(CUSTODIAN_DEPARTMENT)
    if registrar is None or conservator is None or department is None:
        raise RuntimeError("The catalog demo needs the directory's demo museum: "
                           "load the directory demo first.")
    created = {"terms": seed.ensure_terms(), "locations": 0, "objects": 0, "movements": 0,
               "condition_checks": 0, "treatments": 0, "loans": 0, "exhibitions": 0,
               "images": 0}
    specs = demo_objects(objects)
    with context.bound(request_id="taihe-demo", actor_id=registrar.pk):
        locations = _load_locations(registrar, created)
        ids = _load_objects(registrar, specs, locations, department.id, created)
        _load_conditions(conservator, specs, ids, created)
        _load_loan(registrar, specs, ids, created)
        _load_exhibition(registrar, specs, ids, locations, created)
        _load_images(registrar, specs, ids, images, created)
    if any(created.values()):
        write("  created " + ", ".join(f"{value} {key.replace('_', ' ')}"
                                       for key, value in created.items() if value))
    return {"locations": len(locations), "objects": len(ids),
            "created": sum(created.values())}


def _load_locations(actor: Any, created: dict[str, int]) -> dict[str, Location]:
    existing = {place.code: place for place in Location.objects.filter(
        code__in=[spec.code for spec in LOCATIONS])}
    for position, spec in enumerate(LOCATIONS):
        if spec.code in existing:
            continue
        existing[spec.code] = services.do_save_location(actor, services.LocationInput(
            code=spec.code, name=spec.name, kind=spec.kind,
            parent_id=existing[spec.parent].pk if spec.parent else None,
            is_public=spec.is_public, is_restricted=spec.is_restricted, sort_order=position))
        created["locations"] += 1
    return existing


def _load_objects(actor: Any, specs: list[DemoObject], locations: dict[str, Location],
                  department_id: int, created: dict[str, int]) -> dict[str, int]:
    """Bulk-insert the missing objects with their terms, revision 1, search document and
    movements. Returns the ids of all the demo objects by number."""
    numbers = [spec.number for spec in specs]
    ids = dict(CatalogObject.objects.filter(object_number__in=numbers)
               .values_list("object_number", "id"))
    missing = [spec for spec in specs if spec.number not in ids]
    if not missing:
        return ids
    terms = {(term.scheme, term.code): term.pk for term in Term.objects.filter(
        scheme__in=["material", "object_type", "technique"])}
    with transaction.atomic():
        rows = []
        for spec in missing:
            row = CatalogObject(object_number=spec.number, number_sort=number_sort_key(
                spec.number), department_id=department_id, revision=1,
                object_type_id=terms[("object_type", spec.object_type)]
                if spec.object_type else None, **spec.values)
            rows.append(row)
        CatalogObject.objects.bulk_create(rows, batch_size=500)
        # bulk_create returns primary keys on SQLite 3.35+ and PostgreSQL; read them back by
        # number anyway, so an engine without RETURNING works too.
        new_ids = dict(CatalogObject.objects.filter(
            object_number__in=[spec.number for spec in missing])
            .values_list("object_number", "id"))
        ids.update(new_ids)
        links = [ObjectMaterial(object_id=new_ids[spec.number],
                                term_id=terms[("material", code)], position=position)
                 for spec in missing for position, code in enumerate(spec.materials)]
        ObjectMaterial.objects.bulk_create(links, batch_size=1000)
        through = CatalogObject.techniques.through
        through.objects.bulk_create(
            [through(catalogobject_id=new_ids[spec.number],
                     term_id=terms[("technique", code)])
             for spec in missing for code in spec.techniques], batch_size=1000)
        _write_revisions(actor, list(new_ids.values()))
        services.reindex(new_ids.values())
        created["objects"] += len(missing)
        created["movements"] += _write_movements(actor, missing, new_ids, locations)
    return ids


def _write_revisions(actor: Any, object_ids: list[int]) -> None:
    """Revision 1 of each new object, as ``services.do_create_object`` records it."""
    revisions = []
    for start in range(0, len(object_ids), 500):
        batch = (CatalogObject.objects.filter(pk__in=object_ids[start:start + 500])
                 .select_related("object_type")
                 .prefetch_related("material_links__term", "techniques"))
        for obj in batch:
            after = services.snapshot(obj)
            revisions.append(ObjectRevision(
                object_id=obj.pk, number=1, source="import", changed_by_id=actor.pk,
                changes={name: [None, value] for name, value in after.items()
                         if value is not None}, snapshot=after))
    ObjectRevision.objects.bulk_create(revisions, batch_size=500)


def _write_movements(actor: Any, specs: list[DemoObject], ids: dict[str, int],
                     locations: dict[str, Location]) -> int:
    movements = []
    moved_last = dt.datetime(2024, 6, 1, 2, 0, tzinfo=dt.UTC)
    installed = dt.datetime(2025, 8, 15, 2, 0, tzinfo=dt.UTC)
    for spec in specs:
        previous: int | None = None
        steps = [*spec.history]
        final_reason = "exhibition" if locations[spec.home].is_public else "storage"
        if steps[-1][0] != spec.home:
            # Galleries were re-hung in June 2024; the special exhibition was installed in
            # August 2025, before it opened.
            last_at = max(steps[-1][2] + dt.timedelta(days=30),
                          installed if spec.home.startswith(G7) else moved_last)
            steps.append((spec.home, final_reason, last_at))
        for code, reason, moved_at in steps:
            target = locations[code].pk
            movements.append(Movement(object_id=ids[spec.number], from_location_id=previous,
                                      to_location_id=target, moved_at=moved_at,
                                      recorded_by_id=actor.pk, reason=reason))
            previous = target
    # One insert per row under the hood on SQLite (the trigger runs per row either way).
    Movement.objects.bulk_create(movements, batch_size=500)
    return len(movements)


def _chosen(specs: list[DemoObject], every: int, limit: int) -> list[DemoObject]:
    return specs[every - 1::every][:limit]


def _load_conditions(actor: Any, specs: list[DemoObject], ids: dict[str, int],
                     created: dict[str, int]) -> None:
    """About 40 condition checks and a few treatments (every 50th object)."""
    picked = _chosen(specs, 50, 40)
    checked = set(ConditionCheck.objects.filter(
        object_id__in=[ids[spec.number] for spec in picked]).values_list("object_id",
                                                                        flat=True))
    rng = random.Random(SEED + 1)  # noqa: S311  (demo data, not secrets)
    conditions = ["good", "good", "good", "fair", "fair", "poor"]
    hazards = {"bronze": ["heavy"], "porcelain": ["fragile"], "jade": ["fragile"],
               "clock": ["mercury-gilding", "fragile"], "painting": ["pest-infested"]}
    objects = CatalogObject.objects.in_bulk([ids[spec.number] for spec in picked])
    for index, spec in enumerate(picked):
        obj = objects[ids[spec.number]]
        if obj.pk in checked:
            continue
        condition = rng.choice(conditions)
        checked_at = _moment(rng, dt.date(2024, 1, 1), dt.date(2025, 6, 30))
        services.do_record_condition_check(actor, obj, services.ConditionInput(
            condition=condition, checked_at=checked_at, reason="routine",
            hazards=hazards.get(spec.category, [])[:1 + index % 2],
            note=_CONDITION_NOTES[condition],
            recommendations=("" if condition == "good" else
                             "建议送修复室评估。 Refer to the conservation lab for assessment."),
            next_check_due=(checked_at + dt.timedelta(days=365 if condition == "good"
                                                      else 90)).date(),
            is_baseline=index % 4 == 0))
        created["condition_checks"] += 1
        if condition == "poor" and not Treatment.objects.filter(object=obj).exists():
            finished = checked_at.date() + dt.timedelta(days=60)
            services.do_save_treatment(actor, obj, services.TreatmentInput(
                status="completed", started_on=checked_at.date() + dt.timedelta(days=14),
                finished_on=finished,
                proposal="表面清洁，加固起翘部位。 Surface cleaning; consolidate lifting areas.",
                treatment="软毛刷与去离子水清洁，局部加固。 Cleaned with soft brushes and "
                          "deionised water; local consolidation.",
                materials_used="Paraloid B-72 (5% in acetone)",
                outcome="状况稳定。 Stable."))
            created["treatments"] += 1


_CONDITION_NOTES = {
    "good": "器物完好，无新增病害。 Sound, no new damage.",
    "fair": "表面轻微污渍与磨损。 Light surface dirt and wear.",
    "poor": "局部起翘、裂隙。 Local lifting and cracks.",
}


def _load_loan(actor: Any, specs: list[DemoObject], ids: dict[str, int],
               created: dict[str, int]) -> None:
    """One loan out to a (fictitious) museum, listed and awaiting approval."""
    if Loan.objects.filter(number=LOAN_NUMBER).exists():
        return
    lent = [spec for spec in specs if spec.category == "porcelain"
            and spec.values["grade"] in (CatalogObject.Grade.GRADE_2,
                                         CatalogObject.Grade.GRADE_3)][:6]
    if not lent:
        return
    # The loan lies ahead of whoever opens the demo: it starts on the first of the month
    # after next and lasts six months.
    today = timezone.localdate()
    starts = (today.replace(day=1) + dt.timedelta(days=62)).replace(day=1)
    ends = (starts + dt.timedelta(days=183)).replace(day=1) - dt.timedelta(days=1)
    loan = services.do_save_loan(actor, services.LoanInput(
        number=LOAN_NUMBER, direction=Loan.Direction.OUT,
        partner=_lm("江南博物院", "Jiangnan Museum"),
        venue=_lm("江南博物院特展厅", "Jiangnan Museum, special exhibition hall"),
        purpose="“明清官窑瓷器”特展。 For the exhibition Imperial Porcelain of the Ming and Qing.",
        starts_on=starts, ends_on=ends,
        environment_requirements="温度20±2℃，相对湿度50±5%，照度≤200 lx。 "
                                 "20±2 °C, 50±5 % RH, at most 200 lux."))
    services.do_set_loan_objects(actor, loan, [
        (ids[spec.number], Decimal(500000 if spec.values["grade"] == "grade-2" else 200000))
        for spec in lent])
    services.do_request_loan_approval(actor, loan)
    created["loans"] += 1


def _load_exhibition(actor: Any, specs: list[DemoObject], ids: dict[str, int],
                     locations: dict[str, Location], created: dict[str, int]) -> None:
    """One open exhibition in the special exhibition hall of objects shown there."""
    if Exhibition.objects.filter(code=EXHIBITION_CODE).exists():
        return
    shown = [ids[spec.number] for spec in specs if spec.home.startswith(G7)][:40]
    services.do_save_exhibition(
        actor, code=EXHIBITION_CODE,
        title=_lm("宫廷织绣", "Silk at the Qing Court"),
        description=_lm("清代宫廷织绣与缂丝精品。",
                        "Embroidery and silk tapestry made for the Qing court."),
        status=Exhibition.Status.OPEN,
        venues=[services.VenueInput(name=_lm("太和博物馆特展厅",
                                             "Taihe Museum, Special Exhibition Hall"),
                                    opens_on=dt.date(2025, 9, 1),
                                    closes_on=max(dt.date(2026, 9, 1),
                                                  timezone.localdate() + dt.timedelta(days=365)),
                                    location_id=locations[G7].pk)],
        object_ids=shown)
    created["exhibitions"] += 1


def _load_images(actor: Any, specs: list[DemoObject], ids: dict[str, int], count: int,
                 created: dict[str, int]) -> None:
    """A generated photograph for the first ``count`` objects that have none. The IIIF
    tiles follow in the background (job ``catalog.media.derivatives``)."""
    from taihe.modules.catalog.demo_images import render_object_image

    wanted = specs[:count]
    with_media = set(Media.objects.filter(object_id__in=[ids[spec.number] for spec in wanted])
                     .values("object_id").annotate(n=Count("id"))
                     .values_list("object_id", flat=True))
    objects = CatalogObject.objects.in_bulk([ids[spec.number] for spec in wanted])
    for index, spec in enumerate(wanted):
        obj = objects[ids[spec.number]]
        if obj.pk in with_media:
            continue
        # The image generator draws silk and other textiles alike.
        image = render_object_image("textile" if spec.category == "silk" else spec.category,
                                    SEED + index)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
        upload = ContentFile(buffer.getvalue(), name=f"{spec.number}.jpg")
        services.do_add_media(actor, obj, upload, caption=obj.title,
                              rights="https://creativecommons.org/publicdomain/zero/1.0/")
        created["images"] += 1

