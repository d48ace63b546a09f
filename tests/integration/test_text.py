"""`plain_text`: HTML and quoted e-mail history removed, signatures only on request."""

from __future__ import annotations

import pytest
from mailparser_reply import EmailReplyParser

from integration.text import (
    DEFAULT_LANGUAGES,
    _may_have_reply_header,
    html_to_text,
    latest_reply,
    looks_like_html,
    plain_text,
)

ZENDESK_MARKER = "##- Please type your reply above this line -##"


def test_plain_text_passes_through_trimmed() -> None:
    assert plain_text("  Where is my refund?  \n") == "Where is my refund?"


def test_html_becomes_lines_with_entities_decoded() -> None:
    html = "<div><p>You are <b>useless</b>&nbsp;&amp; slow.</p><p>Fix it<br>now!</p></div>"
    assert plain_text(html) == "You are useless & slow.\nFix it\nnow!"


def test_inline_tags_do_not_split_words() -> None:
    assert plain_text("<p>id<i>iot</i>s</p>") == "idiots"


def test_html_quote_blocks_and_scripts_are_dropped() -> None:
    html = (
        "<p>New words.</p><blockquote>old words</blockquote>"
        '<div class="gmail_quote">On Mon wrote: older</div><script>evil()</script>'
        '<div id="appendonsend"></div><style>p{color:red}</style>'
    )
    assert plain_text(html) == "New words."


def test_html_detection() -> None:
    assert looks_like_html("<p>hi</p>")
    assert looks_like_html('<div class="x">hi</div>')
    assert not looks_like_html("I <3 you, 2 < 3 and a->b")
    assert plain_text("I <3 you, 2 < 3") == "I <3 you, 2 < 3"


def test_html_flag_overrides_detection() -> None:
    assert plain_text("<b>not html here</b>", html=False) == "<b>not html here</b>"
    assert html_to_text("fish &amp; chips") == "fish & chips"


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, Jan 1, 2024 at 10:00 AM Support <help@example.com> wrote:",
        "Am Mo., 1. Jan. 2024 um 10:00 Uhr schrieb Support <help@example.com>:",
        "Le lun. 1 janv. 2024 à 10:00, Support <help@example.com> a écrit :",
    ],
)
def test_quoted_history_under_a_reply_header_is_removed(header: str) -> None:
    mail = f"This is unacceptable.\n\n{header}\n> We are looking into it.\n> Regards"
    assert plain_text(mail) == "This is unacceptable."


def test_outlook_header_block_is_removed() -> None:
    mail = (
        "Stop ignoring me.\n\nFrom: Support <help@example.com>\nSent: Monday, 1 January 2024\n"
        "To: Sam\nSubject: RE: Order\n\nWe are looking into it."
    )
    assert plain_text(mail) == "Stop ignoring me."


def test_stray_quoted_lines_are_removed() -> None:
    assert plain_text("Answer me.\n> earlier text\n>> older") == "Answer me."


def test_vendor_reply_marker_cuts_the_rest() -> None:
    mail = f"Where is it?\n{ZENDESK_MARKER}\nYour request (5158) has been updated."
    assert plain_text(mail, reply_markers=[ZENDESK_MARKER]) == "Where is it?"
    assert "updated" in plain_text(mail)


def test_signatures_are_kept_unless_asked() -> None:
    mail = "Refund me now.\n\nBest regards,\nSam Customer"
    assert plain_text(mail) == "Refund me now.\n\nBest regards,\nSam Customer"
    assert plain_text(mail, strip_signature=True) == "Refund me now."


def test_a_thanks_line_does_not_hide_what_follows_by_default() -> None:
    assert (
        plain_text("Hello\nThanks for nothing, you idiot") == "Hello\nThanks for nothing, you idiot"
    )


def test_whitespace_is_normalised() -> None:
    assert plain_text("a\u00a0\u00a0b\t c\r\n\r\n\r\n\r\nd") == "a b c\n\nd"


def test_empty_input() -> None:
    assert plain_text("") == ""
    assert plain_text("<div></div>") == ""


MAILS = [
    "Fix it.\n\nOn Mon, Jan 1, 2024 at 10:00 AM Support <help@example.com> wrote:\n> old",
    "Fix it.\nThanks,\nSam\n\nAm Mo., 1. Jan. 2024 um 10:00 Uhr schrieb S <s@example.com>:\n> alt",
    "Angry.\n\nFrom: Support <a@example.com>\nSent: Monday\nTo: me\nSubject: Re: x\n\nold",
    "Line one\nNote: the second line has a colon\nThird line",
    "-----Original Message-----\nFrom: Support <a@example.com>\nSent: Monday\n\nforwarded",
]


@pytest.mark.parametrize("mail", MAILS)
def test_latest_reply_agrees_with_the_librarys_full_split(mail: str) -> None:
    full = EmailReplyParser(languages=list(DEFAULT_LANGUAGES)).read(mail).replies[0].full_body
    assert latest_reply(mail).strip() == full.strip()


def test_a_mail_that_starts_with_a_header_keeps_the_forwarded_text() -> None:
    mail = "From: Support <a@example.com>\nSent: Monday\nTo: me\nSubject: x\n\nforwarded words"
    assert "forwarded words" in latest_reply(mail)


@pytest.mark.parametrize(
    "text",
    [
        "ok\n\nOn Wed, 8 Jan 2025, Support WROTE:\n> old",
        "ok\nAm 8. Jan. 2025 schrieb Support:",
        "ok\nLe 8 janv. 2025, Support a ÉCRIT :",
        "ok\n> From: support@example.com",
        "ok\n보낸 사람: support",
        "ok\n-- \nSam",
        "ok\n_____\nFrom",
        "ok " + "-" * 40,
        "ok\n2025年1月8日 Support 写道：",
    ],
)
def test_reply_header_precheck_sees_every_header_shape(text: str) -> None:
    assert _may_have_reply_header(text)


@pytest.mark.parametrize(
    "text", ["Where is my refund?", "Still waiting\nfor an answer", "5521: nothing came"]
)
def test_reply_header_precheck_passes_plain_messages(text: str) -> None:
    assert not _may_have_reply_header(text)
    assert latest_reply(text) == text
