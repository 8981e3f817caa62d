"""Chapter 11's exercises: each check gets the namespace the reader's block left and says,
in its assertion's message, what is wrong (tools/exercises.py). Only the standard library
and microgpt: the page runs these checks too."""

import random

from microgpt.bpe import encode, learn

from answers import same, written


def a_pair(value):
    """Whether value is a pair of two strings, as learn records a merge."""
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(s, str) for s in value)


def check_11_1(ns):
    first, n_tokens = written(ns, "first"), written(ns, "n_tokens")
    assert a_pair(first), f'set first to a pair of strings, like ("x", "y") (it is {first!r})'
    assert isinstance(n_tokens, int) and not isinstance(n_tokens, bool), \
        f"set n_tokens to a whole number (it is {n_tokens!r})"
    assert same("11.1 first", first, "5715def658e1e8ea74e0"), \
        f"the first merge is not {first}: count the pairs, and break the tie as min does (hint 1)"
    assert same("11.1 n_tokens", n_tokens, "aadf94ae145f0dc7e82d"), \
        f'encode("lowest", merges) does not give {n_tokens} tokens: print it, then follow hint 2'


def check_11_2(ns):
    prediction = written(ns, "prediction")
    ok = isinstance(prediction, list) and all(
        isinstance(m, (tuple, list)) and len(m) == 2 and isinstance(m[0], (tuple, list)) for m in prediction)
    assert ok, f'set prediction to a list of (pair, count), like [(("x", "y"), 1)] (it is {prediction!r})'
    mine = [(tuple(pair), count) for pair, count in prediction]
    truth = learn(["aaaa"], 3)
    assert len(mine) == len(truth), \
        f"learn does not make {len(mine)} merges here: write the name down after each one (hint 2)"
    assert same("11.2 prediction", mine, "16b8b5e764366693c964"), \
        "merges is not that: print merges, follow merge's walk (hint 1), and count every place a pair starts"


def our_encode_ids(doc, merges, tokens):
    return [tokens.index(t) for t in encode(doc, merges)]


def check_11_3(ns):
    decode = ns.get("decode")
    assert callable(decode), "keep the function decode in the block"
    rng = random.Random(0)
    for docs, n in ((["anna", "hannah", "ann"], 3), (["low", "lower", "newest", "widest"], 4),
                    (["aaaa"], 3), (["emma", "gemma", "anna", "hanna"], 6)):
        merges = learn(docs, n)
        tokens = sorted(set("".join(docs))) + [a + b for (a, b), _ in merges]
        chars = "".join(sorted(set("".join(docs))))
        texts = docs + ["".join(rng.choice(chars) for _ in range(rng.randint(1, 12))) for _ in range(20)]
        for text in texts:
            ids = our_encode_ids(text, merges, tokens)
            got = decode(ids, tokens)
            assert got == text, f"decode({ids}, tokens) gives {got!r}, not {text!r}: glue tokens[i] (hint 1)"
        everything = list(range(len(tokens)))
        assert decode(everything, tokens) == "".join(tokens), "decode must give tokens[i] for every id i"
        assert decode([], tokens) == "", "decode([], tokens) must be the empty text"
        for bad in (len(tokens), -1, len(tokens) + 3):
            try:
                decode([0, bad], tokens)
            except ValueError:
                pass
            except Exception as e:
                raise AssertionError(f"decode([0, {bad}], tokens) raised {type(e).__name__}, not ValueError: "
                                     f"check each id first (hint 2)") from None
            else:
                raise AssertionError(f"decode accepted the id {bad}, which is no token: raise ValueError (hint 2)")


def check_11_4(ns):
    theirs = ns.get("learn")
    assert callable(theirs), "keep the function learn in the block"
    docs = ["emma", "gemma", "anna", "hanna"]
    assert ns.get("docs") == docs, f"keep docs as it was, {docs}"
    cases = [(docs, 3), (docs[::-1], 3), (["cd", "ab"], 2), (["anna", "hannah", "ann"], 3), (["abc"], 10),
             (["zoe", "mia", "emma"], 4)]
    assert any(theirs(list(d), n) != learn(d, n) for d, n in cases), \
        "your learn still breaks ties by sorted order: change the line with min (hint 1)"
    assert same("11.4 merges", [theirs(list(d), n) for d, n in cases], "4c4797cdad1e14059c0d"), \
        "your learn does not take the pair most_common(1) gives: change only the line with min"
    for name, order, answer in (("first", docs, "ec91cd5acce702ea9818"),
                                ("first_reordered", docs[::-1], "775c27d4e32cdca925a9")):
        value = ns.get(name)
        assert a_pair(value), f'set {name} to a pair of strings, like ("x", "y") (it is {value!r})'
        assert same(f"11.4 {name}", value, answer), \
            f"{name} is not the pair your learn merges first: print learn({'docs' if order == docs else 'docs[::-1]'}, 1)"
