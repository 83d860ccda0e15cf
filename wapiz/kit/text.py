"""Words a person reads, in Indonesian (the default, the seed's language) and English.

Every message that reaches a user — an error, a validation detail, a CLI line — is a `Text`
holding both; the language is chosen where it is shown (an HTTP answer: `Accept-Language`).
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Language = Literal["id", "en"]
DEFAULT_LANGUAGE: Language = "id"


@dataclass(frozen=True, slots=True)
class Text:
    id: str
    en: str

    def format(self, **values: object) -> "Text":
        return Text(self.id.format(**values), self.en.format(**values))

    def __call__(self, language: Language) -> str:
        return self.en if language == "en" else self.id

    def __str__(self) -> str:
        return self.id


def same_in_both(words: str) -> Text:
    """Words that read the same in both languages (a name, a code, a quoted value)."""
    return Text(words, words)


def preferred_language(accept_language: str | None) -> Language:
    """The language an `Accept-Language` header prefers among ours; Indonesian by default.

    `en`, `en-US` … choose English and `id`, `id-ID` (and the old `in`) Indonesian, by their
    q-values; anything else leaves the default.
    """
    best: tuple[float, Language] | None = None
    for part in (accept_language or "").split(",")[:20]:  # bounded: a header is input
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        language: Language | None = (
            "en" if primary == "en" else "id" if primary in ("id", "in") else None
        )
        if language is None:
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, language)
    return best[1] if best else DEFAULT_LANGUAGE


def cli_language(environ: Mapping[str, str] | None = None) -> Language:
    """The command line's language: `WAPIZ_LANGUAGE` (id or en), else the locale's messages
    language (the first set of LC_ALL, LC_MESSAGES, LANG; `en…` is English), else Indonesian.
    """
    environ = os.environ if environ is None else environ
    chosen = environ.get("WAPIZ_LANGUAGE", "").strip().lower()
    if chosen in ("id", "en"):
        return "en" if chosen == "en" else "id"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        locale = environ.get(name)
        if locale:
            return "en" if locale.lower().startswith("en") else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE
