"""Question clusters: the wordings of one question asked in different ways, counted together.

"What are your salary expectations?", "Sorry, what are your salary expectations? Thanks!" and
"what are you salary expectation" are one question; "Do you speak German?" and "Do you speak
French?" are two. A question is reduced to the set of its meaningful words (its *key*):

1. case, punctuation and contractions ("what's", "u", "ur") are normalised;
2. politeness and filler ("hi", "thanks", "sorry", "quick question", "can you tell me", "at the
   moment", "just", "actually", "willing", ...) and function words ("do", "you", "the", "of", ...) are
   dropped; question words are kept ("where did you study" is not "what did you study");
3. small typos are corrected towards a word at least three times as frequent among the questions
   being clustered, with the same first letter (rapidfuzz's optimal-string-alignment distance: 1
   edit for words of 4-7 letters, 2 from 8; "pyhton" is "python" when "python" is far more
   common; "contact" stays "contact" next to "contract"); two words written apart ("dynamo db")
   are joined when the joined word is in the vocabulary;
4. words are stemmed (Snowball's English stemmer: "relocating" and "relocate", "remotely" and
   "remote" share a stem), and the key is their *set*, so word order does not matter.

Questions with the same key are one cluster. A key also joins a cluster whose representative
(its most asked key) is the same set plus or minus one word, when the smaller set has three
words, or two and the extra word is a *weak* one (a question word, "much", "before", "ever",
"kind", "fully", ...); or has the same *core* (the key without weak words) of at least two words;
or a core one word larger or smaller when the smaller core has at least three. "Python
experience?" joins "What is your experience with Python?", "What kind of degree do you have?"
joins "What degree do you have?", while "Do you work remotely?" stays apart from "Are you open
to remote work?" (two-word cores differing by "open") and "Where did you study?" from "What did
you study?". Clusters are built most asked first,
so a representative is always the most common form.

Cost: linear in the number of distinct wordings for the keys and the joining (hash look-ups);
the typo correction compares each distinct word with the more frequent words of similar length
(rapidfuzz's ``process.extractOne``, in C). ``python -m bench.question_clusters`` prints precision,
recall, time and memory.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

# Phrases removed before splitting into words (longest first; matched on whole words).
_FILLER_PHRASES = (
    "do you mind me asking",
    "i would like to know",
    "i want to know",
    "i was wondering",
    "just wondering",
    "i wonder",
    "out of curiosity",
    "can you tell me about",
    "could you tell me about",
    "can you tell me",
    "could you tell me",
    "would you tell me",
    "tell me a bit about",
    "tell me about",
    "tell me abt",
    "tell me",
    "may i ask",
    "can i ask",
    "quick question",
    "good morning",
    "good afternoon",
    "good evening",
    "thank you",
    "thanks a lot",
    "many thanks",
    "excuse me",
    "by the way",
    "at the moment",
    "right now",
    "so far",
    "at all",
    "for me",
    "for this role",
    "be able to",
    "hi there",
    "hello there",
)
_FILLER_WORDS = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "hiya",
        "yo",
        "dear",
        "thanks",
        "thank",
        "thx",
        "ty",
        "cheers",
        "ta",
        "please",
        "pls",
        "plz",
        "sorry",
        "ok",
        "okay",
        "so",
        "well",
        "um",
        "uh",
        "erm",
        "hmm",
        "lol",
        "haha",
        "actually",
        "really",
        "basically",
        "just",
        "currently",
        "current",
        "roughly",
        "btw",
        "anyway",
        "then",
        "also",
        "kindly",
        "willing",
        "consider",
        "able",
        "possible",
        "possibly",
        "maybe",
        "perhaps",
    ]
)
_FUNCTION_WORDS = frozenset(
    [
        "you",
        "your",
        "yours",
        "u",
        "ur",
        "r",
        "ya",
        "i",
        "me",
        "my",
        "mine",
        "we",
        "us",
        "our",
        "a",
        "an",
        "the",
        "do",
        "does",
        "did",
        "done",
        "doing",
        "are",
        "is",
        "am",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "can",
        "could",
        "would",
        "will",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "about",
        "abt",
        "from",
        "by",
        "as",
        "and",
        "or",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "any",
        "some",
        "yet",
        "if",
        "get",
        "got",
        "hold",
    ]
)
#: Question words are kept in the key but are *weak*: they may be the one word two wordings of
#: the same question differ by ("Python experience?" / "What is your Python experience?").
_CANONICAL = {"which": "what", "whats": "what", "hows": "how", "wheres": "where"}
_WEAK_WORDS = frozenset(
    [
        "what",
        "how",
        "who",
        "where",
        "when",
        "why",
        "much",
        "well",
        "new",
        "more",
        "main",
        "ever",
        "before",
        "still",
        "already",
        "best",
        "generally",
        "usually",
        "normally",
        "fully",
        "full",
        "exactly",
        "kind",
        "type",
        "sort",
        "relevant",
        "prefer",
    ]
)
_CONTRACTION = re.compile(r"\b(\w+)'(s|re|ve|d|ll|m)\b|\b(\w+)n't\b")
_EXPANDED = {"s": "is", "re": "are", "ve": "have", "d": "would", "ll": "will", "m": "am"}
_NON_WORD = re.compile(r"[^\w]+")
# Filler phrases by their first word, longest first: matched on the word list, not by a regex.
_PHRASES: dict[str, list[tuple[str, ...]]] = defaultdict(list)
for _phrase in sorted(_FILLER_PHRASES, key=len, reverse=True):
    _PHRASES[_phrase.split()[0]].append(tuple(_phrase.split()))
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    stemmed: str = _stemmer.stemWord(word)
    return stemmed


_WEAK_STEMS = frozenset(_stem(word) for word in _WEAK_WORDS)


def words(text: str) -> list[str]:
    """The meaningful words of a question, lower case, before typo correction and stemming."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    if "'" in folded:
        folded = _CONTRACTION.sub(_expand, folded)
    tokens = _NON_WORD.sub(" ", folded).split()
    kept = []
    index = 0
    while index < len(tokens):
        word = tokens[index]
        for phrase in _PHRASES.get(word, ()):
            if tuple(tokens[index : index + len(phrase)]) == phrase:
                index += len(phrase)
                break
        else:
            index += 1
            word = _CANONICAL.get(word, word)
            if word not in _FILLER_WORDS and word not in _FUNCTION_WORDS:
                kept.append(word)
    return kept


def _expand(match: re.Match[str]) -> str:
    if match.group(3) is not None:
        return f"{match.group(3)} not"
    return f"{match.group(1)} {_EXPANDED[match.group(2)]}"


#: A word is only corrected towards one asked at least this many times more often: a misspelling
#: is rarer than the word it misspells, while two real words ("contact", "contract") are not.
CORRECTION_RATIO = 3


def _max_edits(word: str) -> int:
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


class Vocabulary:
    """Typo correction and word joining against the words of the questions being clustered."""

    def __init__(self, frequencies: Mapping[str, int]) -> None:
        self._frequency = dict(frequencies)
        self._canonical: dict[str, str] = {}
        # Known words by (first letter, length): typos seldom touch the first letter, and
        # "right" must not become "night".
        by_shape: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in sorted(frequencies, key=lambda w: (-frequencies[w], w)):
            edits = _max_edits(word)
            target = word
            if edits:
                least = CORRECTION_RATIO * frequencies[word]
                candidates = [
                    known
                    for length in range(len(word) - edits, len(word) + edits + 1)
                    for known in by_shape.get((word[0], length), ())
                    if frequencies[known] >= least
                ]
                found = process.extractOne(
                    word, candidates, scorer=OSA.distance, score_cutoff=edits
                )
                if found is not None:
                    target = found[0]
            self._canonical[word] = target
            if target == word:
                by_shape[word[0], len(word)].append(word)

    def correct(self, word: str) -> str:
        return self._canonical.get(word, word)

    def join(self, sequence: list[str]) -> list[str]:
        """Two adjacent words whose concatenation is a known word become that word."""
        joined: list[str] = []
        index = 0
        while index < len(sequence):
            pair = sequence[index] + sequence[index + 1] if index + 1 < len(sequence) else ""
            if pair and self._frequency.get(pair, 0) > 0:
                joined.append(pair)
                index += 2
            else:
                joined.append(sequence[index])
                index += 1
        return joined


Key = frozenset[str]


@dataclass
class Cluster:
    """One question and every wording of it that was asked."""

    key: Key
    #: wording -> (times asked, sum of scores, scored answers); the wording is a display form.
    wordings: dict[str, int] = field(default_factory=dict)
    count: int = 0

    @property
    def representative(self) -> str:
        """The most asked wording (the first in sort order among equally asked ones)."""
        return min(self.wordings, key=lambda w: (-self.wordings[w], w))


_CLOSERS = frozenset(
    ["thanks", "thank", "you", "thx", "ty", "cheers", "please", "pls", "plz", "ta"]
)


def _fallback_key(text: str) -> Key:
    """A question made only of filler ("hello", "Hello, thanks!") is keyed by its words less the
    thanks and pleases ("hello"), else by all of them."""
    tokens = _NON_WORD.sub(" ", text.casefold()).split()
    kept = sorted(set(tokens) - _CLOSERS) or sorted(set(tokens))
    return frozenset({"\u2400" + " ".join(kept)})


#: A key's *core*: its words without the weak ones.
def _core(key: Key) -> Key:
    return key - _WEAK_STEMS


def _one_more(smaller: Key, larger: Key) -> bool:
    return len(larger) == len(smaller) + 1 and smaller < larger


def _joinable(first: Key, second: Key) -> bool:
    """Same question: one key is the other plus one word (when the smaller has three words, or
    two and the extra one is weak); or the same core of at least two words (weak words aside);
    or cores that differ by one extra word when the smaller has at least three."""
    smaller, larger = (first, second) if len(first) <= len(second) else (second, first)
    if _one_more(smaller, larger) and (
        len(smaller) >= 3 or (len(smaller) == 2 and not (larger - smaller) - _WEAK_STEMS)
    ):
        return True
    a, b = _core(first), _core(second)
    if a == b:
        return len(a) >= 2
    small, large = (a, b) if len(a) < len(b) else (b, a)
    return len(small) >= 3 and _one_more(small, large)


