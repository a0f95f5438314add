"""Checks that speak the handout's language: Spanish syllables and formulas (against values
computed by hand), Spanish word lists, Spanish crisis-line advice, and no English formula or
list applied to a language brochure has none for."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pyphen
import pytest
import yaml
from conftest import REPO

from brochure.checks import spanish
from brochure.checks.languages import language_of
from brochure.checks.review import check_content
from brochure.content import load_with_source

SPANISH_SEED = REPO / "examples" / "bilingual" / "content.es.yaml"


@pytest.mark.parametrize(("word", "count"), [
    ("ketamina", 4), ("infusión", 3), ("día", 2), ("país", 2), ("leer", 2), ("poeta", 3), ("aéreo", 4),
    ("guerra", 2), ("queso", 2), ("pingüino", 3), ("muy", 1), ("hoy", 1), ("y", 1), ("reyes", 2), ("ciudad", 2),
    ("buey", 1), ("neurotransmisores", 6), ("anestésico", 5), ("actúa", 3), ("que", 1), ("agua", 2),
    ("todavía", 4), ("cognitivas", 4), ("NMDA", 4), ("3", 1), ("TEPT", 4),
])
def test_spanish_syllables_by_hand(word: str, count: int) -> None:
    assert spanish.syllables(word) == count


def test_spanish_syllables_agree_with_pyphens_spanish_dictionary() -> None:
    """pyphen's es_ES patterns never split a lone vowel off a word's ends (a-yu-da) nor a hiatus
    (dí-a): there it counts fewer; everywhere else the two agree."""
    data = yaml.safe_load(SPANISH_SEED.read_text(encoding="utf-8"))
    text = " ".join([data["intro"]] + [s["heading"] + " " + s["body"] for s in data["sections"]])
    dictionary = pyphen.Pyphen(lang="es", left=1, right=1)
    hiatus = re.compile(r"[aeoáéó]{2}|[íú][aeiouáéó]|[aeiouáéó][íú]")
    words = {w.lower() for w in re.findall(r"[^\W\d_]+", text) if not w.isupper()}  # not NMDA: said letter by letter
    plain = agree = 0
    for word in words:
        by_pyphen = len(dictionary.positions(word)) + 1
        assert spanish.syllables(word) >= by_pyphen, word
        if not (hiatus.search(word) or re.match(r"[aeiouáéíóú]", word)):
            plain += 1
            agree += spanish.syllables(word) == by_pyphen
            assert spanish.syllables(word) - by_pyphen <= 1, word  # a prefix (des-a-pa-re-cer) at most
    assert plain > 150 and agree / plain > 0.95, (agree, plain)


ONE = "La ketamina es un anestésico que actúa en el cerebro y ayuda a calmar el dolor."
TWO = "Llame a la clínica. Le daremos una cita para su infusión."


def test_fernandez_huerta_and_szigriszt_pazos_against_hand_computed_values() -> None:
    # ONE: 16 words, 31 syllables (La 1, ke-ta-mi-na 4, es 1, un 1, a-nes-té-si-co 5, que 1,
    # ac-tú-a 3, en 1, el 1, ce-re-bro 3, y 1, a-yu-da 3, a 1, cal-mar 2, el 1, do-lor 2), 1 sentence.
    score = spanish.score([ONE])
    assert (score.sentences, score.words, score.syllables) == (1, 16, 31)
    assert score.fernandez_huerta == pytest.approx(206.84 - 60 * 31 / 16 - 1.02 * 16)  # 74.27
    assert score.fernandez_huerta == pytest.approx(74.27)
    assert score.szigriszt_pazos == pytest.approx(70.12875)  # 206.835 - 62.3 * 31 / 16 - 16
    # TWO: 11 words (Lla-me 2, a 1, la 1, clí-ni-ca 3; Le 1, da-re-mos 3, u-na 2, ci-ta 2, pa-ra 2,
    # su 1, in-fu-sión 3): 21 syllables, 2 sentences.
    score = spanish.score(s for s in re.split(r"(?<=\.) ", TWO))
    assert (score.sentences, score.words, score.syllables) == (2, 11, 21)
    assert score.fernandez_huerta == pytest.approx(206.84 - 60 * 21 / 11 - 1.02 * 5.5)  # 86.685
    assert score.szigriszt_pazos == pytest.approx(206.835 - 62.3 * 21 / 11 - 5.5)  # 82.40


def test_the_scales_and_the_targets() -> None:
    assert spanish.band(74.27, spanish.FERNANDEZ_HUERTA) == "fairly easy"
    assert spanish.band(54.9, spanish.INFLESZ) == "somewhat difficult"
    assert spanish.band(55.0, spanish.INFLESZ) == "normal"
    assert spanish.minimum_fernandez_huerta(8) == 60
    assert spanish.minimum_fernandez_huerta(6) == 70
    assert spanish.minimum_fernandez_huerta(7) == 65
    assert spanish.minimum_inflesz(8) == 55
    assert spanish.grade(60) == 8 and spanish.grade(70) == 6 and spanish.grade(65) == 7


def _content(folder: Path, lang: str, body: str, name: str = "content.yaml", **extra: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"title": "Título", "lang": lang, "sections": [{"heading": "Encabezado", "body": body}],
            "clinic": {"name": "Clínica", "phone": "(913) 871-9888", "website": "example.com"},
            "disclaimer": "Información general.", "revised": "2026-11-25", "review_by": "2027-11-25", **extra}
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def findings(path: Path) -> list[str]:
    brochure, source = load_with_source(path, path.name)
    return [str(f) for f in check_content(brochure, source, today=date(2026, 12, 1))]


HARD = ("La administración intravenosa de anestésicos disociativos en pacientes con comorbilidades psiquiátricas "
        "requiere monitorización hemodinámica continua, evaluación cardiovascular exhaustiva y consentimiento "
        "informado documentado, considerando contraindicaciones farmacológicas específicas.")


def test_a_difficult_spanish_text_is_reported_by_spanish_formulas_only(tmp_path: Path) -> None:
    found = findings(_content(tmp_path, "es-US", HARD))
    levels = [f for f in found if "reading-level" in f or "Fernández-Huerta" in f]
    assert any("Fernández-Huerta" in f and "INFLESZ" in f and "sections[0].body" in f for f in levels), found
    assert not any("Flesch-Kincaid" in f or "SMOG" in f for f in found), found


def test_an_easy_spanish_text_gets_a_note_with_its_scores(tmp_path: Path) -> None:
    found = findings(_content(tmp_path, "es", TWO))
    assert [f for f in found if "Fernández-Huerta" in f] == [
        "content.yaml: the article as a whole (1 sections) reads at 86.7 on Fernández-Huerta (easy, about grade 4.3) "
        "and 82.4 on Szigriszt-Pazos (very easy on the INFLESZ scale); for grade 8 or lower, aim at 60 or more "
        "and 55 or more (higher is easier)"]


def test_a_language_without_a_formula_says_so_and_gets_no_english_grades(tmp_path: Path) -> None:
    text = ("Le glutamate est un neurotransmetteur. La kétamine bloque les récepteurs NMDA et soulage "
            "immédiatement la douleur chronique chez les patients souffrant de dépression résistante.")
    found = findings(_content(tmp_path, "fr", text))
    assert any("no readability formula for French" in f for f in found), found
    assert any("no lists of medical terms and claims in French" in f for f in found), found
    # No English list: "glutamate" and "NMDA" are not looked up in English; French words that are
    # rare in everyday French are (checks.rarity), by French frequencies.
    assert not any("Flesch-Kincaid" in f or "NMDA" in f or "not explained where" in f for f in found), found
    assert any("\u201cneurotransmetteur\u201d is a word few readers know" in f for f in found), found
    # The clinic's own lists still apply.
    found = findings(_content(tmp_path, "fr", text, checks={"extra_terms": ["glutamate"]}))  # type: ignore[arg-type]
    assert any("“glutamate” is not explained" in f for f in found), found


def test_spanish_claims_and_jargon(tmp_path: Path) -> None:
    body = ("La ketamina es una cura garantizada y no tiene efectos secundarios. Ofrece alivio inmediato. "
            "No es una cura para todos. Actúa sobre el glutamato (un mensajero químico del cerebro) y sobre "
            "los receptores NMDA, es decir, las puertas de las células nerviosas. También es un anestésico.")
    found = findings(_content(tmp_path, "es", body))
    claims = [re.search(r"“([^”]+)” is an absolute", f)[1] for f in found if "absolute" in f]  # type: ignore[index]
    assert sorted(claims) == ["alivio inmediato", "cura garantizada", "no tiene efectos secundarios"], found
    assert all("“puede ayudar a algunas personas”" in f for f in found if "absolute" in f)
    jargon = [re.search(r"“([^”]+)” is not explained", f)[1] for f in found if "not explained" in f]  # type: ignore[index]
    assert jargon == ["anestésico"], found
    assert any("entre paréntesis o con “que quiere decir …”" in f for f in found)


def test_english_lists_do_not_apply_to_spanish_and_spanish_lists_not_to_english(tmp_path: Path) -> None:
    assert not any("absolute" in f for f in findings(_content(tmp_path / "es", "es", "Es highly effective.")))
    assert not any("absolute" in f for f in findings(_content(tmp_path / "en", "en", "It is a cura garantizada.")))


def test_spanish_crisis_line_advice_says_how_to_reach_it_in_spanish(tmp_path: Path) -> None:
    found = findings(_content(tmp_path / "a", "es", "La ketamina puede ayudar con la depresión."))
    crisis = [f for f in found if "988" in f]
    assert len(crisis) == 1 and ": warning" not in crisis[0]
    assert "“depresión” makes this a mental-health handout" in crisis[0]
    assert "llame al 988 y oprima 2 para hablar en español, o envíe un mensaje de texto con la palabra AYUDA al 988" \
        in crisis[0]
    found = findings(_content(tmp_path / "b", "es", "Si tiene depresión y está en crisis, llame al 988."))
    assert [re.sub(r":\d+:", ":N:", f) for f in found if "988" in f] == [
        "content.yaml:N: sections[0].body: the 988 Lifeline answers in Spanish, but the handout does not say how to "
        "reach it that way; add a line such as “Si está en crisis, llame al 988 y oprima 2 para hablar en español, "
        "o envíe un mensaje de texto con la palabra AYUDA al 988.”"]
    found = findings(_content(tmp_path / "c", "es", "Si tiene depresión, llame al 988 y oprima 2, o escriba AYUDA al 988."))
    assert not [f for f in found if "988" in f]


def test_spanish_sentences_keep_spanish_abbreviations(tmp_path: Path) -> None:
    body = ("La Dra. López y el Sr. Pérez lo atenderán con cuidado durante toda la infusión, que dura unas "
            "dos o tres horas. Traiga sus medicamentos, p. ej. los de la presión.")
    found = findings(_content(tmp_path, "es", body))
    assert [re.sub(r":\d+:", ":N:", f) for f in found if "sentence of" in f] == [
        "content.yaml:N: sections[0].body: a sentence of 22 words (the limit is 20): “La Dra. López y el Sr. Pérez lo …”"]


def test_language_of() -> None:
    assert language_of("es-US").code == "es" and language_of("es-US").wordlists == "es"
    assert language_of("en").wordlists == ""
    assert language_of("vi").wordlists is None and language_of("vi").name == "Vietnamese"
