"""Page furniture told from stories: site-wide or widget titles, and sentences of a cookie
wall, paywall, error or bot-check page (in other languages than English, through the lists
of :mod:`headcheck.text.other_languages`; a teaser is :mod:`headcheck.text.teaser`'s).

Each check looks at cleaned text only (see :mod:`headcheck.text.prepare`) and costs
microseconds; :mod:`headcheck.text.rules` turns them into a pair's reasons."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from headcheck.text.other_languages import BoilerplateKind, listed_kind, listed_title

# -- titles ----------------------------------------------------------------------------------

#: Whole titles that name a page, a section or a widget rather than a story. Matched against
#: the title with a trailing or leading site name (" | Site", "Site - ") removed.
_BOILERPLATE_TITLES = re.compile(
    r"""^(?:
        home(?:\s?page)? | front\s?page | index | news | latest(?:\s+news)? | breaking(?:\s+news)?
      | top\s+stories | top\s+news | today'?s?\s+news | headlines | live | live\s+tv | watch\s+live
      | live\s+scores? | scores? | results | fixtures(?:\s+(?:and|&)\s+results)? | standings
      | scoreboard | match\s+centre | match\s+center
      | sports? | politics | business | world | opinion | technology | tech | science | health
      | entertainment | lifestyle | travel | weather | local | national | markets? | videos?
      | photos? | gallery | galleries | podcasts? | newsletters?
      | related(?:\s+(?:stories|articles|news|content|posts))? | more\s+(?:stories|news)
      | you\s+may\s+also\s+like | recommended(?:\s+for\s+you)? | trending(?:\s+now)?
      | most\s+(?:read|popular|viewed|shared) | editor'?s\s+picks? | read\s+more | see\s+more
      | (?:error\s+)?404(?:\s+(?:error|not\s+found))? | page\s+not\s+found | not\s+found
      | error | an\s+error\s+occurred | something\s+went\s+wrong | access\s+denied | forbidden
      | 403\s+forbidden | service\s+unavailable | oops!?
      | subscribe(?:\s+(?:now|today|to\s+(?:read|continue(?:\s+reading)?)))?
      | subscriber\s+only | premium(?:\s+content)? | sign\s*in | sign\s*up | log\s*in | log\s*on
      | register | create\s+(?:an\s+)?account | my\s+account | account
      | cookie\s+(?:policy|settings|preferences|consent) | cookies | privacy(?:\s+policy)?
      | terms(?:\s+(?:of\s+(?:use|service)|(?:and|&)\s+conditions))? | contact(?:\s+us)?
      | about(?:\s+us)? | advertisement | advertising | sponsored(?:\s+content)?
      | just\s+a\s+moment | attention\s+required | are\s+you\s+a\s+robot | security\s+check
      | please\s+enable\s+javascript | enable\s+javascript | javascript\s+(?:is\s+)?required
      | please\s+wait | loading | redirecting | untitled(?:\s+document)? | search(?:\s+results)?
      | menu | navigation | skip\s+to\s+(?:main\s+)?content
    )[\s.!?:…]*$""",
    re.IGNORECASE | re.VERBOSE,
)
#: Title starts that mark a widget or a feed rather than a story ("Live Score: A vs B").
_BOILERPLATE_TITLE_STARTS = re.compile(
    r"^(?:live\s+scores?|scorecard|match\s+centre|match\s+center|live\s+cricket\s+score"
    r"|live\s+streaming|watch\s+live|latest\s+news\s+(?:from|on)|related\s+(?:stories|articles)"
    r"|you\s+may\s+also\s+like|more\s+from|most\s+read|page\s+not\s+found|error\s+\d{3})\b",
    re.IGNORECASE,
)
_SITE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|»|·)\s+")


#: Widget words that mark a short title (up to eight words) anywhere in it ("Cricket live score").
_WIDGET_WORDS = re.compile(r"\b(?:live\s+scores?|scorecard|match\s+cent(?:re|er))\b", re.IGNORECASE)


def _boilerplate_core(title: str) -> bool:
    if _BOILERPLATE_TITLES.match(title) or _BOILERPLATE_TITLE_STARTS.match(title):
        return True
    if len(title.split()) <= 8 and _WIDGET_WORDS.search(title):
        return True
    return listed_title(title)


def is_boilerplate_title(title: str) -> bool:
    """A site, section, widget, error or log-in title rather than a story's headline.

    A site name around it is looked through: "Home | The Daily Example" and "Example News -
    Page not found" are boilerplate, provided the other part is short (three words or fewer).
    """
    title = title.strip()
    if _boilerplate_core(title):
        return True
    parts = _SITE_SEPARATORS.split(title)
    if len(parts) < 2:
        return False
    first, last = parts[0], parts[-1]
    return (_boilerplate_core(first) and len(" ".join(parts[1:]).split()) <= 3) or (
        _boilerplate_core(last) and len(" ".join(parts[:-1]).split()) <= 3
    )


# -- bodies ----------------------------------------------------------------------------------

#: Cookie and consent notices.
_CONSENT = re.compile(
    r"""
      \b(?:we|this\s+(?:site|website)|our\s+(?:site|partners))\s+uses?\s+cookies\b
    | \bcookie\s+(?:policy|settings|preferences|consent|banner)\b
    | \baccept\s+(?:all\s+)?cookies\b | \breject\s+all\b
    | \bmanage\s+(?:your\s+)?(?:cookie\s+)?preferences\b
    | \bby\s+(?:clicking|continuing|using\s+this\s+site)\b.{0,80}\b(?:agree|consent|accept)
    | \bstoring\s+of\s+cookies\b | \bpersonali[sz]ed\s+(?:ads|advertising)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
