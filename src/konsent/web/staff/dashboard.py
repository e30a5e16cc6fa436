"""The dashboard: services/dashboard's figures as charts, each with its figures as a table beside it
(the text alternative), for a chosen stretch of days, weeks or months in the organisation's time."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from konsent.errors import InputError
from konsent.services import dashboard
from konsent.services.dashboard import Dashboard
from konsent.services.reporting.periods import BUCKETS
from konsent.web.deps import konsent_of
from konsent.web.staff import charts
from konsent.web.staff.guard import Anyone
from konsent.web.staff.pages import render
from konsent.web.staff.words_more import more_words

router = APIRouter()
DEFAULT_DAYS = 7 * 12
DOI_PARTS = ("confirmed", "open", "expired")
OBJECTED = ("email", "sms", "phone", "post", "all")
Day = Annotated[str, Query(max_length=10)]


@dataclass(frozen=True)
class Shown:
    labels: list[str]
    consent: charts.LineChart
    consent_rows: list[tuple[str, list[str]]]  # channel label -> "rate (with consent / with address)" per period
    doi: charts.ColumnChart
    doi_total: tuple[int, int, float | None]  # requested, confirmed, rate over the whole stretch
    objections: charts.ColumnChart
    bases: charts.ColumnChart
    withheld: list[charts.Bar]


@router.get("/dashboard", response_class=HTMLResponse)
def page(request: Request, who: Anyone, since: Day = "", until: Day = "",
         bucket: Annotated[str, Query(max_length=5)] = "week") -> HTMLResponse:
    app = konsent_of(request)
    today = app.now().astimezone(ZoneInfo(who.timezone)).date()
    values = {"since": since, "until": until, "bucket": bucket}
    try:
        last = _day("until", until) or today
        first = _day("since", since) or last - timedelta(days=DEFAULT_DAYS - 1)
        # The form's "to" day counts in full.
        found = dashboard.figures(app, who.organisation_id, since=first, until=last + timedelta(days=1),
                                  bucket=bucket, lang=who.lang)
    except InputError as error:
        return render(request, who, "dashboard.html", status=422, section="dashboard", values=values, buckets=BUCKETS,
                      shown=None, error={"field": error.field, "message": error.message})
    values = {"since": first.isoformat(), "until": last.isoformat(), "bucket": bucket}
    return render(request, who, "dashboard.html", section="dashboard", values=values, buckets=BUCKETS,
                  shown=_shown(found, who.lang), error=None)


def _day(name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(name, "give a day as YYYY-MM-DD") from None


def _label(start: datetime, bucket: str, lang: str) -> str:
    if bucket == "month":
        return start.strftime("%m/%Y")
    return start.strftime("%d.%m." if lang == "de" else "%b %d")


def _shown(found: Dashboard, lang: str) -> Shown:
    points, w = found.points, found.words
    labels = [_label(p.start, found.bucket, lang) for p in points]
    channels = [c for c in dashboard.CHANNELS if any(p.consent[c].with_address for p in points)]
    consent = charts.lines(labels, {c: (w.get(c, c), [p.consent[c].rate for p in points]) for c in channels})
    consent_rows = [(w.get(c, c), [_rate(p.consent[c].rate, p.consent[c].with_consent, p.consent[c].with_address)
                                   for p in points]) for c in channels]
    requested = sum(p.doi.requested for p in points)
    confirmed = sum(p.doi.confirmed for p in points)
    m = more_words(lang)
    doi = charts.columns(labels, {part: (m[f"doi_{part}"], [getattr(p.doi, part) for p in points])
                                  for part in DOI_PARTS})
    objected = [c for c in OBJECTED if any(p.objections.get(c) for p in points)]
    objections = charts.columns(labels, {c: (w.get(c, c), [p.objections.get(c, 0) for p in points])
                                         for c in objected})
    basis_codes = sorted({code for p in points for code in p.messages_by_basis})
    bases = charts.columns(labels, {code: (w.get(code, code), [p.messages_by_basis.get(code, 0) for p in points])
                                    for code in basis_codes})
    withheld: dict[str, int] = {}
    for p in points:
        for code, n in p.withheld_by_reason.items():
            withheld[code] = withheld.get(code, 0) + n
    ordered = sorted(withheld.items(), key=lambda item: (-item[1], item[0]))
    return Shown(labels, consent, consent_rows, doi, (requested, confirmed, dashboard.rate(confirmed, requested)),
                 objections, bases, charts.bars([(code, w.get(code, code), n) for code, n in ordered]))


def _rate(rate: float | None, part: int, whole: int) -> str:
    return "—" if rate is None else f"{rate:g} % ({part}/{whole})"
