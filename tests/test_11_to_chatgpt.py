"""Tests for chapter 11, from microgpt to ChatGPT (microgpt/bpe.py).

Run alone with: pytest docs/11-to-chatgpt.md tests/test_11_to_chatgpt.py
"""

import random

import pytest

from microgpt.bpe import encode, learn, merge, pair_counts
from microgpt.data import read_docs


@pytest.fixture(scope="module")
def names():
    """A fixed sample of names.txt: big enough for real merges, fast to learn from."""
    docs = read_docs("names.txt")
    return random.Random(0).sample(docs, 3000)


@pytest.fixture(scope="module")
def learned(names):
    return learn(names, 25)


def brute_force_counts(seqs):
    """Every adjacent pair inside each sequence, counted by position, without pair_counts."""
    counts = {}
    for seq in seqs:
        for i in range(len(seq) - 1):
            counts[seq[i], seq[i + 1]] = counts.get((seq[i], seq[i + 1]), 0) + 1
    return counts


def test_each_merge_is_the_most_frequent_pair_first_in_sorted_order_on_ties(names, learned):
    assert len(learned) == 25
    for k, (pair, count) in enumerate(learned):
        counts = brute_force_counts([encode(doc, learned[:k]) for doc in names])
        top = max(counts.values())
        assert count == top == counts[pair], k
        assert pair == sorted(p for p, c in counts.items() if c == top)[0], k


def test_ties_go_to_the_first_pair_in_sorted_order():
    # every pair occurs once; learning does not depend on which name comes first
    docs = ["zy", "ba", "bc", "ab"]
    assert [pair for pair, _ in learn(docs, 4)] == [("a", "b"), ("b", "a"), ("b", "c"), ("z", "y")]
    assert learn(docs[::-1], 4) == learn(docs, 4)


def test_learning_is_deterministic_and_independent_of_the_order_of_names(names, learned):
    assert learn(names, 25) == learned
    assert learn(sorted(names), 25) == learned
    assert learn(names[::-1], 25) == learned


def test_decoding_is_joining_the_tokens(names, learned):
    for doc in names + ["zzyzx", "q", "", "annabelle-marie"]:
        tokens = encode(doc, learned)
        assert "".join(tokens) == doc
        assert all(tokens)                            # no empty token


def test_zero_merges_give_the_characters(names):
    for doc in names[:200]:
        assert encode(doc, []) == list(doc)
    assert learn(names, 0) == []


def test_the_token_count_never_grows(names, learned):
    for doc in names[:500]:
        lengths = [len(encode(doc, learned[:k])) for k in range(len(learned) + 1)]
        assert lengths == sorted(lengths, reverse=True), doc
    totals = [sum(len(encode(doc, learned[:k])) for doc in names) for k in range(0, 26, 5)]
    assert all(a > b for a, b in zip(totals, totals[1:]))     # and every merge shortens the data


def test_the_counts_never_grow_from_one_merge_to_the_next(learned):
    counts = [count for _, count in learned]
    assert counts == sorted(counts, reverse=True)


def test_merges_never_cross_from_one_name_into_the_next():
    # inside names the only pair is b c; across names a a would win (3 times)
    docs = ["a", "a", "bc", "a", "a"]
    assert learn(docs, 5) == [(("b", "c"), 1)]              # and then nothing is left to merge
    assert pair_counts([list(doc) for doc in docs]) == {("b", "c"): 1}


def test_every_learned_token_is_a_piece_of_some_name(names, learned):
    text = "\n".join(names)
    for (a, b), _ in learned:
        assert a + b in text and "\n" not in a + b


def test_merge_goes_left_to_right_and_only_replaces_the_pair():
    assert merge(list("aaaa"), ("a", "a")) == ["aa", "aa"]
    assert merge(list("aaa"), ("a", "a")) == ["aa", "a"]
    assert merge(["an", "n", "a"], ("a", "n")) == ["an", "n", "a"]   # tokens, not letters
    assert merge([], ("a", "b")) == [] and merge(["a"], ("a", "b")) == ["a"]


def test_encode_applies_the_merges_in_the_order_they_were_learned():
    merges = [(("b", "c"), 1), (("a", "b"), 1)]
    assert encode("abc", merges) == ["a", "bc"]
    assert encode("abc", merges[::-1]) == ["ab", "c"]


def test_a_name_from_the_data_is_encoded_as_learning_left_it():
    docs = ["anna", "hannah", "ann", "joanna"]
    merges = learn(docs, 4)
    seqs = [list(doc) for doc in docs]
    for pair, _ in merges:                                   # learning's own steps, replayed
        seqs = [merge(seq, pair) for seq in seqs]
    assert [encode(doc, merges) for doc in docs] == seqs
