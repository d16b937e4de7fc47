"""Parse decoded HTML into the tree a browser would keep, and say what it cost.

Owns the one lxml (libxml2) parse of a page and the repairs that make it keep
what an HTML5 parser keeps:

- content after ``</body>`` or ``</html>`` (CMS footers, injected markup,
  concatenated fragments) goes into the body, as HTML5 tree construction puts
  it; libxml2 2.14 drops what follows ``</html>`` and leaves what follows
  ``</body>`` outside the body;
- nesting depth does not cut the page: libxml2 stops at 256 levels ("Excessive
  depth in document") unless the limit is lifted (``huge_tree``, 2048 levels);
  a page deeper than that is parsed again with the start and end tags of the
  element that runs away (hundreds of unclosed ``<span>`` or ``<font>``)
  removed, which keeps every text and link;
- whatever is still lost (deeper than the lifted limit even after that) is
  reported in :attr:`ParsedHtml.lost`, never silently.

Comments stay in the tree (licence detection reads licences left in them);
:func:`strip_comments` removes them before text extraction, where React's
``<!-- -->`` separators would cut paragraphs. Pure: no Scrapy import.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import lxml.etree
import lxml.html

__all__ = ["ParsedHtml", "parse_html", "strip_comments", "MAX_DEPTH", "LOST_DEPTH"]

MAX_DEPTH = 2048  # libxml2's nesting limit with XML_PARSE_HUGE (256 without)
RUNAWAY_NESTING = 64  # an element name repeated this often on one path from the root is what runs away
LOST_DEPTH = "parse-depth"  # content_truncated value: the rest of the page was too deeply nested to parse

REPAIR_AFTER_END = "content after </body> or </html> parsed into the body"
REPAIR_FLATTENED = "nesting deeper than {limit} levels: <{tags}> tags dropped to parse the rest"

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# Characters XML cannot hold: libxml2 turns them into U+FFFD and trafilatura
# then loses the whole text; trafilatura's own loader removes them first.
_NOT_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Bounded and stopping at "<", so that hostile input (a million "</body " without ">") stays linear.
_DOCUMENT_END_TAG = re.compile(r"</(?:body|html)(?:\s[^<>]{0,200})?>", re.IGNORECASE)
_NOT_CONTENT = re.compile(r"\s+|<!--.*?-->|<script\b[^<>]{0,2000}>.*?</script\s*>|</(?:body|html)(?:\s[^<>]{0,200})?>", re.IGNORECASE | re.DOTALL)
# Never dropped to flatten a page: they carry links, rights signals or the document's frame.
_KEEP_TAGS = frozenset({"html", "head", "body", "a", "area", "base", "meta", "link", "iframe", "frame", "script", "style", "title"})


@dataclass(frozen=True)
class ParsedHtml:
    tree: lxml.html.HtmlElement
    source: str  # the markup libxml2 parsed (after the repairs)
    repairs: tuple[str, ...] = ()  # what was done so that nothing is lost
    lost: str | None = None  # what could still not be parsed (with LOST_DEPTH), or None

    @property
    def has_comments(self) -> bool:
        return "<!--" in self.source  # a scan of the text costs far less than a walk of the tree

    @property
    def truncated(self) -> str | None:
        return LOST_DEPTH if self.lost else None


def _parse(text: str) -> tuple[lxml.html.HtmlElement, bool]:
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_pis=True, collect_ids=False, huge_tree=True)
    tree = lxml.html.document_fromstring(text.encode("utf-8", "surrogatepass"), parser=parser)
    too_deep = any("excessive depth" in entry.message.lower() for entry in parser.error_log)
    return tree, too_deep


def _lift_after_end_tags(text: str) -> tuple[str, bool]:
    """Drop ``</body>``/``</html>`` when content follows the first of them:
    libxml2 then leaves that content in the body, where HTML5 puts it."""
    first = _DOCUMENT_END_TAG.search(text)
    if first is None or not _content_follows(text, first.end()):
        return text, False
    return _DOCUMENT_END_TAG.sub("", text), True


def _content_follows(text: str, position: int) -> bool:
    """Anything but whitespace, comments, scripts and more end tags after ``position``."""
    while position < len(text):
        skipped = _NOT_CONTENT.match(text, position)
        if skipped is None:
            return True
        position = skipped.end()
    return False


def _runaway_tags(tree: lxml.html.HtmlElement) -> list[str]:
    """The element names that repeat along the deepest path of a tree libxml2 cut."""
    depth = {tree: 0}
    deepest, deepest_depth = tree, 0
    for element in tree.iter():
        parent = element.getparent()
        level = depth.get(parent, 0) + 1 if parent is not None else 0
        depth[element] = level
        if level > deepest_depth:
            deepest, deepest_depth = element, level
    names = Counter(a.tag.lower() for a in deepest.iterancestors() if isinstance(a.tag, str))
    return sorted(name for name, count in names.items() if count >= RUNAWAY_NESTING and name not in _KEEP_TAGS)


def _without_tags(text: str, names: list[str]) -> str:
    pattern = re.compile(r"</?(?:%s)(?=[\s/>])[^<>]*>" % "|".join(re.escape(n) for n in names), re.IGNORECASE)
    return pattern.sub("", text)


def parse_html(text: str) -> ParsedHtml:
    """Parse decoded HTML; raises ``lxml.etree.ParserError`` / ``ValueError`` on
    a document libxml2 cannot read at all (empty)."""
    text = _NOT_XML_CHARACTERS.sub("", _XML_DECLARATION.sub("", text, count=1))
    repairs: list[str] = []
    text, lifted = _lift_after_end_tags(text)
    if lifted:
        repairs.append(REPAIR_AFTER_END)
    tree, too_deep = _parse(text)
    if not too_deep:
        return ParsedHtml(tree, text, tuple(repairs))
    runaway = _runaway_tags(tree)
    if runaway:
        text = _without_tags(text, runaway)
        flat_tree, still_too_deep = _parse(text)
        repairs.append(REPAIR_FLATTENED.format(limit=MAX_DEPTH, tags="> <".join(runaway)))
        if not still_too_deep:
            return ParsedHtml(flat_tree, text, tuple(repairs))
        tree = flat_tree
    lost = f"nesting deeper than {MAX_DEPTH} levels: the part of the page below that depth was not parsed (text and links lost)"
    return ParsedHtml(tree, text, tuple(repairs), lost)


def strip_comments(tree: lxml.html.HtmlElement) -> None:
    """Remove comments, joining the text around them ("When <!-- -->President"
    reads "When President"), as trafilatura's own parser does."""
    lxml.etree.strip_tags(tree, lxml.etree.Comment)
