"""OAI-PMH 2.0 data provider (http://www.openarchives.org/OAI/openarchivesprotocol.html).

:func:`handle` answers one request from its arguments and a small repository interface
(:class:`OaiRepository`), which the catalog implements over the database. All six verbs and
all protocol errors (spec §3.6) are covered. Choices this provider makes:

* Datestamp granularity ``YYYY-MM-DDThh:mm:ssZ``; day-granularity arguments are accepted too,
  as spec §3.3.2 requires of a seconds-granularity repository (``until`` = end of that day).
* Deleted records: whatever the repository declares in :class:`IdentifyInfo`
  (``persistent`` by default); a header marked deleted is sent with ``status="deleted"`` and
  no metadata (§2.5.1).
* Resumption tokens are stateless: the list's arguments, the last item id sent and the
  cursor, signed with Django's ``signing`` (HMAC with SECRET_KEY, salt below). A token that
  was altered, or made for another list, is ``badResumptionToken``. Tokens do not expire.
* Sets are not paged (``ListSets`` answers in one response).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from django.core import signing
from django.utils.translation import gettext as _
from lxml import etree

from taihe.modules.catalog.exports import _shared as s
from taihe.modules.catalog.exports.dublin_core import OAI_DC_NS, oai_dc
from taihe.modules.catalog.exports.lido import LIDO_NS, lido_record
from taihe.modules.catalog.records import ObjectRecord

OAI_NS: Final = "http://www.openarchives.org/OAI/2.0/"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION: Final = f"{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
GRANULARITY: Final = "YYYY-MM-DDThh:mm:ssZ"
TOKEN_SALT: Final = "taihe.catalog.oai-pmh.resumption"  # noqa: S105 (a salt, not a secret)
PAGE_SIZE: Final = 100

DeletedPolicy = str
"""``"persistent"``, ``"transient"`` or ``"no"`` (spec §2.5.1)."""


@dataclass(frozen=True)
class Header:
    """An item's OAI header. ``item_id`` orders and pages lists (ascending, unique)."""

    item_id: int
    identifier: str
    datestamp: dt.datetime
    set_specs: tuple[str, ...] = ()
    deleted: bool = False


@dataclass(frozen=True)
class OaiSet:
    spec: str
    name: str


@dataclass(frozen=True)
class IdentifyInfo:
    repository_name: str
    admin_emails: tuple[str, ...]
    earliest_datestamp: dt.datetime
    deleted_record: DeletedPolicy = "persistent"
    publisher: Mapping[str, str] = field(default_factory=dict)
    """The institution's name as a language map (dc:publisher, LIDO recordSource)."""


class OaiRepository(Protocol):
    """What :func:`handle` needs from the catalog. Implementations filter to published
    objects; they never raise for unknown identifiers (they return None)."""

    def identify_info(self) -> IdentifyInfo: ...

    def list_headers(self, from_: dt.datetime | None, until: dt.datetime | None,
                     set_spec: str | None, after_id: int | None, limit: int) -> list[Header]:
        """Up to ``limit`` headers with datestamp in [from_, until] (both inclusive, UTC),
        in ``set_spec`` if given, ``item_id`` > ``after_id``, ordered by ``item_id``."""
        ...

    def get_record(self, identifier: str) -> tuple[Header, ObjectRecord | None] | None:
        """The header and record (None when deleted) of an identifier, or None if unknown."""
        ...

    def records(self, headers: Sequence[Header]) -> Mapping[str, ObjectRecord]:
        """Records of the non-deleted headers, keyed by identifier (one query for a page)."""
        ...

    def sets(self) -> list[OaiSet]: ...


class MetadataFormat(Protocol):
    prefix: str
    schema: str
    namespace: str

    def render(self, record: ObjectRecord, *, base_url: str,
               info: IdentifyInfo) -> etree._Element: ...


class OaiDcFormat:
    prefix = "oai_dc"
    schema = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    namespace = OAI_DC_NS

    def render(self, record: ObjectRecord, *, base_url: str,
               info: IdentifyInfo) -> etree._Element:
        return oai_dc(record, base_url=base_url, publisher=info.publisher)


class LidoFormat:
    prefix = "lido"
    schema = "http://www.lido-schema.org/schema/v1.1/lido-v1.1.xsd"
    namespace = LIDO_NS

    def render(self, record: ObjectRecord, *, base_url: str,
               info: IdentifyInfo) -> etree._Element:
        return lido_record(record, base_url=base_url, institution=info.publisher)


