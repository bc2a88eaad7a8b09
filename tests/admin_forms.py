"""Post admin forms as a browser would: read the page's form, change a few fields, submit it."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind in ("submit", "button", "file", "image"):
                return
            self.data.setdefault(name, []).append(attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and name and "disabled" not in attrs:
            self.select, self.select_first, self.select_chosen = name, None, False
            self.data.setdefault(name, [])
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in attrs:
                self.data[self.select].append(value)
                self.select_chosen = True
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        if tag == "select" and self.select:
            if not self.select_chosen and self.select_first is not None:
                self.data[self.select].append(self.select_first)
            self.select = None
        if tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][0] += data


def read_form(html: str, form_id: str) -> dict[str, list[str]]:
    reader = _FormReader(form_id)
    reader.feed(html)
    # A textarea's first newline belongs to the markup, as browsers read it.
    return {name: [value.removeprefix("\n") for value in values] for name, values in reader.data.items()}


def submit(client, url: str, changes: dict | None = None, *, form_id: str | None = None):
    """GET `url`, fill its admin form with `changes` (a value, a list, or None to untick), POST it back.

    The admin names a model's form `<model>_form`; `url` is /admin/<app>/<model>/....
    """
    page = client.get(url)
    if page.status_code != 200:
        return page
    data = read_form(page.content.decode(), form_id or f"{url.split('/')[3]}_form")
    for name, value in (changes or {}).items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [str(value)]
    return client.post(url, data)
