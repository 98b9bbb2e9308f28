"""Forms of the monitoring screens. They only parse what a person typed; the services decide
what is valid and allowed, and their field messages are put back next to these fields."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taihe.modules.conservation.ingest import FORMATS, LoggerFileError
from taihe.modules.conservation.ingest.timestamps import zone_from_argument
from taihe.modules.conservation.models import Sensor

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_ORDERS: tuple[tuple[str, Any], ...] = (
    ("", gettext_lazy("As the file or its format says")),
    ("DMY", gettext_lazy("Day first (31/12/2025)")),
    ("MDY", gettext_lazy("Month first (12/31/2025)")),
    ("YMD", gettext_lazy("Year first (2025/12/31)")),
)
UNIT_SUGGESTIONS = ("°C", "°F", "%", "lx", "klx", "µW/lm", "mW/cm²", "ppm", "ppb", "V", "hPa")
"""Units offered in the column-mapping dialog (``ingest.units`` knows more spellings)."""


class SensorForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=64, help_text=gettext_lazy(
        "Letters, digits, dot, dash and underscore; used in MQTT topics, file imports and "
        "the API."))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    manufacturer = forms.CharField(label=gettext_lazy("Manufacturer"), max_length=100,
                                   required=False)
    model = forms.CharField(label=gettext_lazy("Model"), max_length=100, required=False)
    serial = forms.CharField(label=gettext_lazy("Serial number"), max_length=100,
                             required=False, help_text=gettext_lazy(
                                 "Logger files that name this serial number are matched to "
                                 "this sensor."))
    quantities = forms.MultipleChoiceField(label=gettext_lazy("Measured quantities"),
                                           widget=forms.CheckboxSelectMultiple)
    logging_interval_seconds = forms.IntegerField(
        label=gettext_lazy("Logging interval (seconds)"), min_value=1, max_value=86_400,
        initial=300, help_text=gettext_lazy(
            "A sensor counts as silent after three intervals without a reading."))
    location = forms.TypedChoiceField(label=gettext_lazy("Place"), coerce=int,
                                      empty_value=None, required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Sensor.Status.choices,
                               initial=Sensor.Status.ACTIVE)
    lorawan_device_eui = forms.CharField(
        label=gettext_lazy("LoRaWAN device EUI"), max_length=23, required=False,
        help_text=gettext_lazy("16 hexadecimal digits, for sensors sending over LoRaWAN."))
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(
        attrs={"rows": 3}))

    def __init__(self, *args: Any, places: list[tuple[Any, str]],
                 quantities: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [  # type: ignore[attr-defined]
            ("", _("Not placed")), *places]
        self.fields["quantities"].choices = quantities  # type: ignore[attr-defined]

    def clean_lorawan_device_eui(self) -> str:
        # Network-server consoles print the DevEUI as 70-B3-D5-… or 70:B3:D5:…; the service
        # wants the 16 bare digits.
        value: str = self.cleaned_data["lorawan_device_eui"]
        return "".join(ch for ch in value if ch not in " :-")


class MoveForm(forms.Form):
    location = forms.TypedChoiceField(label=gettext_lazy("New place"), coerce=int)
    at = forms.DateTimeField(label=gettext_lazy("Moved at"), required=False,
                             widget=DATETIME_WIDGET, help_text=gettext_lazy(
                                 "Museum time; leave empty for now. Readings from this moment "
                                 "on count for the new place."))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, places: list[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [("", "—"), *places]  # type: ignore[attr-defined]


class CalibrationForm(forms.Form):
    quantity = forms.ChoiceField(label=gettext_lazy("Quantity"))
    effective_from = forms.DateTimeField(label=gettext_lazy("Applies from"),
                                         widget=DATETIME_WIDGET,
                                         help_text=gettext_lazy("Museum time."))
    offset = forms.FloatField(label=gettext_lazy("Offset"), min_value=-50, max_value=50,
                              help_text=gettext_lazy(
                                  "Added to every reading, in the quantity's unit: if the "
                                  "sensor reads 0.4 °C too high, enter −0.4."))
    reference = forms.CharField(label=gettext_lazy("Reference instrument or certificate"),
                                max_length=200, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, quantities: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].choices = quantities  # type: ignore[attr-defined]


def format_choices() -> list[tuple[str, str]]:
    return [("auto", _("Recognise automatically")),
            *sorted(((name, fmt.label) for name, fmt in FORMATS.items()),
                    key=lambda choice: choice[1].casefold())]


class ImportOptionsForm(forms.Form):
    """How to read a logger file: carried as hidden fields from the preview to the import."""

    sensor = forms.ChoiceField(label=gettext_lazy("Sensor"), required=False,
                               help_text=gettext_lazy(
                                   "Choose one for a file of a single logger; otherwise its "
                                   "sensor names or serial numbers must match sensor codes "
                                   "or serial numbers."))
    file_format = forms.ChoiceField(label=gettext_lazy("Format"), initial="auto")
    time_zone = forms.CharField(label=gettext_lazy("Time zone"), max_length=64,
                                help_text=gettext_lazy(
                                    "Used when the file does not state its own: an IANA name "
                                    "such as Asia/Shanghai, or UTC+08:00."))
    date_order = forms.ChoiceField(label=gettext_lazy("Date order"), choices=DATE_ORDERS,
                                   required=False, help_text=gettext_lazy(
                                       "Only needed when every date in the file could be read "
                                       "either way (01/02/2025)."))
    create_sensor = forms.BooleanField(label=gettext_lazy("Create the sensor if it is new"),
                                       required=False)

    def __init__(self, *args: Any, sensors: list[tuple[str, str]], **kwargs: Any) -> None:
        initial = dict(kwargs.get("initial") or {})
        initial.setdefault("time_zone", settings.TIME_ZONE)
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fields["sensor"].choices = [  # type: ignore[attr-defined]
            ("", _("The file names its sensors")), *sensors]
        self.fields["file_format"].choices = format_choices()  # type: ignore[attr-defined]

    def clean_time_zone(self) -> str:
        name: str = self.cleaned_data["time_zone"].strip()
        try:
            zone_from_argument(name)
        except LoggerFileError as error:
            raise forms.ValidationError(str(error)) from error
        return name

    def options(self) -> dict[str, Any]:
        """The cleaned options as ``services.do_import_file`` takes them."""
        data = self.cleaned_data
        return {"sensor_code": data["sensor"] or None, "file_format": data["file_format"],
                "time_zone": data["time_zone"], "date_order": data["date_order"] or None,
                "create_sensor": data["create_sensor"]}


class ImportForm(ImportOptionsForm):
    file = forms.FileField(label=gettext_lazy("Logger file"), help_text=gettext_lazy(
        "A CSV, TXT or Excel (.xlsx) export of a data logger."))

    field_order = ["file", "sensor", "file_format", "time_zone", "date_order", "create_sensor"]


def parse_column_mapping(text: str) -> dict[str, Any] | None:
    """The column mapping carried between steps as JSON; None when absent or malformed."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class ColumnMappingForm(forms.Form):
    """The column-mapping dialog for a table whose columns were not recognised: which column
    holds the time (and, when split, the time of day), which the sensor, and which quantity
    and unit each other column holds. Built from ``ingest.detect_columns``."""

    def __init__(self, *args: Any, columns: list[Any], quantities: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A mapping names columns by their header text, so a column without one cannot be
        # chosen (the generic reader finds columns by name).
        columns = [column for column in columns if column.name.strip()]
        self.columns = columns
        named = [(str(column.index), column.name) for column in columns]
        none = ("", "—")
        first_time = next((c for c in columns if c.role == "time"), None)
        first_date = next((c for c in columns if c.role == "date"), None)
        first_clock = next((c for c in columns if c.role == "clock"), None)
        first_sensor = next((c for c in columns if c.role == "sensor"), None)
        time_initial = first_time or first_date
        self.fields["time_column"] = forms.ChoiceField(
            label=gettext_lazy("Date and time (or date)"), choices=named,
            initial=str(time_initial.index) if time_initial else None)
        self.fields["clock_column"] = forms.ChoiceField(
            label=gettext_lazy("Time of day, when in its own column"), choices=[none, *named],
            required=False,
            initial=str(first_clock.index) if first_clock and not first_time else "")
        self.fields["sensor_column"] = forms.ChoiceField(
            label=gettext_lazy("Sensor name or serial number"), choices=[none, *named],
            required=False, initial=str(first_sensor.index) if first_sensor else "")
        for column in columns:
            self.fields[f"quantity_{column.index}"] = forms.ChoiceField(
                label=gettext_lazy("Quantity"), choices=[("", _("(not imported)")), *quantities],
                required=False, initial=column.quantity or "")
            self.fields[f"unit_{column.index}"] = forms.CharField(
                label=gettext_lazy("Unit"), max_length=16, required=False,
                initial=column.unit or "",
                widget=forms.TextInput(attrs={"list": "conservation-units", "size": 8}))

    def rows(self) -> list[dict[str, Any]]:
        """One row per column for the dialog's table: the column, its sample, its fields."""
        return [{"column": column, "quantity": self[f"quantity_{column.index}"],
                 "unit": self[f"unit_{column.index}"]} for column in self.columns]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        used = [data.get(name) for name in ("time_column", "clock_column", "sensor_column")
                if data.get(name)]
        if len(used) != len(set(used)):
            raise forms.ValidationError(_("Each column can have only one role."))
        chosen = [c for c in self.columns if data.get(f"quantity_{c.index}")]
        if not chosen:
            raise forms.ValidationError(_("Choose the quantity of at least one column."))
        for column in chosen:
            if str(column.index) in used:
                self.add_error(f"quantity_{column.index}", _(
                    "This column is already the time or sensor column."))
        return data

    def mapping(self) -> dict[str, Any]:
        """The mapping as ``ingest.parse_file`` takes it (see ``formats.generic``)."""
        data = self.cleaned_data
        by_index = {str(column.index): column.name for column in self.columns}
        time: Any = by_index[data["time_column"]]
        if data.get("clock_column"):
            time = [time, by_index[data["clock_column"]]]
        mapping: dict[str, Any] = {"time": time, "columns": {
            column.name: {"quantity": data[f"quantity_{column.index}"],
                          "unit": data[f"unit_{column.index}"].strip()}
            for column in self.columns if data.get(f"quantity_{column.index}")}}
        if data.get("sensor_column"):
            mapping["sensor"] = by_index[data["sensor_column"]]
        return mapping