class QuestionClusters:
    """Clusters of a set of wordings with their counts (``wording -> times asked``).

    Build once (:meth:`of`), read :attr:`clusters` (most asked first), and :meth:`match` other
    wordings (e.g. earlier weeks') against them.
    """

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._vocabulary = vocabulary
        self.clusters: list[Cluster] = []
        # Clusters by their representative's key and core, and each less one word (the reduced
        # sets by their hash only, to keep memory down: a candidate is checked by _joinable).
        self._by_key: dict[Key, Cluster] = {}
        self._by_key_reduced: dict[int, list[Cluster]] = defaultdict(list)
        self._by_core: dict[Key, list[Cluster]] = defaultdict(list)
        self._by_reduced: dict[int, list[Cluster]] = defaultdict(list)
        self._placed: dict[Key, Cluster] = {}  # every key placed, representative or joined
        self._wording: dict[str, Cluster] = {}

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> QuestionClusters:
        split = {wording: words(wording) for wording in counts}
        frequencies: Counter[str] = Counter()
        for wording, parts in split.items():
            for word in set(parts):
                frequencies[word] += counts[wording]
        clusters = cls(Vocabulary(frequencies))
        keyed: dict[Key, dict[str, int]] = defaultdict(dict)
        for wording, parts in split.items():
            keyed[clusters._key(wording, parts)][wording] = counts[wording]
        ranked = sorted(keyed.items(), key=lambda item: (-sum(item[1].values()), sorted(item[0])))
        for key, wordings in ranked:
            clusters._place(key, wordings)
        clusters.clusters.sort(key=lambda c: (-c.count, c.representative))
        return clusters

    def key(self, wording: str) -> Key:
        """The key of any wording, with this vocabulary's typo corrections."""
        return self._key(wording, words(wording))

    def _key(self, wording: str, parts: list[str]) -> Key:
        corrected = [self._vocabulary.correct(word) for word in parts]
        stems = frozenset(_stem(word) for word in self._vocabulary.join(corrected))
        return stems or _fallback_key(wording)

    def _candidates(self, key: Key) -> list[Cluster]:
        found = list(self._by_key_reduced.get(hash(key), ()))  # a key one word larger
        if len(key) >= 3:
            for word in key:  # a key one word smaller
                smaller = self._by_key.get(key - {word})
                if smaller is not None:
                    found.append(smaller)
        core = _core(key)
        found.extend(self._by_core.get(core, ()))  # the same core
        found.extend(self._by_reduced.get(hash(core), ()))  # a core one word larger
        if len(core) >= 4:
            for word in core:  # a core one word smaller
                found.extend(self._by_core.get(core - {word}, ()))
        return [cluster for cluster in found if _joinable(cluster.key, key)]

    def _place(self, key: Key, wordings: dict[str, int]) -> None:
        cluster = self._placed.get(key)
        if cluster is None:
            candidates = self._candidates(key)
            if candidates:
                cluster = max(candidates, key=lambda c: (c.count, sorted(c.key)))
            else:
                cluster = Cluster(key)
                self.clusters.append(cluster)
                self._by_key[key] = cluster
                if len(key) >= 3:
                    for word in key:
                        self._by_key_reduced[hash(key - {word})].append(cluster)
                core = _core(key)
                self._by_core[core].append(cluster)
                if len(core) >= 4:
                    for word in core:
                        self._by_reduced[hash(core - {word})].append(cluster)
        self._placed[key] = cluster
        for wording, times in wordings.items():
            cluster.wordings[wording] = cluster.wordings.get(wording, 0) + times
            cluster.count += times
            self._wording[wording] = cluster

    def match(self, wording: str) -> Cluster | None:
        """The cluster ``wording`` belongs to or would join, if any (the clusters stay as
        they are)."""
        known = self._wording.get(wording)
        if known is not None:
            return known
        key = self.key(wording)
        cluster = self._placed.get(key)
        if cluster is not None:
            return cluster
        candidates = self._candidates(key)
        return max(candidates, key=lambda c: (c.count, sorted(c.key))) if candidates else None


def cluster_counts(counts: Mapping[str, int]) -> list[Cluster]:
    """Cluster ``wording -> times asked``; most asked cluster first."""
    return QuestionClusters.of(counts).clusters


def assignments(wordings: Iterable[str]) -> dict[str, int]:
    """Each wording's cluster number (for measuring: every wording counted once)."""
    unique = list(dict.fromkeys(wordings))
    clusters = QuestionClusters.of(dict.fromkeys(unique, 1))
    numbers = {id(cluster): index for index, cluster in enumerate(clusters.clusters)}
    result = {}
    for wording in unique:
        cluster = clusters.match(wording)
        assert cluster is not None
        result[wording] = numbers[id(cluster)]
    return result
