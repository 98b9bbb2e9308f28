"""The one error the logger-file parser raises."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from taihe.kernel.errors import ValidationFailed


class LoggerFileError(ValidationFailed):
    """The file cannot be read as logger data at all (wrong format, no time zone, bad mapping).

    Row-level problems never raise: they become :class:`RejectedRow` entries. The message says
    what was wrong and where (line, column) so a conservator can fix the file.
    """

    code = "logger_file_invalid"
    default_detail = _("The data-logger file could not be read.")
