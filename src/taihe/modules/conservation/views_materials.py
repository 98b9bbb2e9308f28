"""Pages of the material sensitivity rule base: the materials with their sensitivity matrix,
one material (with its edit form), the version history with what each version changed, and
the materials read from one catalogue object (with the correction form).

Thin: services in ``material_rules`` decide who may change what; these views only avoid
offering what the person could not use. Seeing needs ``conservation.risk.view`` or
``conservation.material_rules.manage``; changing needs the latter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taihe.kernel.errors import DomainError
from taihe.kernel.http.pages import forbidden, not_found, refuse, show_errors
from taihe.modules.catalog import api as catalog
from taihe.modules.conservation import material_rules
from taihe.modules.conservation.materials import AGENT_KEYS, Material, RuleBase
from taihe.modules.conservation.materials.knowledge import BAND_NUMBERS, LANGUAGES, LEVELS
from taihe.modules.conservation.models import MaterialRuleSet, ObjectMaterials
from taihe.modules.directory import api as directory

LEVEL_SYMBOLS = {"high": "●", "medium": "◐", "low": "○", "none": "·"}
LEVEL_LABELS = {
    "high": gettext_lazy("High"),
    "medium": gettext_lazy("Medium"),
    "low": gettext_lazy("Low"),
    "none": gettext_lazy("Not sensitive"),
}
GROUP_LABELS = {
    "ceramic": gettext_lazy("Ceramics"),
    "glass": gettext_lazy("Glass"),
    "metal": gettext_lazy("Metals"),
    "natural_history": gettext_lazy("Natural history"),
    "organic_hard": gettext_lazy("Bone, ivory, horn and shell"),
    "paint": gettext_lazy("Paints, inks and colourants"),
    "paper": gettext_lazy("Paper"),
    "photo": gettext_lazy("Photographs and film"),
    "plastic": gettext_lazy("Plastics"),
    "skin": gettext_lazy("Leather, parchment and skin"),
    "stone": gettext_lazy("Stone"),
    "textile": gettext_lazy("Textiles"),
    "wood": gettext_lazy("Wood and plant materials"),
}
BAND_LABELS = {
    "t_min": gettext_lazy("Lowest temperature (°C)"),
    "t_max": gettext_lazy("Highest temperature (°C)"),
    "rh_min": gettext_lazy("Lowest RH (%)"),
    "rh_max": gettext_lazy("Highest RH (%)"),
    "max_rh_change_24h": gettext_lazy("Largest RH change in 24 hours (%)"),
    "lux_max": gettext_lazy("Illuminance (lx)"),
    "annual_lux_hours_max": gettext_lazy("Annual light dose (lx·h)"),
    "uv_max_uw_per_lm": gettext_lazy("UV (µW/lm)"),
    "blue_wool": gettext_lazy("Blue Wool class"),
    "sources": gettext_lazy("Sources"),
}
METHOD_LABELS = {
    "person": gettext_lazy("Set by a person"),
    "catalogue_term": gettext_lazy("Catalogue material term"),
}
LANGUAGE_LABELS = {"en": gettext_lazy("English"), "zh-hans": gettext_lazy("Chinese")}
AAT_URL = "https://vocab.getty.edu/page/aat/{}"
STRATEGY_ROWS_EXTRA = 1
"""Empty strategy rows the edit form offers for a new strategy."""


def _language() -> str:
    return (get_language() or "en").lower()


def _name(names: Mapping[str, str], language: str) -> str:
    if language.startswith("zh"):
        return names.get("zh-hans") or names.get("en") or ""
    return names.get("en") or names.get("zh-hans") or ""


def _nav(request: HttpRequest, current: str) -> list[dict[str, Any]]:
    from taihe.modules.conservation.views import section_nav

    tabs = section_nav(request.user, "")
    tabs.append(
        {
            "url": reverse("conservation:materials"),
            "label": _("Material rules"),
            "current": current.startswith("conservation:materials"),
        }
    )
    return tabs


def _sources(rules: RuleBase, keys: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "citation": rules.sources[key].citation if key in rules.sources else key,
            "url": rules.sources[key].url if key in rules.sources else None,
        }
        for key in keys
    ]


def _cells(material: Material, rules: RuleBase, language: str) -> list[dict[str, Any]]:
    cells = []
    for agent in rules.agents:
        item = material.sensitivity.get(agent.key)
        level = item.level if item else "none"
        cells.append(
            {
                "agent": _name(agent.names, language),
                "level": level,
                "symbol": LEVEL_SYMBOLS[level],
                "label": LEVEL_LABELS[level],
                "basis": item.basis if item else "",
            }
        )
    return cells


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


# --- The rule base --------------------------------------------------------------------------


@login_required
def rule_base(request: HttpRequest) -> HttpResponse:
    """Every material, grouped, with its AAT id, names and sensitivity to each agent."""
    if not material_rules.may_view(request.user):
        return forbidden(request)
    language = _language()
    version, rules = material_rules.current_rule_base()
    current = MaterialRuleSet.objects.filter(is_current=True).defer("data").first()
    groups: dict[str, list[dict[str, Any]]] = {}
    for material in rules.materials:
        groups.setdefault(material.group, []).append(
            {
                "key": material.key,
                "en": material.names["en"],
                "zh": material.names["zh-hans"],
                "aat": material.aat,
                "aat_url": AAT_URL.format(material.aat) if material.aat else "",
                "cells": _cells(material, rules, language),
            }
        )
    return render(
        request,
        "conservation/materials/rule_base.html",
        {
            "nav": _nav(request, "conservation:materials"),
            "version": version,
            "current": current,
            "agents": [
                {"key": agent.key, "name": _name(agent.names, language), "cci": agent.cci_agent}
                for agent in rules.agents
            ],
            "groups": [
                {"code": code, "label": GROUP_LABELS.get(code, code), "materials": rows}
                for code, rows in sorted(
                    groups.items(), key=lambda item: str(GROUP_LABELS.get(item[0], item[0]))
                )
            ],
            "levels": [
                {"symbol": LEVEL_SYMBOLS[level], "label": LEVEL_LABELS[level]} for level in LEVELS
            ],
            "count": len(rules.materials),
            "may_manage": material_rules.may_manage(request.user),
        },
    )


@login_required
def material_detail(request: HttpRequest, key: str) -> HttpResponse:
    """One material: sensitivity with its basis and sources, bands, strategies, sources."""
    if not material_rules.may_view(request.user):
        return forbidden(request)
    language = _language()
    version, rules = material_rules.current_rule_base()
    try:
        material = rules.material(key)
    except KeyError:
        return not_found(request)
    used: list[str] = []
    sensitivity = []
    for cell, agent in zip(_cells(material, rules, language), rules.agents, strict=True):
        item = material.sensitivity.get(agent.key)
        keys = list(item.sources) if item else []
        used += keys
        sensitivity.append({**cell, "cci": agent.cci_agent, "sources": _sources(rules, keys)})
    bands = material.bands
    band_rows = [
        {"label": BAND_LABELS[name], "value": _number(getattr(bands, name))}
        for name in BAND_NUMBERS
    ]
    band_rows.append(
        {
            "label": BAND_LABELS["blue_wool"],
            "value": str(bands.blue_wool) if bands.blue_wool else "",
        }
    )
    used += list(bands.sources)
    agent_names = {agent.key: _name(agent.names, language) for agent in rules.agents}
    strategies = []
    for strategy in material.strategies:
        used += list(strategy.sources)
        strategies.append(
            {
                "key": strategy.key,
                "agent": agent_names.get(strategy.agent, ""),
                "text": _name(strategy.text, language),
                "other": strategy.text["en" if language.startswith("zh") else "zh-hans"],
                "sources": _sources(rules, list(strategy.sources)),
            }
        )
    return render(
        request,
        "conservation/materials/material.html",
        {
            "nav": _nav(request, "conservation:materials"),
            "version": version,
            "material": material,
            "group": GROUP_LABELS.get(material.group, material.group),
            "name_zh": material.names["zh-hans"],
            "name_en": material.names["en"],
            "aat_url": AAT_URL.format(material.aat) if material.aat else "",
            "synonyms": [
                {"language": LANGUAGE_LABELS.get(lang, lang), "terms": terms}
                for lang, terms in material.synonyms.items()
                if terms
            ],
            "sensitivity": sensitivity,
            "bands": band_rows,
            "band_sources": _sources(rules, list(bands.sources)),
            "strategies": strategies,
            "sources": _sources(rules, list(dict.fromkeys(used))),
            "may_manage": material_rules.may_manage(request.user),
        },
    )


# --- Editing --------------------------------------------------------------------------------


def _keys(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,，;；]+", text or "") if part]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _plain(value: float | None) -> float | int | None:
    """13.0 → 13: numbers as the JSON rule base writes them, so an untouched band does not
    show as a change."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


