"""Rule checks: boilerplate titles and bodies, and language mismatches."""

from __future__ import annotations

import pytest

from headcheck.text.boilerplate import (
    is_boilerplate_sentence,
    is_boilerplate_text,
    is_boilerplate_title,
    split_boilerplate,
)
from headcheck.text.language import dominant_script, is_language_mismatch
from headcheck.text.prepare import prepare
from headcheck.text.rules import rule_reasons
from headcheck.text.teaser import is_teaser

ARTICLE = (
    "The city council voted on Tuesday to build protected cycle lanes along the riverside road. "
    "The project will cost 4.2 million euros and take about eighteen months. Shop owners had "
    "opposed the plan, arguing that the loss of parking spaces would hurt trade."
)
COOKIE_WALL = (
    "We use cookies to improve your experience on our site. By clicking Accept all, you agree "
    "to the storing of cookies on your device. Manage your cookie preferences. Accept all "
    "cookies. Reject all."
)


@pytest.mark.parametrize(
    "title",
    [
        "Home",
        "Home | The Daily Example",
        "Example News - Page not found",
        "Live Score: India vs Australia, 2nd Test, Day 3",
        "Cricket live score",
        "Subscribe to read",
        "Related stories",
        "404",
        "Just a moment...",
        "Please enable JavaScript",
        "Sign in",
        "Politics",
    ],
)
def test_boilerplate_titles_are_recognised(title: str) -> None:
    """Site, section, widget, error and log-in titles are boilerplate."""
    assert is_boilerplate_title(title)


@pytest.mark.parametrize(
    "title",
    [
        "Home secretary resigns over leaked memo",
        "Live updates: storm reaches the coast",
        "Politics - Prime minister calls early election for June",
        "Central bank holds interest rates at 4.5 percent",
        "Subscribers angry as streaming service raises prices",
        "Error in census count left 40,000 people out",
    ],
)
def test_story_headlines_are_not_boilerplate(title: str) -> None:
    """Headlines that merely contain a section word are stories."""
    assert not is_boilerplate_title(title)


def test_cookie_wall_body_is_boilerplate_text() -> None:
    """A body that is nothing but a cookie notice is boilerplate."""
    units = prepare("Cycle lanes approved", COOKIE_WALL)
    assert units.boilerplate_text


def test_article_with_share_and_cookie_lines_is_not_boilerplate() -> None:
    """Furniture around a real article is dropped from what is scored, not flagged."""
    body = f"{ARTICLE}\nShare this article\nWe use cookies on this site.\nFollow us on Twitter!"
    units = prepare("Council approves cycle lanes", body)
    assert not units.boilerplate_text
    assert "cookies" not in units.lead and "Twitter" not in " ".join(units.sentences)


def test_paywall_teaser_is_boilerplate_text() -> None:
    """A line of story above a paywall notice has too little article left."""
    body = (
        "The council voted on Tuesday. You have reached your limit of free articles this month. "
        "Subscribe now for unlimited access. Already a subscriber? Log in to continue reading."
    )
    assert prepare("Council votes", body).boilerplate_text


def test_sentence_naming_an_advertising_college_is_not_furniture() -> None:
    """Words such as 'advertisement' inside a story sentence do not mark it."""
    assert not is_boilerplate_sentence(
        "The fire started at the Liaoning Advertisement Vocational College on Monday."
    )


def test_boilerplate_text_needs_a_wall_and_too_little_article() -> None:
    """Only a wall with almost no article left makes a boilerplate body."""
    split = split_boilerplate([*ARTICLE.split(". "), "Accept all cookies."])
    assert split.removed == ["Accept all cookies."] and not is_boilerplate_text(split)
    assert is_boilerplate_text(split_boilerplate(["Accept all cookies.", "Reject all."]))
    assert not is_boilerplate_text(split_boilerplate(["Short story here today."]))


def test_short_story_with_a_cookie_banner_stays_an_article() -> None:
    """A two-line story with a cookie line under it is not a cookie wall."""
    body = "Drones were seen over the city on Monday night, police said.\nAccept all cookies."
    assert not prepare("Drones seen over city", body).boilerplate_text


def test_share_buttons_alone_never_make_boilerplate_text() -> None:
    """Share and sign-up furniture under a short story leaves it an article."""
    body = "Drones were seen over the city.\nShare this article\nSign up for our newsletter."
    assert not prepare("Drones seen over city", body).boilerplate_text


