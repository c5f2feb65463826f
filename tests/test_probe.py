"""The probe set's check (seq2seq_viz/probe.py) on hand-made cases, the probe file itself, and
the shipped default model against it."""

from __future__ import annotations

import pytest
import sacrebleu

from seq2seq_viz import probe
from seq2seq_viz.checkpoints import DEFAULT_MODEL, list_models, load_model
from seq2seq_viz.probe import Probe, score

# The goal: at least 80 % of the probe set passes on the default model. soft-dot trained
# until its plateau rule stopped it passes 77/85 = 90.6 % (after its first 6.8 GPU minutes 75/85,
# after 3 epochs 52/85 = 61.2 %); the floor is the goal itself, nine sentences below the
# measurement, so a beam near-tie decided otherwise on another CPU does not fail the run.
# Measure with:
#     python -m seq2seq_viz.probe pretrained/soft-dot
PASS_RATE_FLOOR = 0.80
PASS_RATE_GOAL = 0.80

COLD = Probe("state", "I am cold.", ("J'ai froid.",), ("froid",))
CAT = Probe("state", "The black cat is sleeping.", ("Le chat noir dort.",), ("chat noir", "dort"))


def test_an_exact_reference_passes():
    r = score(COLD, "j'ai froid.")
    assert r.chrf == 100.0 and r.missing == () and r.stutter == "" and r.passed


def test_chrf_is_sacrebleus_best_reference_lowercased():
    p = Probe("q", "Where is the station?", ("Où est la gare ?", "Où se trouve la gare ?"), ())
    assert score(p, "Où se trouve la gare ?").chrf == 100.0
    one = sacrebleu.sentence_chrf("où se trouve la gare ?", ["où est la gare ?"]).score
    assert probe.sentence_chrf("où se trouve la gare ?", ["Où est la gare ?"]) == round(one, 2)
    assert 45 <= one < 100  # a right paraphrase of its one reference still clears the bar


def test_a_wrong_word_fails():
    r = score(COLD, "je suis froide.")  # the old default's output
    assert r.chrf < probe.PASS_CHRF and r.missing == ("froid",)  # froide is not froid
    assert not r.passed


def test_a_missing_required_word_fails_even_with_a_high_chrf():
    p = Probe(
        "food", "This soup is too hot.", ("Cette soupe est trop chaude.",), ("soupe", "chaude")
    )
    r = score(p, "cette soupe est trop chaud.")
    assert r.chrf > 85 and r.missing == ("chaude",) and not r.passed


def test_required_words_alternatives_and_phrases():
    assert probe.missing_words("je t'adore.", ["aime|adore"]) == ()
    assert probe.missing_words("le noir est chat.", ["chat noir"]) == ("chat noir",)
    assert probe.missing_words("le chat noir dort.", ["chat noir", "dort"]) == ()
    assert probe.missing_words("j'ai faim.", ["j'ai faim"]) == ()  # split at the apostrophe
    assert probe.missing_words("Il pleut aujourd'hui.", ["aujourd'hui"]) == ()
    assert probe.missing_words("ma sœur", ["sœur"]) == ()
    assert probe.missing_words("les chattes", ["chat"]) == ("chat",)  # whole words only


def test_a_repeated_run_of_words_fails():
    p = Probe("q", "Where is the train station?", ("Où est la gare ?",), ("où", "gare"))
    r = score(p, "où est la gare la gare ?")
    assert r.chrf > 80 and r.missing == () and r.stutter == "la gare" and not r.passed
    assert probe.stutter("nous nous sommes rencontrés.") == ""  # one repeated word is French


def test_unk_counters():
    results = [
        score(COLD, "j'ai froid.", unk=0),
        score(COLD, "j'ai <unk>.", unk=1),  # every source word known: spontaneous
        score(COLD, "je m'appelle minji.", unk=1, unknown_src=("minji",)),
        score(CAT, "le chat noir dort.", unk=2, unknown_src=("zorb",)),
    ]
    s = probe.summary(results)
    assert s["unk_spontaneous"] == 1 and s["unk_unknown_source"] == 2
    assert [r.spontaneous_unk for r in results] == [False, True, False, False]
    assert s["n"] == 4 and s["passed"] == 2 and s["pass_rate"] == 0.5


def test_the_probe_set():
    probes = probe.load_probes()
    assert len(probes) >= 70
    assert sum(len(p.en.split()) >= 12 for p in probes) >= 12
    assert len({p.en for p in probes}) == len(probes)
    for p in probes:
        assert 1 <= len(p.refs) <= 3 and p.must, p
        assert all(r[0].isupper() and r[-1] in ".?!" for r in p.refs), p
        for ref in p.refs:  # a reference is a correct translation, so it passes
            r = score(p, ref)
            assert r.passed and r.chrf == 100.0, (p.en, ref, r)


default_shipped = pytest.mark.skipif(
    DEFAULT_MODEL not in list_models(), reason="the default model is not shipped"
)


@pytest.fixture(scope="module")
def default_results():
    return probe.run_probes(load_model(DEFAULT_MODEL))


@default_shipped
def test_the_default_model_emits_no_spontaneous_unk(default_results):
    spontaneous = [(r.probe.en, r.output) for r in default_results if r.spontaneous_unk]
    assert spontaneous == []
    # the probe's unknown names are copied from the source (unk replacement), never left <unk>
    for r in default_results:
        if r.unknown_src:
            assert "<unk>" not in r.output, r
            assert set(r.unknown_src) <= set(probe.words(r.output)), r


@default_shipped
def test_the_default_models_pass_rate_floor(default_results):
    """The 80 % goal (see the constant)."""
    s = probe.summary(default_results)
    assert s["pass_rate"] >= PASS_RATE_FLOOR, probe.table(default_results)
