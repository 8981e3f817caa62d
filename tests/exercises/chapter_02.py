"""Chapter 2's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

from microgpt.tokenizer import Tokenizer

from answers import same, written


def check_2_1(ns):
    for name, answer in (("vocab_size", "c41ee1e5c5ce51382b22"), ("bos", "4482d77d6b357f29a10c"),
                         ("low", "543b18cb3422a24ee9ab")):
        value = written(ns, name)
        assert value is not None, f"write your prediction of {name}"
        assert name != "low" or isinstance(value, list), "write low as a list, like [0, 1]"
        assert same(f"2.1 {name}", value, answer), \
            f"{name} is not {value!r}: print it, and list the sorted characters (hint 1)"


def check_2_2(ns):
    docs = ns.get("docs")
    mine = ns.get("mine")
    assert isinstance(mine, Tokenizer), "mine must be a Tokenizer"
    text = "".join(docs)
    first = "".join(ch for i, ch in enumerate(text) if ch not in text[:i])
    assert mine.uchars != "".join(sorted(first)), "mine's vocabulary is still sorted: use the order of first appearance"
    assert mine.uchars == first, f"mine's vocabulary should be {first!r}, in order of first appearance; it is {mine.uchars!r}"
    emma = ns.get("emma")
    assert isinstance(emma, list), f"set emma to your prediction of mine.encode('emma'), a list (it is {emma!r})"
    assert emma == mine.encode("emma"), f"mine does not encode 'emma' as {emma}: print mine.encode('emma'), and number {first!r} from 0"
    assert mine.decode(mine.encode("emma")) == "emma"


def check_2_3(ns):
    WordTokenizer = ns.get("WordTokenizer")
    assert isinstance(WordTokenizer, type), "keep the class WordTokenizer in the block"
    words = ["the", "cat", "sat", "on", "mat"]
    tok = WordTokenizer(words)
    assert tok.BOS == len(words), f"BOS must be the id after the words, {len(words)}; yours is {tok.BOS}"
    assert tok.vocab_size == len(words) + 1, f"vocab_size must count the words and BOS; yours is {tok.vocab_size}"
    for text in ("the cat sat on the mat", "mat", "on the cat"):
        ids = tok.encode(text)
        assert ids == [words.index(w) for w in text.split()], f"encode({text!r}) gives {ids}"
        assert tok.decode(ids) == text, f"decode(encode({text!r})) gives {tok.decode(ids)!r}"
    try:
        empty = tok.encode("")
    except ValueError:
        empty = None
    assert empty == [] and tok.decode([]) == "", \
        "encode('') must be [] and decode([]) must be '': text.split() gives no words for the empty text"
    for ids in ([0, len(words)], [0, -1]):
        try:
            tok.decode(ids)
        except ValueError:
            continue
        except IndexError:
            pass
        raise AssertionError(f"decode({ids}) must raise ValueError: only 0 to {len(words) - 1} are word ids")
    try:
        tok.encode("the dog")
    except ValueError as e:
        assert "dog" in str(e), f"the error for an unknown word must name it: {e}"
    else:
        raise AssertionError("encode('the dog') must raise ValueError: 'dog' is not in the vocabulary")
