"""Every sample in the provider documents is served byte for byte by the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import samples

DOCUMENTS = Path(__file__).parent.parent.parent / "shared" / "providers"


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
    ],
)
def test_sample_stands_verbatim_in_its_document(document: str, name: str) -> None:
    """The sandbox's copy of a sample is the document's text, byte for byte."""
    text = (DOCUMENTS / document).read_text(encoding="utf-8")
    assert getattr(samples, name) in text
