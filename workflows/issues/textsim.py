"""Text similarity of issues without heavy dependencies: TF-IDF cosine over an inverted index.

Only pairs that share at least one reasonably rare term are ever compared, and each vector is
pruned to its strongest terms, so thousands of issues compare in well under a second of
pure Python instead of the n² full-vector loop.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

TOKEN = re.compile(r"[a-z0-9]+")
_STOPWORD_TEXT = """
    a about above after again all also am an and any are as at be because been before being
    below between both but by can cannot could did do does doing done down during each few for
    from further get gets got had has have having he her here hers him his how i if in into is it
    its itself just let like me more most my no nor not now of off on once only or other our out
    over own same she should so some still such than that the their them then there these they
    this those through to too under until up us very was we were what when where which while who
    whom why will with would you your yours instead every without one two see seen new use using
    used make makes need needs want wants should must way also get able issue issues bug fix
    please currently"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
TITLE_WEIGHT = 2


def stem(word: str) -> str:
    """A deliberately tiny stemmer: plurals, -ing, -ed and a final -e."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 6 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 5 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 4 and word.endswith("e"):  # merge/merged/merging all become "merg"
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    words = TOKEN.findall(text.casefold())
    return [
        stem(word)
        for word in words
        if word not in STOPWORDS and len(word) > 1 and not (word.isdigit() and len(word) < 3)
    ]


def term_counts(title: str, description: str) -> Counter[str]:
    counts = Counter(tokens(description))
    for word in tokens(title):
        counts[word] += TITLE_WEIGHT
    return counts


def tfidf_vectors(
    documents: Sequence[Counter[str]], *, max_terms: int = 16
) -> tuple[list[dict[str, float]], dict[str, float]]:
    """L2-normalised TF-IDF vectors (sublinear tf), each pruned to ``max_terms`` terms;
    also returns the idf of every term."""
    count = len(documents)
    frequency: Counter[str] = Counter()
    for counts in documents:
        frequency.update(counts.keys())
    idf = {term: math.log((1 + count) / (1 + df)) + 1.0 for term, df in frequency.items()}
    vectors = []
    for counts in documents:
        weights = {term: (1.0 + math.log(tf)) * idf[term] for term, tf in counts.items()}
        if len(weights) > max_terms:
            weights = dict(sorted(weights.items(), key=lambda kv: -kv[1])[:max_terms])
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors.append({term: w / norm for term, w in weights.items()})
    return vectors, idf


def similar_pairs(
    vectors: Sequence[dict[str, float]], *, min_cosine: float, max_df: float = 0.05
) -> dict[tuple[int, int], float]:
    """Cosine of every pair (i < j) reaching ``min_cosine`` that shares a term found in at
    most 50 documents or ``max_df`` of them (commoner terms barely count anyway)."""
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, vector in enumerate(vectors):
        for term, weight in vector.items():
            postings[term].append((index, weight))
    limit = max(50, int(max_df * len(vectors)))
    scores: dict[tuple[int, int], float] = defaultdict(float)
    for posting in postings.values():
        if len(posting) < 2 or len(posting) > limit:
            continue
        for position, (left, left_weight) in enumerate(posting):
            for right, right_weight in posting[position + 1 :]:
                scores[(left, right)] += left_weight * right_weight
    return {pair: score for pair, score in scores.items() if score >= min_cosine}


def cosine(left: dict[str, float], right: dict[str, float]) -> float:
    if len(left) > len(right):
        left, right = right, left
    return sum(weight * right.get(term, 0.0) for term, weight in left.items())


def shared_terms(left: dict[str, float], right: dict[str, float], limit: int = 4) -> list[str]:
    """The terms contributing most to the similarity of two vectors (for explanations)."""
    common = sorted(set(left) & set(right), key=lambda term: -(left[term] * right[term]))
    return common[:limit]
