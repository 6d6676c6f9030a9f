"""Is this identifier, dict key or header name a secret? Word-based matching, never substrings.

A name is split into lower-case words (``userPassword`` -> user, password; ``X-CSRFToken`` -> x,
csrf, token; ``password1`` -> password), then matched against the vocabulary of the knowledge
packs: single words (``password``, ``token``), word sequences (``api key``, ``card number``),
and words that count only at the end of a name (``auth``: ``basic_auth`` yes, ``auth_method``
no). A match is cancelled by a benign modifier after it (``token_count``, ``password_reset_url``,
``access_key_id``) or right before it (``max_token``, ``is_password``, ``bos_token``): such
names are *about* a secret, not the secret. ``author``, ``passenger`` or ``bypass`` never match,
because no word of theirs is in the vocabulary.

Three categories, by what leaks: ``secret`` (a credential), ``connection`` (a URL or DSN that may
embed a password) and ``personal`` (card numbers, SSNs, dates of birth).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

Category = Literal["secret", "connection", "personal"]
CATEGORIES: tuple[Category, ...] = ("secret", "connection", "personal")
_SEPARATORS = re.compile(r"[^0-9A-Za-z]+")
_DIGITS = re.compile(r"[0-9]+")
# Lexer and NLP tokens: only the bare word is dropped in their files, never "access token".
_LEXER_WORD = "token"


def words_of(name: str) -> tuple[str, ...]:
    """Lower-case words of an identifier, key or header name; digits and accents dropped.

    ``STRIPE_SECRET_KEY`` -> stripe, secret, key; ``APIKey`` -> api, key; ``cvv2`` -> cvv;
    ``contraseña`` -> contrasena.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words: list[str] = []
    for chunk in _SEPARATORS.split(ascii_name):
        for part in _DIGITS.split(chunk):
            words.extend(word.lower() for word in _camel_words(part))
    return tuple(words)


def _camel_words(text: str) -> list[str]:
    """``userPassword`` -> user, Password; ``CSRFToken`` -> CSRF, Token; ``API`` -> API."""
    words: list[str] = []
    start = 0
    for index in range(1, len(text)):
        before, here = text[index - 1], text[index]
        following = text[index + 1] if index + 1 < len(text) else ""
        lower_to_upper = before.islower() and here.isupper()
        acronym_end = before.isupper() and here.isupper() and following.islower()
        if lower_to_upper or acronym_end:
            words.append(text[start:index])
            start = index
    if start < len(text):
        words.append(text[start:])
    return words


@dataclass(frozen=True)
class NameMatch:
    """A name that holds a secret: its category and the words that say so."""

    category: Category
    words: tuple[str, ...]

    @property
    def phrase(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Vocabulary:
    """The merged knowledge packs: what the matcher and the masker know."""

    words: dict[Category, frozenset[str]] = field(default_factory=dict)
    sequences: dict[Category, frozenset[tuple[str, ...]]] = field(default_factory=dict)
    endings: frozenset[str] = frozenset()  # a word ending with one: mypassword
    last: frozenset[str] = frozenset()  # secret only as a name's last word
    after: frozenset[str] = frozenset()
    before: frozenset[str] = frozenset()
    names: frozenset[tuple[str, ...]] = frozenset()
    token_modules: frozenset[str] = frozenset()
    getters: frozenset[str] = frozenset()
    literals: tuple[tuple[str, str], ...] = ()  # (what, regex)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    category: Category


class NameMatcher:
    """Matches names against a vocabulary; one per run (the vocabulary depends on the config)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._cache: dict[tuple[str, bool], NameMatch | None] = {}

    @cached_property
    def _sequences(self) -> dict[str, list[tuple[tuple[str, ...], Category]]]:
        """Sequences by their first word, longest first (``date of birth`` before ``date of``)."""
        by_first: dict[str, list[tuple[tuple[str, ...], Category]]] = {}
        for category in CATEGORIES:
            for sequence in self.vocabulary.sequences.get(category, ()):
                by_first.setdefault(sequence[0], []).append((sequence, category))
        for entries in by_first.values():
            entries.sort(key=lambda entry: -len(entry[0]))
        return by_first

    def match(self, name: str, *, lexer: bool = False) -> NameMatch | None:
        """The secret ``name`` holds, or None. ``lexer``: the file tokenizes text, so a bare
        ``token`` is a lexer token there."""
        key = (name, lexer)
        if key not in self._cache:
            self._cache[key] = self._match(words_of(name), lexer)
        return self._cache[key]

    def is_metadata(self, name: str) -> bool:
        """Whether ``name`` is about something rather than a value of it: a cancelled match
        (``secret_name``, ``token_count``) or a last word such as id, name, path, url, count.

        A log label ``"token: %s"`` says nothing about a value named ``vault_path``.
        """
        words = words_of(name)
        if not words or self._match(words, lexer=False) is not None:
            return False  # session_id, db_url: the name is the secret
        if words[-1] in self.vocabulary.after:
            return True
        spans = self._spans(words, lexer=False)
        return any(self._cancelled(words, span) for span in spans)

    def is_excepted(self, name: str) -> bool:
        """A name the packs list as never a secret (``secret_santa``; a user's
        ``checkout.token``, matched on the owner and the attribute)."""
        return words_of(name) in self.vocabulary.names

    def is_getter(self, name: str) -> bool:
        """``get_api_key``, ``fetch_token``: a call that returns what its name says."""
        words = words_of(name)
        return bool(words) and words[0] in self.vocabulary.getters

    def _match(self, words: tuple[str, ...], lexer: bool) -> NameMatch | None:
        if not words or words in self.vocabulary.names:
            return None
        best: NameMatch | None = None
        for span in self._spans(words, lexer):
            if self._cancelled(words, span):
                continue
            found = NameMatch(span.category, words[span.start : span.end])
            if best is None or CATEGORIES.index(found.category) < CATEGORIES.index(best.category):
                best = found
        return best

    def _spans(self, words: tuple[str, ...], lexer: bool) -> list[_Span]:
        """Every match, sequences first; a word inside a matched sequence is not matched alone."""
        spans: list[_Span] = []
        covered: set[int] = set()
        for start, word in enumerate(words):
            for sequence, category in self._sequences.get(word, ()):
                end = start + len(sequence)
                if words[start:end] == sequence:
                    spans.append(_Span(start, end, category))
                    covered.update(range(start, end))
                    break
        for index, word in enumerate(words):
            if index in covered or (lexer and word == _LEXER_WORD):
                continue
            word_category = self._word_category(word)
            if word_category is not None:
                spans.append(_Span(index, index + 1, word_category))
        last = len(words) - 1
        if last not in covered and words[last] in self.vocabulary.last:
            spans.append(_Span(last, last + 1, "secret"))
        return spans

    def _word_category(self, word: str) -> Category | None:
        for category in CATEGORIES:
            if word in self.vocabulary.words.get(category, ()):
                return category
        endings = self.vocabulary.endings
        if any(word.endswith(e) and len(word) > len(e) for e in endings):
            return "secret"
        return None

    def _cancelled(self, words: tuple[str, ...], span: _Span) -> bool:
        if span.start > 0 and words[span.start - 1] in self.vocabulary.before:
            return True
        return any(word in self.vocabulary.after for word in words[span.end :])
