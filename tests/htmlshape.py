"""The structure of an HTML document, for golden tests that pin structure and not bytes.

:func:`outline` keeps elements, their ``class`` and their nesting, one line per element,
indented; it drops text, styles and attribute values other than ``class``, and the inside of
the QR code's SVG (segno's drawing, not ours). :func:`texts` gives the visible text.
"""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"meta", "br", "wbr", "img", "input", "link", "hr", "col", "rect", "path"}


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.stack: list[str] = []
        self.skip_depth = 0  # inside <svg class="qr">
        self.text: list[str] = []
        self.in_style = False
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "style":
            self.in_style = True
        if self.skip_depth:
            if tag not in VOID:
                self.skip_depth += 1
            return
        classes = " ".join(sorted((attributes.get("class") or "").split()))
        self.lines.append("  " * len(self.stack) + tag + (f".{classes}" if classes else ""))
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag == "svg" and "qr" in classes.split():
            self.skip_depth = 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and not self.skip_depth:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.in_style = False
        if self.skip_depth:
            self.skip_depth -= 1
            if self.skip_depth:
                return
        if tag in VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.in_style and data.strip():
            self.text.append(data.strip())


def parse(page: str) -> _Outline:
    """Parse a page, checking that every element is closed in order."""
    parser = _Outline()
    parser.feed(page)
    parser.close()
    assert not parser.stack, f"unclosed elements: {parser.stack}"
    return parser


def outline(page: str) -> str:
    """Elements with their classes, indented by nesting; one per line, ending in a newline."""
    return "\n".join(parse(page).lines) + "\n"


def texts(page: str) -> str:
    """The visible text (outside <style>), pieces joined by single spaces."""
    return " ".join(parse(page).text)