#: What stands between a reader and the article: paywalls, log-in walls, error and
#: bot-check pages.
_ACCESS = re.compile(
    r"""
      \bsubscribe\s+(?:now|today|to\s+(?:read|continue|keep\s+reading|unlock|get))\b
    | \balready\s+(?:a\s+)?(?:subscriber|have\s+an\s+account)\b
    | \b(?:you\s+have|you'?ve)\s+(?:reached|used)\s+(?:your|the)\s+(?:limit|maximum|\d+)\b
    | \bfree\s+articles?\b.{0,40}\b(?:month|remaining|left|limit)\b
    | \b(?:available|reserved|exclusive)\s+(?:to|for)\s+(?:our\s+)?(?:subscribers|members)\b
    | \bsubscribers?\s+only\b | \bthis\s+(?:article|content|story)\s+is\s+for\s+subscribers\b
    | \b(?:log|sign)\s*in\s+to\s+(?:continue|read|keep\s+reading|access)\b
    | \bcontinue\s+reading\s+(?:with|for)\b | \bunlimited\s+(?:digital\s+)?access\b
    | \bpage\s+(?:you\s+(?:are|were)\s+looking\s+for|not\s+found|cannot\s+be\s+found)\b
    | \bpage\s+does\s+not\s+exist\b
    | \b(?:404|403|500|502|503)\s+(?:error|not\s+found|forbidden)\b
    | \berror\s+(?:404|403|500|502|503)\b
    | \brequested\s+(?:url|page)\b.{0,40}\bnot\s+(?:found|available)\b
    | \bsomething\s+went\s+wrong\b | \baccess\s+(?:to\s+this\s+page\s+(?:has\s+been\s+)?)?denied\b
    | \bchecking\s+(?:if\s+the\s+site\s+connection\s+is\s+secure|your\s+browser)\b
    | \b(?:please\s+)?enable\s+(?:javascript|cookies)\b
    | \bjavascript\s+is\s+(?:disabled|required)\b
    | \bare\s+you\s+a\s+(?:robot|human)\b | \bverify\s+(?:that\s+)?you\s+are\s+(?:a\s+)?human\b
    | \bcaptcha\b | \bunusual\s+traffic\b | \bjust\s+a\s+moment\b | \bray\s+id\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
#: Share buttons, sign-up prompts and other page furniture around an article.
_FURNITURE = re.compile(
    r"""
      ^share\s+(?:this|on)\s+(?:article|story|page|facebook|twitter|x|whatsapp|linkedin|email)\b
    | \bfollow\s+us\s+on\b | \bsign\s+up\s+(?:for|to)\s+(?:our|the)\s+(?:free\s+)?newsletter\b
    | \bclick\s+here\s+to\b
    | ^(?:share|tweet|email|print|comments?|advertisement|sponsored(?:\s+content)?|read\s+more
        |related|copy\s+link)[\s:.!]*$
    """,
    re.IGNORECASE | re.VERBOSE,
)
#: Every alternative of the three patterns contains one of these (lower case): a sentence with
#: none of them is not tested against the slower patterns at all.
_TRIGGERS = (
    "cookie", "reject all", "preferences", "by clicking", "by continuing", "by using",
    "personali", "subscri", "already", "you have", "you've", "free article", "members",
    "in to", "continue reading", "unlimited", "page", "404", "403", "500", "502", "503",
    "requested", "went wrong", "denied", "checking", "enable", "javascript", "robot", "human",
    "captcha", "unusual traffic", "just a moment", "ray id", "share", "follow us", "newsletter",
    "click here", "tweet", "email", "print", "comment", "advert", "sponsored", "read more",
    "related", "copy link",
)  # fmt: skip
#: A consent notice is the body when it outweighs what is left and that is under this long.
MIN_ARTICLE_CHARS = 120
#: A paywall, log-in wall or error notice is the body when what is left is under this long
#: (a teaser: the first sentence or two of the story).
TEASER_CHARS = 400


def boilerplate_kind(sentence: str) -> BoilerplateKind | None:
    """Which kind of boilerplate a sentence is (consent, access or furniture), or None."""
    lower = sentence.lower()
    if any(trigger in lower for trigger in _TRIGGERS):
        if _ACCESS.search(sentence):
            return "access"
        if _CONSENT.search(sentence):
            return "consent"
        if _FURNITURE.search(sentence):
            return "furniture"
    return listed_kind(unicodedata.normalize("NFKC", lower) if not lower.isascii() else lower)


def is_boilerplate_sentence(sentence: str) -> bool:
    """A cookie, paywall, error, bot-check, share or sign-up sentence."""
    return boilerplate_kind(sentence) is not None


@dataclass(frozen=True, slots=True)
class BodySplit:
    """A body's sentences, with its boilerplate set aside and measured."""

    article: list[str]
    removed: list[str]
    consent_chars: int = 0
    access_chars: int = 0


def split_boilerplate(sentences: list[str]) -> BodySplit:
    """Set aside the boilerplate sentences, keeping the rest in order."""
    article: list[str] = []
    removed: list[str] = []
    chars = {"consent": 0, "access": 0, "furniture": 0}
    for sentence in sentences:
        kind = boilerplate_kind(sentence)
        if kind is None:
            article.append(sentence)
        else:
            removed.append(sentence)
            chars[kind] += len(sentence)
    return BodySplit(article, removed, chars["consent"], chars["access"])


def is_boilerplate_text(split: BodySplit) -> bool:
    """The body is a wall or an error page rather than an article.

    A paywall, log-in, error or bot-check notice with no more than a teaser left (under
    TEASER_CHARS) makes one; a cookie notice only when it outweighs what is left twice over
    and that is under MIN_ARTICLE_CHARS, so a short story with a cookie banner under it stays
    an article. Share buttons and sign-up prompts never do.
    """
    article_chars = sum(len(s) for s in split.article)
    if split.access_chars and article_chars < TEASER_CHARS:
        return True
    return split.consent_chars > 2 * article_chars and article_chars < MIN_ARTICLE_CHARS
