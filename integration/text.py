"""Plain text from what a helpdesk delivers: HTML removed, quoted e-mail history removed.

Vendor-neutral (Zendesk and Freshdesk parsers both call `plain_text`). The classifier and the
evidence spans work on the result, so it is what `Event.text` holds.

- HTML → text with selectolax (lexbor): block elements and `<br>` become line breaks,
  `<blockquote>` and the quote containers mail clients add (Gmail, Yahoo, Outlook) are dropped.
- Quoted history: mail-parser-reply splits a mail into replies at "On … wrote:" / "From:"
  headers in several languages; we keep the latest reply. Lines still starting with `>` are
  quoted text and dropped too.
- Signatures are kept unless asked: the signature rule ("Thanks," / "Regards" to the end) would
  otherwise hide a customer's words that follow such a line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from mailparser_reply import EmailReplyParser
from mailparser_reply.parser import EmailMessage
from selectolax.lexbor import LexborHTMLParser

# Containers of quoted history in HTML mail; kept here so a new client is one line.
HTML_QUOTE_SELECTORS = (
    "blockquote",
    ".gmail_quote",  # Gmail
    ".yahoo_quoted",  # Yahoo
    "#divRplyFwdMsg",  # Outlook (reply header block)
    "#appendonsend",  # Outlook (everything after it is the quoted mail)
    "script",
    "style",
    "head",
    "title",
)
_BLOCKS = "p, div, li, tr, h1, h2, h3, h4, h5, h6, pre, table, ul, ol, section, article"
_LOOKS_LIKE_HTML = re.compile(
    r"<\s*(?:p|div|br|span|a|b|i|u|em|strong|blockquote|table|ul|ol|li|html|body|font|img|h[1-6])"
    r"\b[^>]*>",
    re.IGNORECASE,
)
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACE_RUNS = re.compile(r"[ \t\u00a0]+")
# Languages whose reply headers ("On … wrote:", "Am … schrieb", "Le … a écrit") are recognised.
DEFAULT_LANGUAGES = ("en", "de", "fr", "es", "it", "nl")
# A cheap pre-check: the reply parser runs only when a line could be a reply header (its
# patterns are all of these shapes), so a short message costs no regex compilation. It may
# say yes too often (the parser then decides) but must never say no to a header. Words are
# found with `in` on the case-folded text and line shapes with anchored matches per line:
# one case-insensitive alternation over the whole text cost several times more per message.
_HEADER_WORDS = (
    "wrote", "schrieb", "écrit", "escribió", "scritto", "schreef", "napisa", "skrev",
    "nadesłał", "写道", "작성", "年",
)  # fmt: skip
_HEADER_LINE = re.compile(
    r"[>* ]*[^\W\d_][^:\n]{0,14}:"  # "From:", "Von:", "Envoyé :", "보낸 사람:" …
    r"|-{2,}|_{5,}",
    re.IGNORECASE,
)
_RULE = re.compile(r"[-_]{32,}")


def _may_have_reply_header(text: str) -> bool:
    folded = text.casefold()
    return (
        any(word in folded for word in _HEADER_WORDS)
        or _RULE.search(text) is not None
        or any(_HEADER_LINE.match(line) for line in text.split("\n"))
    )


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_LIKE_HTML.search(text))


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment or document, without quoted history."""
    tree = LexborHTMLParser(html)
    for node in tree.css(", ".join(HTML_QUOTE_SELECTORS)):
        node.decompose()
    for node in tree.css("br"):
        node.replace_with("\n")
    for node in tree.css(_BLOCKS):
        node.insert_after("\n")
    root = tree.body or tree.root
    return root.text(separator="") if root is not None else ""


@lru_cache(maxsize=8)
def _reply_parser(languages: tuple[str, ...]) -> EmailReplyParser:
    return EmailReplyParser(languages=list(languages))


@lru_cache(maxsize=8)
def _header_regex(languages: tuple[str, ...]) -> re.Pattern[str]:
    """mail-parser-reply's own reply-header pattern for these languages, compiled once."""
    return EmailMessage(text="", languages=list(languages)).HEADER_REGEX  # type: ignore[no-any-return]


def latest_reply(text: str, *, strip_signature: bool = False, languages: Sequence[str] = ()) -> str:
    """The newest reply of a plain-text mail: history under a reply header is dropped.

    Without signature stripping only the first reply header matters, so we cut at it with the
    library's pattern instead of running its full split (signature and disclaimer rules over
    every reply), which costs several times more per message in the web tier.
    """
    if not strip_signature and not _may_have_reply_header(text):
        return text  # no reply header anywhere: nothing to split (and no regex work)
    langs = tuple(languages) or DEFAULT_LANGUAGES
    if not strip_signature:
        normalized = str(EmailMessage(text=text, languages=list(langs)).text)
        found = _header_regex(langs).search(normalized)
        if found is None:
            return normalized
        if normalized[: found.start()].strip():
            return normalized[: found.start()]
        # The mail starts with a header (a forward): let the library find the first reply.
    message = _reply_parser(langs).read(text)
    if not message.replies:
        return text
    reply = message.replies[0]
    return str(reply.body if strip_signature else reply.full_body)


def plain_text(
    body: str,
    *,
    html: bool | None = None,
    strip_signature: bool = False,
    reply_markers: Sequence[str] = (),
    languages: Sequence[str] = (),
) -> str:
    """Clean text for classification.

    `html`: None detects it. `reply_markers`: vendor lines above which the customer writes
    (e.g. Zendesk's "##- Please type your reply above this line -##"); text from the first
    marker on is dropped.
    """
    text = body or ""
    if html or (html is None and "<" in text and looks_like_html(text)):
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for marker in reply_markers:
        cut = text.find(marker)
        if cut >= 0:
            text = text[:cut]
    text = latest_reply(text, strip_signature=strip_signature, languages=languages)
    lines = [_SPACE_RUNS.sub(" ", line).strip() for line in text.split("\n")]
    kept = "\n".join(line for line in lines if not line.startswith(">"))
    return _BLANK_RUNS.sub("\n\n", kept).strip()
