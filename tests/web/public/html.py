"""A page as a test reads it: headings, forms and their fields, labels, table cells, links."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> values (hidden and prefilled)


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.h1: list[str] = []
        self.forms: dict[str, Form] = {}
        self.labels: dict[str, str] = {}  # for -> text
        self.inputs: list[dict[str, str]] = []
        self.buttons: list[str] = []
        self.cells: list[dict[str, str]] = []
        self.links: dict[str, str] = {}  # id -> href
        self.ids: list[str] = []
        self.inline: list[str] = []  # style attributes, <style>, <script>
        self.text_parts: list[str] = []
        self._form: Form | None = None
        self._capture: list[str] | None = None
        self._label_for: str | None = None
        self.feed(html)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attrs = {name: value or "" for name, value in attributes}
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if "style" in attrs or tag in ("style", "script"):
            self.inline.append(tag)
        if tag == "form":
            self._form = Form(attrs.get("action", ""), attrs.get("method", "get"))
            self.forms[attrs.get("id", f"form-{len(self.forms)}")] = self._form
        elif tag in ("input", "select", "textarea"):
            self.inputs.append({"tag": tag, **attrs})
            keep = tag != "select" and (attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs)
            if self._form is not None and "name" in attrs and keep:
                self._form.fields.setdefault(attrs["name"], []).append(attrs.get("value", ""))
        elif tag == "option" and self._form is not None and self.inputs:
            select = self.inputs[-1]
            if select["tag"] == "select" and select.get("name") not in self._form.fields:
                self._form.fields[select["name"]] = [attrs.get("value", "")]
        elif tag == "h1":
            self._capture = self.h1_text = []
        elif tag == "label":
            self._label_for = attrs.get("for")
            self._capture = self.label_text = []
        elif tag == "button":
            self._capture = self.button_text = []
        elif tag == "td" and "data-channel" in attrs:
            self.cells.append(attrs)
        elif tag == "a" and "id" in attrs:
            self.links[attrs["id"]] = attrs.get("href", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "h1":
            self.h1.append(" ".join("".join(self.h1_text).split()))
            self._capture = None
        elif tag == "label":
            self.labels[self._label_for or ""] = " ".join("".join(self.label_text).split())
            self._capture = None
        elif tag == "button":
            self.buttons.append(" ".join("".join(self.button_text).split()))
            self._capture = None

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        if self._capture is not None:
            self._capture.append(data)


def page(response) -> Page:
    return Page(response.text)
