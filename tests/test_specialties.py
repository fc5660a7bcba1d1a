"""Specialty tags from free text."""

from __future__ import annotations

import pytest

from scraper.specialties import FACIAL, tag_text


@pytest.mark.parametrize("text", [
    "We offer Facial Rejuvenation Acupuncture.", "cosmetic acupuncture", "Mei Zen facelifts",
    "Acupuncture face-lift and cupping", "Micro-needling with acupuncture for scars",
    "facial rejuvenation",
])
def test_facial_acupuncture_and_its_synonyms(text):
    assert FACIAL in dict(tag_text(text))


@pytest.mark.parametrize("text", [
    "Facial expressions of pain are studied.", "We do not do faces.", "", None,
    "Painting classes",  # "pain" only as a whole word
])
def test_no_false_facial_claims(text):
    tags = dict(tag_text(text))
    assert FACIAL not in tags
    if text == "Painting classes":
        assert tags == {}


def test_each_tag_keeps_the_sentence_that_claims_it():
    text = "Welcome! We treat back pain and sciatica. Ask about facial rejuvenation."
    assert tag_text(text) == [("facial acupuncture", "Ask about facial rejuvenation."),
                              ("pain", "We treat back pain and sciatica.")]