METADATA_FORMATS: Final[Mapping[str, MetadataFormat]] = {
    format_.prefix: format_ for format_ in (OaiDcFormat(), LidoFormat())
}


class OaiError(Exception):
    """A protocol error (spec §3.6): its code and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# Arguments each verb allows (spec §4): required ones, optional ones, and whether the
# resumptionToken form (token as the only other argument) applies.
_ARGUMENTS: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
}
_LISTS: Final = frozenset({"ListIdentifiers", "ListRecords"})
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@dataclass(frozen=True)
class _ListQuery:
    prefix: str
    from_: dt.datetime | None
    until: dt.datetime | None
    set_spec: str | None
    after_id: int | None = None
    cursor: int = 0


def handle(params: Mapping[str, str | Sequence[str]], repo: OaiRepository, *, base_url: str,
           now: dt.datetime, endpoint: str | None = None,
           formats: Mapping[str, MetadataFormat] = METADATA_FORMATS,
           page_size: int = PAGE_SIZE) -> bytes:
    """Answer one OAI-PMH request; returns the UTF-8 XML response body.

    ``params`` are the request arguments (GET query or POST form). Pass each value as a list
    (e.g. ``dict(request.GET.lists())``) to let repeated arguments be refused as the spec
    requires. ``base_url`` is the site's base URL (for record URIs); ``endpoint`` the URL of
    this OAI-PMH endpoint (default ``{base_url}/catalog/oai``). Protocol errors are answered
    in the XML as ``<error code=…>``; this function raises nothing for bad requests.
    """
    endpoint = endpoint or s.base(base_url) + "/catalog/oai"
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    _oai(root, "responseDate", s.utc_timestamp(now))
    request = _oai(root, "request", endpoint)
    try:
        arguments = _single_values(params)
        verb = _verb(arguments)
        _check_arguments(verb, arguments)
        # Spec §3.2: echo the arguments only when they were legal.
        request.set("verb", verb)
        for key, value in arguments.items():
            if key != "verb":
                request.set(key, value)
        body = _answer(verb, arguments, repo, base_url, endpoint, formats, page_size)
        root.append(body)
    except OaiError as error:
        if error.code in ("badVerb", "badArgument"):
            for key in list(request.attrib):
                del request.attrib[key]
        element = _oai(root, "error", error.message)
        element.set("code", error.code)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _oai(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{OAI_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def _single_values(params: Mapping[str, str | Sequence[str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    repeated = []
    for key, value in params.items():
        if isinstance(value, str):
            values[key] = value
        elif len(value) == 1:
            values[key] = value[0]
        else:
            repeated.append(key)
    if "verb" in repeated:
        raise OaiError("badVerb", _("The verb argument is repeated."))
    if repeated:
        raise OaiError("badArgument", _("The argument %(name)s is repeated.")
                       % {"name": ", ".join(sorted(repeated))})
    return values


def _verb(arguments: Mapping[str, str]) -> str:
    verb = arguments.get("verb")
    if verb is None:
        raise OaiError("badVerb", _("The request has no verb argument."))
    if verb not in _ARGUMENTS:
        raise OaiError("badVerb", _("%(verb)s is not an OAI-PMH verb.") % {"verb": verb})
    return verb


def _check_arguments(verb: str, arguments: Mapping[str, str]) -> None:
    given = set(arguments) - {"verb"}
    required, optional = _ARGUMENTS[verb]
    if verb in _LISTS and "resumptionToken" in given:
        # The token carries the list's arguments; it must come alone (spec §3.5).
        if given != {"resumptionToken"}:
            raise OaiError("badArgument", _(
                "resumptionToken is an exclusive argument: send it without %(names)s."
            ) % {"names": ", ".join(sorted(given - {"resumptionToken"}))})
        return
    illegal = given - required - optional
    if illegal:
        raise OaiError("badArgument", _("%(verb)s does not take the argument %(names)s.")
                       % {"verb": verb, "names": ", ".join(sorted(illegal))})
    missing = required - given
    if missing:
        raise OaiError("badArgument", _("%(verb)s needs the argument %(names)s.")
                       % {"verb": verb, "names": ", ".join(sorted(missing))})


def _answer(verb: str, arguments: Mapping[str, str], repo: OaiRepository, base_url: str,
            endpoint: str, formats: Mapping[str, MetadataFormat],
            page_size: int) -> etree._Element:
    if verb == "Identify":
        return _identify(repo, endpoint)
    if verb == "ListMetadataFormats":
        return _list_formats(repo, arguments.get("identifier"), formats)
    if verb == "ListSets":
        return _list_sets(repo, arguments.get("resumptionToken"))
    if verb == "GetRecord":
        return _get_record(repo, arguments, base_url, formats)
    return _list(verb, repo, arguments, base_url, formats, page_size)


def _identify(repo: OaiRepository, endpoint: str) -> etree._Element:
    info = repo.identify_info()
    element = etree.Element(f"{{{OAI_NS}}}Identify")
    _oai(element, "repositoryName", info.repository_name)
    _oai(element, "baseURL", endpoint)
    _oai(element, "protocolVersion", "2.0")
    for email in info.admin_emails:
        _oai(element, "adminEmail", email)
    _oai(element, "earliestDatestamp", s.utc_timestamp(info.earliest_datestamp))
    _oai(element, "deletedRecord", info.deleted_record)
    _oai(element, "granularity", GRANULARITY)
    return element


def _list_formats(repo: OaiRepository, identifier: str | None,
                  formats: Mapping[str, MetadataFormat]) -> etree._Element:
    if identifier is not None and repo.get_record(identifier) is None:
        raise OaiError("idDoesNotExist", _("No item has the identifier %(id)s.")
                       % {"id": identifier})
    element = etree.Element(f"{{{OAI_NS}}}ListMetadataFormats")
    for format_ in formats.values():
        entry = _oai(element, "metadataFormat")
        _oai(entry, "metadataPrefix", format_.prefix)
        _oai(entry, "schema", format_.schema)
        _oai(entry, "metadataNamespace", format_.namespace)
    return element


def _list_sets(repo: OaiRepository, token: str | None) -> etree._Element:
    if token is not None:
        # ListSets is never split into pages, so no token of ours can continue it.
        raise OaiError("badResumptionToken", _("This repository issues no tokens for ListSets."))
    sets = repo.sets()
    if not sets:
        raise OaiError("noSetHierarchy", _("This repository does not support sets."))
    element = etree.Element(f"{{{OAI_NS}}}ListSets")
    for oai_set in sets:
        entry = _oai(element, "set")
        _oai(entry, "setSpec", oai_set.spec)
        _oai(entry, "setName", oai_set.name)
    return element


def _format(prefix: str, formats: Mapping[str, MetadataFormat]) -> MetadataFormat:
    format_ = formats.get(prefix)
    if format_ is None:
        raise OaiError("cannotDisseminateFormat", _(
            "The metadata format %(prefix)s is not offered; use ListMetadataFormats."
        ) % {"prefix": prefix})
    return format_


def _get_record(repo: OaiRepository, arguments: Mapping[str, str], base_url: str,
                formats: Mapping[str, MetadataFormat]) -> etree._Element:
    format_ = _format(arguments["metadataPrefix"], formats)
    found = repo.get_record(arguments["identifier"])
    if found is None:
        raise OaiError("idDoesNotExist", _("No item has the identifier %(id)s.")
                       % {"id": arguments["identifier"]})
    header, record = found
    element = etree.Element(f"{{{OAI_NS}}}GetRecord")
    element.append(_record(header, record, format_, base_url, repo.identify_info()))
    return element


def _header(header: Header) -> etree._Element:
    element = etree.Element(f"{{{OAI_NS}}}header")
    if header.deleted:
        element.set("status", "deleted")
    _oai(element, "identifier", header.identifier)
    _oai(element, "datestamp", s.utc_timestamp(header.datestamp))
    for spec in header.set_specs:
        _oai(element, "setSpec", spec)
    return element


def _record(header: Header, record: ObjectRecord | None, format_: MetadataFormat,
            base_url: str, info: IdentifyInfo) -> etree._Element:
    element = etree.Element(f"{{{OAI_NS}}}record")
    element.append(_header(header))
    if not header.deleted and record is not None:
        metadata = _oai(element, "metadata")
        metadata.append(format_.render(record, base_url=base_url, info=info))
    return element


def _parse_datestamp(name: str, value: str, *, end_of_day: bool) -> tuple[dt.datetime, str]:
    if _SECOND.match(value):
        granularity = "second"
        text = value[:-1]
    elif _DAY.match(value):
        granularity = "day"
        text = value + ("T23:59:59" if end_of_day else "T00:00:00")
    else:
        raise OaiError("badArgument", _(
            "%(name)s must be a UTC date YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, not %(value)s."
        ) % {"name": name, "value": value})
    try:
        moment = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    except ValueError as error:
        raise OaiError("badArgument", _("%(name)s is not a real date: %(value)s.")
                       % {"name": name, "value": value}) from error
    return moment, granularity


def _query_from_arguments(arguments: Mapping[str, str], repo: OaiRepository,
                          formats: Mapping[str, MetadataFormat]) -> _ListQuery:
    prefix = arguments["metadataPrefix"]
    _format(prefix, formats)
    from_ = until = None
    granularities = set()
    if "from" in arguments:
        from_, granularity = _parse_datestamp("from", arguments["from"], end_of_day=False)
        granularities.add(granularity)
    if "until" in arguments:
        until, granularity = _parse_datestamp("until", arguments["until"], end_of_day=True)
        granularities.add(granularity)
    if len(granularities) > 1:
        raise OaiError("badArgument", _("from and until must have the same granularity."))
    if from_ is not None and until is not None and from_ > until:
        raise OaiError("badArgument", _("from is later than until."))
    set_spec = arguments.get("set")
    if set_spec is not None and not repo.sets():
        raise OaiError("noSetHierarchy", _("This repository does not support sets."))
    return _ListQuery(prefix, from_, until, set_spec)


def _encode_token(verb: str, query: _ListQuery) -> str:
    payload = {
        "v": verb,
        "p": query.prefix,
        "f": s.utc_timestamp(query.from_) if query.from_ else None,
        "u": s.utc_timestamp(query.until) if query.until else None,
        "s": query.set_spec,
        "a": query.after_id,
        "c": query.cursor,
    }
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


def _decode_token(verb: str, token: str, formats: Mapping[str, MetadataFormat]) -> _ListQuery:
    bad = OaiError("badResumptionToken", _("The resumptionToken is not valid for this list."))
    try:
        payload = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature as error:
        raise bad from error
    if not isinstance(payload, dict) or payload.get("v") != verb:
        raise bad
    prefix, after_id, cursor = payload.get("p"), payload.get("a"), payload.get("c")
    set_spec = payload.get("s")
    if (not isinstance(prefix, str) or prefix not in formats or not isinstance(after_id, int)
            or not isinstance(cursor, int) or not isinstance(set_spec, str | None)):
        raise bad

    def moment(key: str) -> dt.datetime | None:
        value = payload.get(key)
        if value is None:
            return None
        return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)

    try:
        return _ListQuery(prefix, moment("f"), moment("u"), set_spec, after_id, cursor)
    except (TypeError, ValueError) as error:
        raise bad from error


def _list(verb: str, repo: OaiRepository, arguments: Mapping[str, str], base_url: str,
          formats: Mapping[str, MetadataFormat], page_size: int) -> etree._Element:
    token = arguments.get("resumptionToken")
    if token is not None:
        query = _decode_token(verb, token, formats)
    else:
        query = _query_from_arguments(arguments, repo, formats)
    # One extra header tells whether another page follows without counting the list.
    headers = repo.list_headers(query.from_, query.until, query.set_spec, query.after_id,
                                page_size + 1)
    more = len(headers) > page_size
    headers = headers[:page_size]
    if not headers:
        if token is not None:
            raise OaiError("badResumptionToken", _("The list this token continues has ended."))
        raise OaiError("noRecordsMatch", _("No items match these arguments."))
    element = etree.Element(f"{{{OAI_NS}}}{verb}")
    if verb == "ListIdentifiers":
        for header in headers:
            element.append(_header(header))
    else:
        info = repo.identify_info()
        format_ = formats[query.prefix]
        found = repo.records([h for h in headers if not h.deleted])
        for header in headers:
            element.append(_record(header, found.get(header.identifier), format_, base_url,
                                   info))
    if more or token is not None:
        resumption = _oai(element, "resumptionToken")
        resumption.set("cursor", str(query.cursor))
        if more:
            following = _ListQuery(query.prefix, query.from_, query.until, query.set_spec,
                                   headers[-1].item_id, query.cursor + len(headers))
            resumption.text = _encode_token(verb, following)
    return element
