"""Seed controlled vocabularies of the catalog, as data.

Each scheme is a tuple of frozen :class:`Term` records: a stable code, labels in
``zh-Hans`` / ``en`` (and ``zh-Hant`` where the traditional form is certain), the Getty AAT id
where it has been verified, the code of the broader term, and keywords the importers use to
recognise the term in free text (``classify_materials`` in ``importing.materials``).

AAT ids. An id is filled in only when it was checked, never from memory:

* ``[cromulent]`` — ``cromulent`` 1.0.1 (the Getty's own Linked Art library),
  ``cromulent/data/vocab_instances.json`` and ``vocab_classes.json``;
* ``[agree]`` — the same id for the same concept in at least three independent public
  mappings read through the code index (e.g. silk = 300243428, porcelain = 300010662,
  jade = 300011119, ivory = 300011857), or two for gold (300011021).

Every other id is ``None`` on purpose: look it up once on vocab.getty.edu before adding it.

Grades follow 《文物藏品定级标准》 (一级 / 二级 / 三级 precious relics, 一般 general); the
condition scheme follows the Spectrum 5.1 condition-checking unit "Condition" with the
common four-step scale and a completeness scale (Spectrum "Completeness"); movement reasons
follow Spectrum 5.1 "Reason for move". The national census's 35 categories are not included:
no authoritative list was available to copy from.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache


@dataclass(frozen=True)
class Term:
    scheme: str
    code: str
    labels: Mapping[str, str]
    """``{"zh-Hans": …, "en": …}`` and ``"zh-Hant"`` where certain."""
    aat_id: str | None = None
    parent: str | None = None
    """Code of the broader term in the same scheme."""
    keywords: tuple[str, ...] = field(default=())
    """Words that name the term in free text, any language (the labels count too)."""


def _terms(scheme: str, rows: Iterable[tuple]) -> tuple[Term, ...]:
    built = []
    for row in rows:
        code, en, hans, hant, aat, parent, keywords = row
        labels = {"zh-Hans": hans, "en": en}
        if hant:
            labels["zh-Hant"] = hant
        built.append(Term(scheme, code, labels, aat, parent, tuple(keywords)))
    return tuple(built)


# (code, en, zh-Hans, zh-Hant or None, AAT id or None, parent or None, keywords)
MATERIALS = _terms("material", [
    ("metal", "metal", "金属", "金屬", "300010900", None,  # [cromulent]
     ["metal", "metals", "金属", "金屬"]),
    ("bronze", "bronze", "青铜", "青銅", "300010957", "metal",  # [cromulent]
     ["bronze", "青铜", "青銅"]),
    ("copper", "copper", "铜", "銅", "300011020", "metal",  # [cromulent]
     ["copper", "copper alloy", "铜", "銅", "紫铜", "紫銅", "红铜", "紅銅"]),
    ("gold", "gold", "金", "金", "300011021", "metal",  # [agree]
     ["gold", "黄金", "黃金", "金"]),
    ("silver", "silver", "银", "銀", "300011029", "metal",  # [cromulent]
     ["silver", "银", "銀"]),
    ("iron", "iron", "铁", "鐵", None, "metal", ["iron", "铁", "鐵"]),
    ("gold-leaf", "gilt / gold leaf", "鎏金 / 金箔", "鎏金 / 金箔", "300264831", "gold",
     # [cromulent] gold leaf; 鎏金 is fire (mercury) gilding, 泥金/描金 gold paint
     ["gilt", "gilded", "gilding", "gold leaf", "鎏金", "金箔", "泥金", "描金", "贴金", "貼金"]),
    ("jade", "jade", "玉", "玉", "300011119", "stone",  # [agree]
     ["jade", "jadeite", "玉", "玉石", "翡翠"]),
    ("nephrite", "nephrite", "软玉", "軟玉", None, "jade", ["nephrite", "软玉", "軟玉", "和田玉"]),
    ("stone", "stone", "石", "石", "300011176", None,  # [cromulent]
     ["stone", "石"]),
    ("marble", "marble", "大理石", "大理石", "300011443", "stone",  # [cromulent]
     ["marble", "大理石", "汉白玉", "漢白玉"]),
    ("ceramic", "ceramic", "陶瓷", "陶瓷", None, None, ["ceramic", "ceramics", "陶瓷"]),
    ("porcelain", "porcelain", "瓷", "瓷", "300010662", "ceramic",  # [agree]
     ["porcelain", "瓷", "瓷器", "青花", "粉彩", "斗彩", "鬥彩", "五彩"]),
    ("stoneware", "stoneware", "炻器", "炻器", None, "ceramic", ["stoneware", "炻器"]),
    ("earthenware", "earthenware", "陶", "陶", None, "ceramic",
     ["earthenware", "pottery", "陶", "陶器", "彩陶", "灰陶", "三彩"]),
    ("terracotta", "terracotta", "赤陶", "赤陶", "300010669", "earthenware",  # [cromulent]
     ["terracotta", "terra cotta", "赤陶"]),
    ("glass", "glass", "玻璃", "玻璃", "300010797", None,  # [cromulent]
     ["glass", "玻璃", "料器"]),
    ("enamel", "enamel", "珐琅", "琺瑯", None, None, ["enamel", "enamels", "enameled", "enamelled",
                                                      "珐琅", "琺瑯", "搪瓷"]),
    ("cloisonne-enamel", "cloisonné enamel", "掐丝珐琅", "掐絲琺瑯", None, "enamel",
     ["cloisonne", "cloisonné", "掐丝珐琅", "掐絲琺瑯", "景泰蓝", "景泰藍"]),
    ("painted-enamel", "painted enamel", "画珐琅", "畫琺瑯", None, "enamel",
     ["painted enamel", "画珐琅", "畫琺瑯"]),
    ("lacquer", "lacquer", "漆", "漆", None, None, ["lacquer", "lacquered", "漆", "漆器", "剔红",
                                                   "剔紅", "雕漆"]),
    ("wood", "wood", "木", "木", "300011914", None,  # [cromulent]
     ["wood", "wooden", "木", "木材", "木质", "木質"]),
    ("zitan", "zitan (red sandalwood)", "紫檀", "紫檀", None, "wood", ["zitan", "紫檀"]),
    ("huanghuali", "huanghuali", "黄花梨", "黃花梨", None, "wood",
     ["huanghuali", "黄花梨", "黃花梨", "花梨"]),
    ("nanmu", "nanmu", "楠木", "楠木", None, "wood", ["nanmu", "楠木"]),
    ("bamboo", "bamboo", "竹", "竹", None, None, ["bamboo", "竹", "竹子"]),
    ("ivory", "ivory", "象牙", "象牙", "300011857", None,  # [agree]
     ["ivory", "象牙", "牙雕"]),
    ("bone", "bone", "骨", "骨", "300011798", None,  # [cromulent]
     ["bone", "骨", "骨器"]),
    ("horn", "horn", "角", "角", None, None, ["horn", "rhinoceros horn", "犀角", "牛角", "角器"]),
    ("textile", "textile", "纺织品", "紡織品", None, None,
     ["textile", "textiles", "fabric", "纺织品", "紡織品", "织物", "織物"]),
    ("silk", "silk", "丝", "絲", "300243428", "textile",  # [agree]
     ["silk", "丝", "絲", "丝绸", "絲綢", "绢", "絹", "绫", "綾", "缎", "緞", "缂丝", "緙絲"]),
    ("cotton", "cotton", "棉", "棉", None, "textile", ["cotton", "棉", "棉布"]),
    ("paper", "paper", "纸", "紙", "300014109", None,  # [cromulent]
     ["paper", "纸", "紙", "纸本", "紙本", "宣纸", "宣紙"]),
    ("ink", "ink", "墨", "墨", "300015012", None,  # [cromulent]
     ["ink", "墨", "水墨", "墨笔", "墨筆"]),
    ("pigment", "pigment / colour", "颜料", "顏料", None, None,
     ["pigment", "pigments", "color", "colors", "colour", "colours", "颜料", "顏料", "设色",
      "設色", "着色", "著色", "淡设色", "淡設色", "矿物颜料", "礦物顏料"]),
    ("leather", "leather", "皮革", "皮革", None, None, ["leather", "皮革", "皮"]),
    ("feather", "feather", "羽毛", "羽毛", None, None,
     ["feather", "feathers", "kingfisher feather", "羽毛", "点翠", "點翠"]),
    ("pearl", "pearl", "珍珠", "珍珠", None, None, ["pearl", "pearls", "珍珠"]),
    ("coral", "coral", "珊瑚", "珊瑚", None, None, ["coral", "珊瑚"]),
    ("shell", "shell / mother-of-pearl", "贝壳 / 螺钿", "貝殼 / 螺鈿", None, None,
     ["shell", "mother-of-pearl", "贝", "貝", "螺钿", "螺鈿"]),
    ("canvas", "canvas", "画布", "畫布", "300014078", "textile",  # [cromulent]
     ["canvas", "画布", "畫布"]),
    ("oil-paint", "oil paint", "油画颜料", "油畫顏料", "300015050", "pigment",  # [cromulent]
     ["oil", "oil paint", "油彩", "油画", "油畫"]),
    ("plaster", "plaster", "石膏", "石膏", "300014922", None,  # [cromulent]
     ["plaster", "stucco", "石膏"]),
])

OBJECT_TYPES = _terms("object_type", [
    ("vessel", "vessel", "容器", "容器", "300193015", None,  # [cromulent]
     ["vessel", "容器", "器皿"]),
    ("ding", "ding (tripod cauldron)", "鼎", "鼎", None, "vessel", ["ding", "鼎"]),
    ("gu", "gu (wine beaker)", "觚", "觚", None, "vessel", ["gu", "觚"]),
    ("bowl", "bowl", "碗", "碗", None, "vessel", ["bowl", "碗"]),
    ("vase", "vase", "瓶", "瓶", None, "vessel", ["vase", "瓶"]),
    ("dish", "dish", "盘", "盤", None, "vessel", ["dish", "plate", "盘", "盤"]),
    ("cloisonne-vessel", "cloisonné vessel", "掐丝珐琅器", "掐絲琺瑯器", None, "vessel",
     ["cloisonné vessel", "掐丝珐琅器", "掐絲琺瑯器"]),
    ("snuff-bottle", "snuff bottle", "鼻烟壶", "鼻煙壺", None, "vessel",
     ["snuff bottle", "鼻烟壶", "鼻煙壺"]),
    ("painting", "painting", "绘画", "繪畫", "300033618", None,  # [cromulent]
     ["painting", "绘画", "繪畫", "画", "畫"]),
    ("hanging-scroll", "hanging scroll", "立轴", "立軸", None, "painting",
     ["hanging scroll", "立轴", "立軸", "挂轴", "掛軸"]),
    ("handscroll", "handscroll", "手卷", "手卷", None, "painting",
     ["handscroll", "hand scroll", "手卷", "长卷", "長卷"]),
    ("album-leaf", "album leaf", "册页", "冊頁", None, "painting",
     ["album leaf", "册页", "冊頁"]),
    ("calligraphy", "calligraphy", "书法", "書法", None, None, ["calligraphy", "书法", "書法"]),
    ("seal", "seal", "印章", "印章", None, None, ["seal", "印章", "玺", "璽", "印"]),
    ("bi-disc", "bi disc", "璧", "璧", None, None, ["bi disc", "bi", "璧", "玉璧"]),
    ("cong", "cong", "琮", "琮", None, None, ["cong", "琮", "玉琮"]),
    ("robe", "robe", "袍", "袍", None, None, ["robe", "袍", "龙袍", "龍袍"]),
    ("textile-panel", "textile panel", "织物残片", "織物殘片", None, None,
     ["textile panel", "panel", "织物", "織物"]),
    ("furniture", "furniture", "家具", "家具", "300037680", None,  # [cromulent]
     ["furniture", "家具"]),
    ("box", "box", "盒", "盒", None, None, ["box", "盒", "匣"]),
    ("chair", "chair", "椅", "椅", None, "furniture", ["chair", "armchair", "椅", "椅子"]),
    ("table", "table", "桌案", "桌案", None, "furniture", ["table", "桌", "案"]),
    ("clock", "clock", "钟表", "鐘錶", None, None, ["clock", "钟表", "鐘錶"]),
    ("sculpture", "sculpture", "雕塑", "雕塑", "300047090", None,  # [cromulent]
     ["sculpture", "statue", "figure", "雕塑", "造像", "塑像"]),
    ("drawing", "drawing", "素描", "素描", "300033973", None,  # [cromulent]
     ["drawing", "素描"]),
    ("print", "print", "版画", "版畫", "300041273", None,  # [cromulent]
     ["print", "版画", "版畫"]),
    ("photograph", "photograph", "照片", "照片", "300046300", None,  # [cromulent]
     ["photograph", "照片"]),
])

TECHNIQUES = _terms("technique", [
    ("casting", "casting", "铸造", "鑄造", None, None,
     ["cast", "casting", "铸", "鑄", "铸造", "鑄造"]),
    ("carving", "carving", "雕刻", "雕刻", None, None, ["carved", "carving", "雕", "雕刻", "刻"]),
    ("inlay", "inlay", "镶嵌", "鑲嵌", None, None, ["inlaid", "inlay", "镶嵌", "鑲嵌", "嵌"]),
    ("weaving", "weaving", "织造", "織造", None, None, ["woven", "weaving", "织", "織"]),
    ("embroidery", "embroidery", "刺绣", "刺繡", None, None,
     ["embroidered", "embroidery", "刺绣", "刺繡", "绣", "繡"]),
    ("kesi", "kesi (silk tapestry)", "缂丝", "緙絲", None, "weaving",
     ["kesi", "silk tapestry", "缂丝", "緙絲"]),
    ("painting", "painting", "绘画", "繪畫", "300054216", None,  # [cromulent]
     ["painted", "painting", "绘", "繪", "彩绘", "彩繪"]),
    ("underglaze-blue", "underglaze blue", "青花", "青花", None, "painting",
     ["underglaze blue", "underglaze cobalt blue", "青花"]),
    ("famille-rose", "famille rose", "粉彩", "粉彩", None, "painting", ["famille rose", "粉彩"]),
    ("cloisonne", "cloisonné", "掐丝珐琅", "掐絲琺瑯", None, None,
     ["cloisonné", "cloisonne", "掐丝", "掐絲"]),
    ("lacquer-carving", "lacquer carving", "雕漆", "雕漆", None, "carving",
     ["carved lacquer", "lacquer carving", "雕漆", "剔红", "剔紅"]),
    ("sculpting", "sculpting", "雕塑", "雕塑", "300264383", None,  # [cromulent]
     ["sculpting", "雕塑"]),
    ("gilding", "gilding", "鎏金", "鎏金", None, None, ["gilding", "gilt", "鎏金", "贴金", "貼金"]),
])

CONDITIONS = _terms("condition", [
    # Spectrum 5.1 Condition: a controlled list; the four steps are the usual scale.
    ("good", "good", "良好", "良好", None, None, ["good", "良好", "好"]),
    ("fair", "fair", "一般", "一般", None, None, ["fair", "一般", "尚可"]),
    ("poor", "poor", "较差", "較差", None, None, ["poor", "较差", "較差", "差"]),
    ("unacceptable", "unacceptable", "极差", "極差", None, None,
     ["unacceptable", "极差", "極差", "严重损坏", "嚴重損壞"]),
])

COMPLETENESS = _terms("completeness", [
    # Spectrum 5.1 Completeness; the census's 完残程度 uses the same idea.
    ("complete", "complete", "完整", "完整", None, None, ["complete", "完整"]),
    ("incomplete", "incomplete", "基本完整", "基本完整", None, None,
     ["incomplete", "基本完整", "部分缺损", "部分缺損"]),
    ("fragmentary", "fragmentary", "残缺", "殘缺", None, None,
     ["fragmentary", "fragment", "残缺", "殘缺", "残", "殘"]),
])

HAZARDS = _terms("hazard", [
    ("fragile", "fragile", "易碎", "易碎", None, None, ["fragile", "易碎"]),
    ("heavy", "heavy", "超重", "超重", None, None, ["heavy", "超重", "重"]),
    ("sharp", "sharp", "锋利", "鋒利", None, None, ["sharp", "锋利", "鋒利"]),
    ("toxic-pigment", "toxic pigment", "有毒颜料", "有毒顏料", None, None,
     ["toxic pigment", "arsenic", "lead white", "有毒颜料", "有毒顏料"]),
    ("pest-infested", "pest-infested", "虫害", "蟲害", None, None,
     ["pest", "pest-infested", "虫害", "蟲害"]),
    ("mercury-gilding", "mercury gilding", "汞鎏金", "汞鎏金", None, None,
     ["mercury gilding", "fire gilding", "汞鎏金"]),
    ("radioactive", "radioactive", "放射性", "放射性", None, None, ["radioactive", "放射性"]),
])

MOVEMENT_REASONS = _terms("movement_reason", [
    # Spectrum 5.1 Location and movement control, "Reason for move".
    ("exhibition", "exhibition", "展览", "展覽", None, None, ["exhibition", "展览", "展覽"]),
    ("storage", "storage", "入库", "入庫", None, None, ["storage", "入库", "入庫", "库房", "庫房"]),
    ("conservation", "conservation", "保护修复", "保護修復", None, None,
     ["conservation", "修复", "修復", "保护", "保護"]),
    ("photography", "photography", "摄影", "攝影", None, None, ["photography", "摄影", "攝影"]),
    ("loan", "loan", "借展", "借展", None, None, ["loan", "借展", "出借"]),
    ("inventory", "inventory", "盘点", "盤點", None, None, ["inventory", "盘点", "盤點"]),
    ("research", "research", "研究", "研究", None, None, ["research", "研究"]),
    ("emergency", "emergency", "紧急转移", "緊急轉移", None, None,
     ["emergency", "紧急", "緊急"]),
])

ACQUISITION_METHODS = _terms("acquisition_method", [
    ("transfer", "transfer", "调拨", "調撥", None, None, ["transfer", "调拨", "調撥", "移交"]),
    ("purchase", "purchase", "征购", "徵購", None, None,
     ["purchase", "purchased", "征购", "徵購", "收购", "收購", "购买", "購買"]),
    ("gift", "gift", "捐赠", "捐贈", None, None,
     ["gift", "donation", "捐赠", "捐贈", "捐献", "捐獻"]),
    ("bequest", "bequest", "遗赠", "遺贈", None, None, ["bequest", "遗赠", "遺贈"]),
    ("field-collection", "field collection", "发掘采集", "發掘採集", None, None,
     ["field collection", "excavation", "发掘", "發掘", "采集", "採集", "出土"]),
    ("exchange", "exchange", "交换", "交換", None, None, ["exchange", "交换", "交換"]),
    ("unknown", "unknown", "不详", "不詳", None, None, ["unknown", "不详", "不詳", "未知"]),
])

GRADES = _terms("grade", [
    # 文物藏品定级标准 (Ministry of Culture, 2001): grades 1–3 are 珍贵文物, then 一般文物.
    ("grade-1", "grade 1", "一级", "一級", None, None,
     ["grade 1", "grade-1", "grade i", "class 1", "一级", "一級", "一级文物", "一級文物"]),
    ("grade-2", "grade 2", "二级", "二級", None, None,
     ["grade 2", "grade-2", "grade ii", "class 2", "二级", "二級", "二级文物", "二級文物"]),
    ("grade-3", "grade 3", "三级", "三級", None, None,
     ["grade 3", "grade-3", "grade iii", "class 3", "三级", "三級", "三级文物", "三級文物"]),
    ("general", "general", "一般", "一般", None, None,
     ["general", "一般", "一般文物"]),
    ("ungraded", "ungraded", "未定级", "未定級", None, None,
     ["ungraded", "not graded", "未定级", "未定級"]),
])

SCHEMES: dict[str, tuple[Term, ...]] = {
    "material": MATERIALS,
    "object_type": OBJECT_TYPES,
    "technique": TECHNIQUES,
    "condition": CONDITIONS,
    "completeness": COMPLETENESS,
    "hazard": HAZARDS,
    "movement_reason": MOVEMENT_REASONS,
    "acquisition_method": ACQUISITION_METHODS,
    "grade": GRADES,
}


def normalize_label(text: str) -> str:
    """The form labels are compared in: NFKC (full-width to half-width), case-folded, single
    spaces, no surrounding spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def terms(scheme: str) -> tuple[Term, ...]:
    """All terms of a scheme. Raises KeyError for an unknown scheme."""
    return SCHEMES[scheme]


@cache
def _index(scheme: str) -> dict[str, Term]:
    index: dict[str, Term] = {}
    for term in terms(scheme):
        # Codes and labels win over keywords: a keyword shared by two terms ("一般" is both a
        # grade and a condition label, in different schemes) must not shadow a label.
        for key in (term.code, *term.labels.values()):
            index.setdefault(normalize_label(key), term)
    for term in terms(scheme):
        for keyword in term.keywords:
            index.setdefault(normalize_label(keyword), term)
    return index


def term(scheme: str, code: str) -> Term:
    """The term with this code. Raises KeyError when the scheme or the code is unknown."""
    for candidate in terms(scheme):
        if candidate.code == code:
            return candidate
    raise KeyError(f"{scheme}:{code}")


def find_term(scheme: str, text: str) -> Term | None:
    """The term whose code, label (any language) or keyword equals ``text`` after
    normalisation, or None. Raises KeyError for an unknown scheme."""
    return _index(scheme).get(normalize_label(text))


@cache
def depth(scheme: str, code: str) -> int:
    """How many broader terms lie above this one (0 for a top term)."""
    levels = 0
    parent = term(scheme, code).parent
    while parent is not None:
        levels += 1
        parent = term(scheme, parent).parent
    return levels
