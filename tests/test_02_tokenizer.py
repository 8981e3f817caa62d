"""Chapter 2: the tokenizer."""


import pytest
from hypothesis import given, strategies as st

from microgpt.tokenizer import Tokenizer


def test_vocabulary_is_sorted_unique_characters():
    tok = Tokenizer.from_docs(["cab", "bad", "ée"])
    assert tok.uchars == "abcdeé"
    assert tok.BOS == 6
    assert tok.vocab_size == 7


def test_vocabulary_does_not_depend_on_document_order():
    docs = ["zed", "amy", "bob"]
    assert Tokenizer.from_docs(docs) == Tokenizer.from_docs(list(reversed(docs)))


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=20))
def test_round_trip_any_text(docs):
    tok = Tokenizer.from_docs(docs)
    for doc in docs:
        ids = tok.encode(doc)
        assert len(ids) == len(doc)
        assert all(0 <= i < tok.BOS for i in ids)
        assert tok.decode(ids) == doc


@given(st.text(alphabet="abcxyz", min_size=1))
def test_encode_is_position_in_vocabulary(doc):
    tok = Tokenizer("abcxyz")
    assert tok.encode(doc) == ["abcxyz".index(ch) for ch in doc]


def test_encode_rejects_unknown_character():
    with pytest.raises(ValueError, match=r"character 'Q' is not in the vocabulary 'ab'"):
        Tokenizer("ab").encode("aQb")


@pytest.mark.parametrize("bad", [2, 3, -1, 100])
def test_decode_rejects_ids_that_are_not_characters(bad):
    with pytest.raises(ValueError, match=rf"token id {bad} is not a character id \(0..1\)"):
        Tokenizer("ab").decode([0, bad, 1])


def test_empty_document_encodes_to_nothing():
    tok = Tokenizer("ab")
    assert tok.encode("") == []
    assert tok.decode([]) == ""