def test_paywall_after_a_teaser_sentence_is_boilerplate_text() -> None:
    """The story's first sentence and then a paywall: the body was cut by the wall."""
    body = (
        "The city council voted on Tuesday to build protected cycle lanes along the riverside "
        "road, after a two-year campaign by residents. Subscribe to continue reading. Already "
        "a subscriber? Log in."
    )
    assert prepare("Council approves cycle lanes", body).boilerplate_text


def test_headline_in_another_script_is_a_language_mismatch() -> None:
    """A Cyrillic headline over an English body is caught by script alone."""
    assert dominant_script("Переговоры в Женеве") == "cyrillic"
    assert is_language_mismatch("Переговоры дипломатов в Женеве", ARTICLE)


def test_english_headline_over_french_body_is_a_language_mismatch() -> None:
    """Function words tell English from French when the body is long enough."""
    french = (
        "Le conseil municipal a voté mardi pour la construction de pistes cyclables sur la "
        "route du fleuve. Le projet coûtera 4,2 millions d'euros et sera terminé dans dix-huit "
        "mois. Les commerçants sont opposés au plan, car ils perdent des places de parking."
    )
    assert is_language_mismatch("City council votes for the new cycle lanes in the city", french)


@pytest.mark.parametrize(
    "headline",
    [
        "No, a spider (probably) didn't crawl through a man's body",
        "Pollings do no undermine democracy",
        "Council approves cycle lanes",
    ],
)
def test_short_english_headlines_are_not_language_mismatches(headline: str) -> None:
    """Words shared between languages ('a', 'no', 'do') do not make a mismatch."""
    assert not is_language_mismatch(headline, ARTICLE)


@pytest.mark.parametrize(
    "sentence",
    [
        "We use cookies to improve your experience.",
        "By clicking Accept, you agree to our terms.",
        "Manage your cookie preferences.",
        "Subscribe now for unlimited access.",
        "Already a subscriber?",
        "You have reached your limit of free articles.",
        "This article is for subscribers only.",
        "Log in to continue reading.",
        "The page you are looking for does not exist.",
        "Error 404",
        "Something went wrong.",
        "Checking your browser before accessing the site.",
        "Please enable JavaScript to continue.",
        "Verify you are human.",
        "Ray ID: 7f3a9c2b1d",
        "Share this article",
        "Follow us on Twitter!",
        "Sign up for our newsletter.",
        "Click here to watch the video.",
        "Tweet",
        "Advertisement",
    ],
)
def test_boilerplate_sentences_are_recognised(sentence: str) -> None:
    """Each kind of cookie, paywall, error, bot-check and share sentence is caught."""
    assert is_boilerplate_sentence(sentence)


def test_short_body_ending_in_an_ellipsis_is_a_teaser() -> None:
    """A short body that breaks off with an ellipsis is truncated."""
    assert is_teaser(
        "Stocks rose sharply on Wednesday after inflation cooled faster than expected…"
    )
    assert is_teaser("The council voted on Tuesday to build new cycle lanes along the river [...]")


def test_short_story_closing_on_an_interjection_is_not_a_teaser() -> None:
    """A whole short story may end on "Hm…": the ellipsis does not break off a sentence."""
    story = "The report was a hoax.\n\nIts quotes came from a satirical site in 2013.\n\n"
    assert not is_teaser(story + "Hm…")
    assert not is_teaser(story + "Well...")
    assert is_teaser(story + "The agency said on Monday that it would...")
    assert is_teaser(story + "The bill passed on Tuesday, according to U.S. officials...")
    assert not is_teaser(story + "The end. .....")
    assert is_teaser("北京市政府周二宣布，将在明年春季之前完成全部老旧小区的改造工作……")


def test_read_more_line_under_a_short_story_is_not_a_teaser() -> None:
    """A "Read more" link under a short whole story is furniture, set aside before the check."""
    units = prepare("Council approves cycle lanes", "The council voted on Tuesday.\nRead more")
    assert "truncated_text" not in rule_reasons(units)


def test_long_article_ending_in_an_ellipsis_is_not_a_teaser() -> None:
    """A full-length body may end with an ellipsis (a quote trailing off) and stays whole."""
    assert not is_teaser(" ".join([ARTICLE] * 3) + " he said, and then...")
    assert not is_teaser(ARTICLE)
