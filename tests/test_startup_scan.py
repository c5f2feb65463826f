"""The faster start-up scan for custom-component packages (views/startup.py) answers as
Streamlit's own filter does, on every distribution installed here and on made-up ones."""

from __future__ import annotations

import importlib.metadata

import pytest
from streamlit.components.v2 import manifest_scanner

from seq2seq_viz.views import startup

STREAMLITS = manifest_scanner._is_likely_streamlit_component_package


class FakeDist(importlib.metadata.Distribution):
    def __init__(self, text: str) -> None:
        self.text = text

    def read_text(self, filename: str) -> str | None:
        return self.text if filename == "METADATA" else None

    def locate_file(self, path):  # pragma: no cover (not used)
        raise NotImplementedError


HEAD = "Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
MADE_UP = [
    HEAD.format(name="st-chat") + "\nBody naming streamlit only in the description.\n",
    HEAD.format(name="plain") + "\nstreamlit appears only here, in the long description.\n",
    HEAD.format(name="plain") + "Summary: A Streamlit widget\n\nText.\n",
    HEAD.format(name="plain") + "Requires-Dist: numpy\nRequires-Dist: Streamlit>=1.40\n\nText.\n",
    HEAD.format(name="Streamlit_Thing").replace("\n", "\r\n") + "\r\n\r\nstreamlit\r\n",
    HEAD.format(name="plain") + "Summary: a summary folded\n  over two lines, streamlit\n\nx\n",
    "Metadata-Version: 2.1\nVersion: 1.0\n\nno name\n",
]


def test_the_same_answer_for_every_installed_distribution():
    assert STREAMLITS is not startup.likely_component_package  # Streamlit's own, unpatched
    dists = list(importlib.metadata.distributions())
    assert len(dists) > 20  # torch, spaCy, ... : the scan has work to do
    ours = [startup.likely_component_package(d) for d in dists]
    assert ours == [STREAMLITS(d) for d in dists]
    assert any(ours)  # streamlit itself (it requires nothing named streamlit, but is named so)


@pytest.mark.parametrize("text", MADE_UP)
def test_the_same_answer_for_made_up_metadata(text):
    dist = FakeDist(text)
    assert startup.likely_component_package(dist) == STREAMLITS(dist)


def test_the_long_description_is_not_read_as_headers():
    dist = FakeDist(HEAD.format(name="plain") + "\nSummary: streamlit\nRequires-Dist: streamlit\n")
    assert not startup.likely_component_package(dist)
    assert not STREAMLITS(dist)


def test_the_scan_uses_it_after_the_patch(monkeypatch):
    monkeypatch.setattr(manifest_scanner, "_is_likely_streamlit_component_package", STREAMLITS)
    assert startup.quick_component_scan()
    assert (
        manifest_scanner._is_likely_streamlit_component_package is startup.likely_component_package
    )
    found = manifest_scanner.scan_component_manifests()
    monkeypatch.setattr(manifest_scanner, "_is_likely_streamlit_component_package", STREAMLITS)
    assert found == manifest_scanner.scan_component_manifests()


def test_without_such_a_filter_nothing_is_changed(monkeypatch):
    monkeypatch.delattr(manifest_scanner, "_is_likely_streamlit_component_package")
    assert not startup.quick_component_scan()
    assert not hasattr(manifest_scanner, "_is_likely_streamlit_component_package")
