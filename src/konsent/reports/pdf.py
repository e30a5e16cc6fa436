"""The dossier as a PDF an owner can print, sign and hand to an authority."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from konsent.reports import sections
from konsent.reports.latin1 import latin1
from konsent.reports.words import field_name, labels, moment, value_text

_GREEN, _RED, _GREY, _INK = (23, 102, 58), (176, 0, 32), (102, 102, 102), (29, 29, 31)


class _Page(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(format="A4")
        self._footer = latin1(footer)
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(auto=True, margin=16)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("helvetica", size=7)
        self.set_text_color(*_GREY)
        self.cell(0, 6, f"{self._footer} - {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(*_INK)


def _opened(footer: str, title: str, generated_at: datetime) -> _Page:
    """A konsent document's first page, with its footer on every page and its title in the metadata."""
    pdf = _Page(footer)
    pdf.set_title(latin1(title))
    pdf.set_creator("konsent")
    pdf.set_creation_date(generated_at)
    pdf.add_page()
    return pdf


def dossier(document: dict[str, Any], lang: str) -> bytes:
    w = labels(lang)
    organisation, customer = document["organisation"], document["customer"]
    pdf = _opened(f"{w['dossier_title']} - {organisation['name']} - {customer['id']}",
                  f"{w['dossier_title']} - {organisation['name']}", datetime.fromisoformat(document["generated_at"]))
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 9, latin1(w["dossier_title"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _paragraph(pdf, w["dossier_intro"], size=9)
    _header(pdf, document, w, lang)
    _verification(pdf, document["verification"], w)
    _decisions(pdf, document["newsletter_decisions"], w, lang)
    _consents(pdf, sections.consents(document, lang), w)
    _heading(pdf, w["timeline"])
    _table(pdf, [[w["seq"], w["occurred_at"], w["event"], w["details"], w["actor"]]] + [
        [str(r.seq), r.when, r.what, r.details, r.actor] for r in sections.timeline(document["events"], lang)
    ], widths=(10, 34, 40, 62, 32))
    _messages(pdf, w["doi_messages"], document["doi_messages"], w, lang, with_body=True)
    _messages(pdf, w["messages"], document["messages"], w, lang, with_body=False)
    _heading(pdf, w["chain"])
    _table(pdf, [[w["seq"], f"{w['hash']} / {w['previous']}"]] + [
        [str(e["seq"]), f"{e['hash']}\n{e['previous']}"] for e in document["events"]
    ], widths=(12, 166), mono=True)
    return bytes(pdf.output())


def _header(pdf: FPDF, document: dict[str, Any], w: dict[str, str], lang: str) -> None:
    organisation, customer = document["organisation"], document["customer"]
    rows = [[w["organisation"], ", ".join(filter(None, [organisation["name"], organisation["sender_address"]]))],
            [w["customer"], sections.display_name(customer)], [w["customer_id"], customer["id"]]]
    if customer["external_id"]:
        rows.append([w["external_id"], customer["external_id"]])
    rows += [[field_name(kind, lang), value] for kind, value in customer["contacts"].items()]
    rows.append([w["generated_at"], moment(document["generated_at"], lang)])
    if customer["erased_at"]:
        rows.append([w["erased_at"], moment(customer["erased_at"], lang)])
    _table(pdf, rows, widths=(45, 133), headings=False)
    if customer["erased_at"]:
        _paragraph(pdf, w["erased_note"], size=9, colour=_GREY)


def _verification(pdf: FPDF, verification: dict[str, Any], w: dict[str, str]) -> None:
    _heading(pdf, w["verification"])
    head = verification["head"] or {"seq": 0, "hash": ""}
    if verification["ok"]:
        _paragraph(pdf, w["chain_ok"].format(events=verification["events"], seq=head["seq"]), colour=_GREEN)
    else:
        _paragraph(pdf, w["chain_broken"].format(count=len(verification["breaks"]), events=verification["events"]),
                   colour=_RED)
        for brk in verification["breaks"]:
            _paragraph(pdf, f"#{brk['seq']} ({brk['event_id']}): {brk['problem']} - {brk['detail']}", size=9)
    _paragraph(pdf, f"{w['head']}: #{head['seq']}", size=9)
    _paragraph(pdf, head["hash"], size=8, mono=True)


def _decisions(pdf: FPDF, decisions: list[dict[str, Any]], w: dict[str, str], lang: str) -> None:
    _heading(pdf, w["current"])
    rows = [[field_name("channel", lang), w["decision"], w["reasons"]]]
    for item in decisions:
        decision = item["decision"]
        channel = value_text(item["channel"], lang) + ("" if item["address_on_file"] else f"\n({w['no_address']})")
        verdict = w[decision["decision"]] + (f"\n{value_text(decision['basis'], lang)}" if decision["basis"] else "")
        reasons = "\n".join(f"{r['texts'][lang]} [{'; '.join(r['citations'])}]" for r in decision["reasons"])
        rows.append([channel, verdict, reasons])
    _table(pdf, rows, widths=(32, 34, 112))


def _consents(pdf: FPDF, consents: list[sections.ConsentSection], w: dict[str, str]) -> None:
    _heading(pdf, w["consents"])
    if not consents:
        _paragraph(pdf, w["none"], colour=_GREY)
    for consent in consents:
        pdf.set_font("helvetica", "B", 10)
        pdf.multi_cell(0, 6, latin1(f"{w['consent_on']} {consent.given_at} - {consent.channel} (#{consent.seq})"),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _table(pdf, [list(pair) for pair in consent.details + consent.steps], widths=(45, 133), headings=False)
        status = {"intact": (w["evidence_intact"], _GREEN), "altered": (w["evidence_altered"], _RED),
                  "erased": (w["evidence_erased"], _GREY)}.get(consent.evidence_status, (w["no_evidence"], _GREY))
        _paragraph(pdf, f"{w['evidence']}: {status[0]}", size=9, colour=status[1])
        if consent.evidence:
            _table(pdf, [list(pair) for pair in consent.evidence], widths=(45, 133), headings=False)
        text = consent.text
        if text is None:
            _paragraph(pdf, f"{w['text_shown']}: {w['no_text']}", size=9, colour=_GREY)
        else:
            verdict = (w["text_intact"], _GREEN) if text["intact"] else (w["text_altered"], _RED)
            _paragraph(pdf, f"{w['text_shown']}: {text['title']} - {w['version']} {text['version']} "
                            f"({text['locale']}, {text['key']})", size=9)
            _paragraph(pdf, verdict[0], size=9, colour=verdict[1])
            _paragraph(pdf, text["body"], size=9, border=True)
            _paragraph(pdf, f"SHA-256: {text['sha256']}", size=7, mono=True)
        pdf.ln(2)


def _messages(
    pdf: FPDF, title: str, messages: list[dict[str, Any]], w: dict[str, str], lang: str, *, with_body: bool
) -> None:
    _heading(pdf, title)
    if not messages:
        _paragraph(pdf, w["none"], colour=_GREY)
    for message in messages:
        rows = [[w["kind"], f"{value_text(message['kind'], lang)} - {value_text(message['channel'], lang)}"],
                [w["status"], message["status"]], [w["created_at"], moment(message["created_at"], lang)],
                [w["sent_at"], moment(message["sent_at"], lang)], [w["to"], message["to_address"] or "-"],
                [w["subject"], message["subject"] or "-"]]
        decision = message["decision"] or {}
        if decision.get("decision"):
            reasons = [r.get("texts", {}).get(lang) or r.get("code", "") for r in decision.get("reasons", [])]
            basis = f" - {value_text(decision['basis'], lang)}" if decision.get("basis") else ""
            outcome = w.get(decision["decision"], decision["decision"]) + basis
            rows.append([w["decision"], "\n".join([outcome, *reasons])])
        _table(pdf, rows, widths=(45, 133), headings=False)
        if with_body and message["body_text"]:
            _paragraph(pdf, message["body_text"], size=8, border=True)
        pdf.ln(2)


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.h - pdf.b_margin - 30:  # a heading alone at the foot of a page helps no one
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 12)
    pdf.multi_cell(0, 7, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(200, 200, 200)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(1.5)


def _paragraph(
    pdf: FPDF, text: str, *, size: float = 10, colour: tuple[int, int, int] = _INK, mono: bool = False,
    border: bool = False,
) -> None:
    pdf.set_font("courier" if mono else "helvetica", size=size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.5, latin1(text), border=1 if border else 0, padding=2 if border else 0,
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR if mono else WrapMode.WORD)
    pdf.set_text_color(*_INK)


def _table(
    pdf: FPDF, rows: Sequence[Sequence[str]], *, widths: Sequence[float], headings: bool = True, mono: bool = False,
) -> None:
    if len(rows) <= (1 if headings else 0):
        return
    pdf.set_font("courier" if mono else "helvetica", size=7 if mono else 8)
    with pdf.table(
        col_widths=tuple(widths), width=sum(widths), align="LEFT", text_align="LEFT", first_row_as_headings=headings,
        headings_style=FontFace(emphasis="BOLD", fill_color=(240, 240, 240)), line_height=4,
        wrapmode=WrapMode.CHAR if mono else WrapMode.WORD, padding=1,
    ) as table:
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(latin1(str(value)))
    pdf.ln(1)


# The page and its building blocks, shared with the other reports (answer pack, records of processing).
opened, heading, paragraph = _opened, _heading, _paragraph