class MaterialForm(forms.Form):
    """The whole material in one form; field names are the service's field paths
    (``bands.rh_min``, ``sensitivity.light.level``, ``strategies.0.text.en``), so its
    validation messages land next to the field they name."""

    def __init__(
        self, *args: Any, rules: RuleBase, material: Material | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.material = material
        language = _language()
        fields = self.fields
        if material is None:
            fields["key"] = forms.CharField(
                label=_("Key"),
                max_length=64,
                help_text=_(
                    "Lower-case letters, digits and underscores, e.g. lacquer_carved; it cannot "
                    "be changed later."
                ),
            )
        for lang in LANGUAGES:
            fields[f"names.{lang}"] = forms.CharField(
                label=_("Name in %(language)s") % {"language": LANGUAGE_LABELS[lang]},
                max_length=200,
            )
        fields["aat"] = forms.CharField(
            label=_("Getty AAT id"),
            required=False,
            max_length=9,
            help_text=_(
                "Nine digits starting with 300; leave empty when not verified on vocab.getty.edu."
            ),
        )
        fields["group"] = forms.ChoiceField(
            label=_("Group"),
            choices=[
                (code, GROUP_LABELS.get(code, code))
                for code in sorted({m.group for m in rules.materials})
            ],
        )
        for lang in LANGUAGES:
            fields[f"synonyms.{lang}"] = forms.CharField(
                label=_("Other terms in %(language)s") % {"language": LANGUAGE_LABELS[lang]},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("One per line, as catalogues write them."),
            )
        level_choices = [(level, LEVEL_LABELS[level]) for level in LEVELS]
        self.agent_rows: list[dict[str, Any]] = []
        for agent in rules.agents:
            prefix = f"sensitivity.{agent.key}"
            fields[f"{prefix}.level"] = forms.ChoiceField(
                label=_("Sensitivity"), choices=level_choices
            )
            fields[f"{prefix}.basis"] = forms.CharField(label=_("Basis"), max_length=500)
            fields[f"{prefix}.sources"] = forms.CharField(
                label=_("Sources"),
                required=False,
                max_length=500,
                help_text=_("Source keys, separated by commas."),
            )
            self.agent_rows.append({"name": _name(agent.names, language), "prefix": prefix})
        for name in BAND_NUMBERS:
            fields[f"bands.{name}"] = forms.FloatField(
                label=BAND_LABELS[name],
                required=name in ("t_min", "t_max", "rh_min", "rh_max"),
                widget=forms.NumberInput(attrs={"step": "any"}),
            )
        fields["bands.blue_wool"] = forms.IntegerField(
            label=BAND_LABELS["blue_wool"], required=False
        )
        fields["bands.sources"] = forms.CharField(
            label=_("Sources of the bands"), required=False, max_length=500
        )
        agent_choices = [("", "—")] + [
            (agent.key, _name(agent.names, language)) for agent in rules.agents
        ]
        count = len(material.strategies) if material else 0
        self.strategy_rows = list(range(count + STRATEGY_ROWS_EXTRA))
        for row in self.strategy_rows:
            prefix = f"strategies.{row}"
            fields[f"{prefix}.key"] = forms.CharField(label=_("Key"), required=False, max_length=64)
            fields[f"{prefix}.agent"] = forms.ChoiceField(
                label=_("Agent"), required=False, choices=agent_choices
            )
            for lang in LANGUAGES:
                fields[f"{prefix}.text.{lang}"] = forms.CharField(
                    label=_("Advice in %(language)s") % {"language": LANGUAGE_LABELS[lang]},
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
            fields[f"{prefix}.sources"] = forms.CharField(
                label=_("Sources"), required=False, max_length=500
            )
            if row < count:
                fields[f"{prefix}.remove"] = forms.BooleanField(label=_("Remove"), required=False)
        fields["note"] = forms.CharField(
            label=_("What changed and why"),
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_("Kept in the version history and the audit log."),
        )
        fields["version"] = forms.CharField(widget=forms.HiddenInput, required=False)
        self.strategy_positions: list[int] = []

    @staticmethod
    def initial_from(material: Material, version: str) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "aat": material.aat or "",
            "group": material.group,
            "version": version,
        }
        for lang in LANGUAGES:
            initial[f"names.{lang}"] = material.names.get(lang, "")
            initial[f"synonyms.{lang}"] = "\n".join(material.synonyms.get(lang, ()))
        for agent, item in material.sensitivity.items():
            initial[f"sensitivity.{agent}.level"] = item.level
            initial[f"sensitivity.{agent}.basis"] = item.basis
            initial[f"sensitivity.{agent}.sources"] = ", ".join(item.sources)
        for name in BAND_NUMBERS:
            initial[f"bands.{name}"] = getattr(material.bands, name)
        initial["bands.blue_wool"] = material.bands.blue_wool
        initial["bands.sources"] = ", ".join(material.bands.sources)
        for row, strategy in enumerate(material.strategies):
            initial[f"strategies.{row}.key"] = strategy.key
            initial[f"strategies.{row}.agent"] = strategy.agent
            for lang in LANGUAGES:
                initial[f"strategies.{row}.text.{lang}"] = strategy.text.get(lang, "")
            initial[f"strategies.{row}.sources"] = ", ".join(strategy.sources)
        return initial

    def material_data(self) -> dict[str, Any]:
        """The material as the service takes it (``changes`` for an edit, the whole entry
        for a new one); remembers which form row each kept strategy came from."""
        data = self.cleaned_data
        kept = self.material
        synonyms: dict[str, list[str]] = {}
        for lang in LANGUAGES:
            terms = _lines(data[f"synonyms.{lang}"])
            if terms or (kept is not None and lang in kept.synonyms):
                synonyms[lang] = terms
        strategies = []
        self.strategy_positions = []
        for row in self.strategy_rows:
            prefix = f"strategies.{row}"
            texts = {lang: data[f"{prefix}.text.{lang}"].strip() for lang in LANGUAGES}
            if data.get(f"{prefix}.remove") or not (
                data[f"{prefix}.key"].strip() or any(texts.values())
            ):
                continue
            strategies.append(
                {
                    "key": data[f"{prefix}.key"].strip(),
                    "agent": data[f"{prefix}.agent"],
                    "text": texts,
                    "sources": _keys(data[f"{prefix}.sources"]),
                }
            )
            self.strategy_positions.append(row)
        result: dict[str, Any] = {
            "names": {lang: data[f"names.{lang}"].strip() for lang in LANGUAGES},
            "synonyms": synonyms,
            "aat": data["aat"].strip() or None,
            "group": data["group"],
            "sensitivity": {
                agent: {
                    "level": data[f"sensitivity.{agent}.level"],
                    "basis": data[f"sensitivity.{agent}.basis"].strip(),
                    "sources": _keys(data[f"sensitivity.{agent}.sources"]),
                }
                for agent in AGENT_KEYS
                if f"sensitivity.{agent}.level" in data
            },
            "bands": {
                **{name: _plain(data[f"bands.{name}"]) for name in BAND_NUMBERS},
                "blue_wool": data["bands.blue_wool"],
                "sources": _keys(data["bands.sources"]),
            },
            "strategies": strategies,
        }
        if kept is None:
            result["key"] = data["key"].strip()
        return result

    def field_for(self, path: str) -> str | None:
        """The form field a service message names (``strategies[1].text.en`` →
        ``strategies.<form row>.text.en``; ``….sources[2]`` → ``….sources``)."""
        found = re.match(r"^strategies\[(\d+)\](.*)$", path)
        if found is not None:
            position = int(found[1])
            row = (
                self.strategy_positions[position]
                if position < len(self.strategy_positions)
                else position
            )
            path = f"strategies.{row}{found[2]}"
        path = re.sub(r"\[\d+\]$", "", path)
        while path and path not in self.fields:
            if "." not in path:
                return None
            path = path.rsplit(".", 1)[0]
        return path or None


def _show(form: MaterialForm, error: DomainError) -> None:
    show_errors(form, error, {name: form.field_for(name) or name for name in error.fields})


def _edit(request: HttpRequest, key: str | None) -> HttpResponse:
    actor = request.user
    if not material_rules.may_manage(actor):
        return forbidden(request)
    version, rules = material_rules.current_rule_base()
    material = None
    if key is not None:
        try:
            material = rules.material(key)
        except KeyError:
            return not_found(request)
    initial = MaterialForm.initial_from(material, version) if material else {"version": version}
    form = MaterialForm(request.POST or None, initial=initial, rules=rules, material=material)
    if request.method == "POST" and form.is_valid():
        data = form.material_data()
        note = form.cleaned_data["note"]
        try:
            if material is None:
                saved = material_rules.do_add_material(actor, data, note)
            else:
                saved = material_rules.do_save_material(
                    actor,
                    material.key,
                    data,
                    note,
                    based_on_version=form.cleaned_data["version"] or None,
                )
        except DomainError as error:
            denied = refuse(request, error)
            if denied is not None:
                return denied
            _show(form, error)
        else:
            messages.success(
                request, _("Saved as rule base version %(version)s.") % {"version": saved.version}
            )
            return redirect("conservation:materials_material", key=data.get("key") or key)
    heading = (
        _("Edit %(name)s") % {"name": _name(material.names, _language())}
        if material is not None
        else _("New material")
    )
    return render(
        request,
        "conservation/materials/material_form.html",
        {
            "nav": _nav(request, "conservation:materials"),
            "form": form,
            "heading": heading,
            "material": material,
            "version": version,
            "name_zh": material.names["zh-hans"] if material else "",
            "name_en": material.names["en"] if material else "",
            "agents": [
                {
                    "name": row["name"],
                    "level": form[f"{row['prefix']}.level"],
                    "basis": form[f"{row['prefix']}.basis"],
                    "sources": form[f"{row['prefix']}.sources"],
                }
                for row in form.agent_rows
            ],
            "names": [form[f"names.{lang}"] for lang in LANGUAGES],
            "synonyms": [form[f"synonyms.{lang}"] for lang in LANGUAGES],
            "bands": [form[f"bands.{name}"] for name in (*BAND_NUMBERS, "blue_wool", "sources")],
            "strategies": [
                {
                    "fields": [
                        form[f"strategies.{row}.{part}"]
                        for part in ("key", "agent", "text.en", "text.zh-hans", "sources")
                    ],
                    "remove": form[f"strategies.{row}.remove"]
                    if f"strategies.{row}.remove" in form.fields
                    else None,
                }
                for row in form.strategy_rows
            ],
            "source_list": _sources(rules, list(rules.sources)),
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
def material_edit(request: HttpRequest, key: str) -> HttpResponse:
    return _edit(request, key)


@login_required
def material_add(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@login_required
@require_POST
def reclassify(request: HttpRequest) -> HttpResponse:
    """Queue the reading of the whole register with the current rule base."""
    try:
        material_rules.do_reclassify_all(request.user)
    except DomainError as error:
        return refuse(request, error) or forbidden(request)
    messages.success(
        request,
        _("The register is being read again; objects whose materials a person set are kept."),
    )
    return redirect("conservation:materials")


# --- Versions -------------------------------------------------------------------------------


def _people_names(ids: list[int | None]) -> dict[int, str]:
    wanted = sorted({pk for pk in ids if pk is not None})
    return {
        info.id: (info.name_zh or info.name_en or info.username)
        for info in directory.people(wanted)
    }


@login_required
def version_list(request: HttpRequest) -> HttpResponse:
    if not material_rules.may_view(request.user):
        return forbidden(request)
    found = material_rules.versions()
    people = _people_names([row.created_by_id for row in found])
    return render(
        request,
        "conservation/materials/versions.html",
        {
            "nav": _nav(request, "conservation:materials_versions"),
            "versions": [
                {"row": row, "by": people.get(row.created_by_id or 0, "")} for row in found
            ],
        },
    )


def _path_label(path: str, agents: Mapping[str, str]) -> str:
    parts = path.split(".")
    head = parts[0]
    if head in ("names", "synonyms") and len(parts) == 2:
        language = LANGUAGE_LABELS.get(parts[1], parts[1])
        return (
            _("Name in %(language)s") if head == "names" else _("Other terms in %(language)s")
        ) % {"language": language}
    if head == "sensitivity" and len(parts) == 3:
        what = {"level": _("sensitivity"), "basis": _("basis"), "sources": _("sources")}.get(
            parts[2], parts[2]
        )
        return f"{agents.get(parts[1], parts[1])} · {what}"
    if head == "bands" and len(parts) == 2:
        return str(BAND_LABELS.get(parts[1], parts[1]))
    if head == "strategies":
        return _("Strategy %(key)s · %(part)s") % {"key": parts[1], "part": ".".join(parts[2:])}
    return {"aat": _("Getty AAT id"), "group": _("Group")}.get(path, path)


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


@login_required
def version_detail(request: HttpRequest, rule_set_id: int) -> HttpResponse:
    """What a version changed against the one it was based on; restore it."""
    if not material_rules.may_view(request.user):
        return forbidden(request)
    row = MaterialRuleSet.objects.select_related("based_on").filter(pk=rule_set_id).first()
    if row is None:
        return not_found(request)
    language = _language()
    agents = {
        str(item.get("key")): _name(item.get("names") or {}, language)
        for item in row.data.get("agents", [])
    }
    changes = [
        {
            "key": change.key,
            "name": _name(change.names, language),
            "other": change.names.get("en" if language.startswith("zh") else "zh-hans", ""),
            "status": change.status,
            "fields": [
                {
                    "label": _path_label(item.path, agents),
                    "before": _shown(item.before),
                    "after": _shown(item.after),
                }
                for item in change.fields
            ],
        }
        for change in material_rules.version_changes(row)
    ]
    people = _people_names([row.created_by_id])
    return render(
        request,
        "conservation/materials/version.html",
        {
            "nav": _nav(request, "conservation:materials_versions"),
            "row": row,
            "by": people.get(row.created_by_id or 0, ""),
            "changes": changes,
            "may_restore": material_rules.may_manage(request.user) and not row.is_current,
        },
    )


@login_required
@require_POST
def version_restore(request: HttpRequest, rule_set_id: int) -> HttpResponse:
    try:
        saved = material_rules.do_restore_version(
            request.user, rule_set_id, request.POST.get("note", "")
        )
    except DomainError as error:
        denied = refuse(request, error)
        if denied is not None:
            return denied
        messages.error(request, str(error.detail))
        return redirect("conservation:materials_version", rule_set_id=rule_set_id)
    messages.success(
        request, _("Restored as rule base version %(version)s.") % {"version": saved.version}
    )
    return redirect("conservation:materials_version", rule_set_id=saved.pk)


# --- Object materials -----------------------------------------------------------------------


class ObjectMaterialsForm(forms.Form):
    materials = forms.MultipleChoiceField(
        label=gettext_lazy("Materials"), required=False, widget=forms.CheckboxSelectMultiple
    )


@login_required
def object_materials(request: HttpRequest, object_id: int) -> HttpResponse:
    """What was read from an object's medium text, with which confidence; correct it."""
    actor = request.user
    if not material_rules.may_view(actor):
        return forbidden(request)
    if object_id not in catalog.visible_object_ids(actor, [object_id]):
        return not_found(request)
    language = _language()
    version, rules = material_rules.current_rule_base()
    row = material_rules.object_materials_row(object_id)
    may_manage = material_rules.may_manage(actor)
    names = {m.key: m.names for m in rules.materials}
    chosen = [str(item.get("key")) for item in (row.materials if row else [])]
    order = chosen + [m.key for m in rules.materials if m.key not in chosen]
    form = ObjectMaterialsForm(request.POST or None, initial={"materials": chosen})
    form.fields["materials"].choices = [  # type: ignore[attr-defined]
        (key, f"{_name(names[key], language)} ({key})") for key in order if key in names
    ]
    if request.method == "POST":
        if not may_manage:
            return forbidden(request)
        if form.is_valid():
            reset = request.POST.get("action") == "classifier"
            picked = form.cleaned_data["materials"]
            keys = None if reset else [key for key in order if key in picked]
            try:
                material_rules.do_set_object_materials(actor, object_id, keys)
            except DomainError as error:
                denied = refuse(request, error)
                if denied is not None:
                    return denied
                show_errors(form, error)
            else:
                messages.success(request, _("The materials of this object are saved."))
                return redirect("conservation:materials_object", object_id=object_id)
    people = _people_names([row.set_by_id if row else None])
    read = [
        {
            "key": item.get("key"),
            "name": _name(names.get(str(item.get("key")), {}), language) or item.get("key"),
            "confidence": round(float(item.get("confidence") or 0) * 100),
            "matched": item.get("matched") or "",
            "method": METHOD_LABELS.get(str(item.get("method")), item.get("method") or ""),
            "role": item.get("role") or "",
        }
        for item in (row.materials if row else [])
    ]
    return render(
        request,
        "conservation/materials/object.html",
        {
            "nav": _nav(request, "conservation:materials"),
            "object_id": object_id,
            "title": catalog.object_title(object_id, language),
            "row": row,
            "read": read,
            "version": version,
            "by_person": row is not None and row.source == ObjectMaterials.Source.PERSON,
            "set_by": people.get(row.set_by_id or 0, "") if row else "",
            "outdated": row is not None and row.rules_version != version,
            "form": form,
            "may_manage": may_manage,
        },
        status=422 if request.method == "POST" else 200,
    )
