"""Every sample in the provider documents is served byte for byte by the sandbox."""

from __future__ import annotations

from pathlib import Path
import re

import pytest

from sandbox import samples

DOCUMENTS = Path(__file__).parents[3] / "shared" / "providers"
# A fenced block's content: the lines between its ``` lines, newlines included.
FENCED = re.compile(r"^```\n(.*?)^```", re.DOTALL | re.MULTILINE)


def fenced_blocks(document: str) -> list[str]:
    """Return the fenced blocks of a document, in order."""
    text = (DOCUMENTS / document).read_text(encoding="utf-8")
    return FENCED.findall(text)


@pytest.mark.parametrize(
    ("document", "name"),
    [
        ("telspiel.txt", "TELSPIEL_REQUEST"),
        ("telspiel.txt", "TELSPIEL_SUCCESS"),
        ("telspiel.txt", "TELSPIEL_FORBIDDEN"),
        ("telspiel.txt", "TELSPIEL_CUSTOMER_REQUIRED"),
        ("telspiel.txt", "TELSPIEL_AGENT_REQUIRED"),
        ("telecmi.txt", "TELECMI_REQUEST"),
        ("telecmi.txt", "TELECMI_SUCCESS"),
        ("ameyo.txt", "AMEYO_REQUEST"),
        ("ameyo.txt", "AMEYO_ON_BREAK"),
        ("ameyo.txt", "AMEYO_NOT_LOGGED_IN"),
        ("ameyo.txt", "AMEYO_CHANNEL_UNAVAILABLE"),
        ("ameyo.txt", "AMEYO_AGENT_NO_ANSWER_PART_1"),
        ("ameyo.txt", "AMEYO_AGENT_NO_ANSWER_PART_2"),
        ("ameyo.txt", "AMEYO_CUSTOMER_NO_ANSWER"),
        ("ameyo.txt", "AMEYO_CONNECTED"),
        ("voicepanel.txt", "VOICE_PANEL_REPORT"),
        ("spokn.txt", "SPOKN_SUCCESS"),
        ("telecmi-webhooks.txt", "TELECMI_EVENT_A_STARTED"),
        ("telecmi-webhooks.txt", "TELECMI_CDR_B_ANSWERED"),
        ("telecmi-webhooks.txt", "TELECMI_CDR_A_MISSED"),
        ("telecmi-webhooks.txt", "TELECMI_INDIA_EVENT"),
        ("telecmi-webhooks.txt", "TELECMI_INDIA_CDR"),
        ("twilio.txt", "TWILIO_TWIML"),
        ("twilio.txt", "TWILIO_CALL_ANSWER"),
        ("twilio.txt", "TWILIO_ERROR"),
        ("twilio.txt", "TWILIO_STATUS_COMPLETED"),
        ("exotel.txt", "EXOTEL_CURL"),
        ("exotel.txt", "EXOTEL_CONNECT_ANSWER"),
        ("exotel.txt", "EXOTEL_ERROR"),
        ("exotel.txt", "EXOTEL_TERMINAL"),
        ("exotel.txt", "EXOTEL_ANSWERED_A"),
        ("exotel.txt", "EXOTEL_ANSWERED_B"),
        ("exotel.txt", "EXOTEL_TERMINAL_NO_ANSWER"),
    ],
)
def test_sample_stands_verbatim_in_its_document(document: str, name: str) -> None:
    """The sandbox's copy of a sample is the document's text, byte for byte."""
    text = (DOCUMENTS / document).read_text(encoding="utf-8")
    assert getattr(samples, name) in text


def test_ameyo_samples_are_the_fenced_blocks() -> None:
    """Each Ameyo sample is a whole fenced block, from its first to its last line."""
    assert fenced_blocks("ameyo.txt")[:8] == [
        samples.AMEYO_REQUEST,
        samples.AMEYO_ON_BREAK,
        samples.AMEYO_NOT_LOGGED_IN,
        samples.AMEYO_CHANNEL_UNAVAILABLE,
        samples.AMEYO_AGENT_NO_ANSWER_PART_1,
        samples.AMEYO_AGENT_NO_ANSWER_PART_2,
        samples.AMEYO_CUSTOMER_NO_ANSWER,
        samples.AMEYO_CONNECTED,
    ]


def test_ameyo_agent_no_answer_joins_the_page_break() -> None:
    """Sample 4 is the block before the page break, then the block after it."""
    assert samples.AMEYO_AGENT_NO_ANSWER == (
        samples.AMEYO_AGENT_NO_ANSWER_PART_1 + samples.AMEYO_AGENT_NO_ANSWER_PART_2
    )
    assert samples.AMEYO_AGENT_NO_ANSWER.endswith('"agent\\"\n        ]\n    }"\n}\n')


def test_spokn_sample_is_the_fenced_block() -> None:
    """The Spokn answer is the document's only fenced block, whole."""
    assert fenced_blocks("spokn.txt") == [samples.SPOKN_SUCCESS]
