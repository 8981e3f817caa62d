"""Each idea of the package is written once (issue 25): one function frames a document
(chapter 2's frame), one draws a name (chapter 8's draw), one counts the pairs of the
bigram table (chapter 10's count_pairs). This reads the syntax trees of microgpt/*.py and
fails, naming the places, if one of them is written a second time."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "microgpt"


def trees():
    return {path.name: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.glob("*.py"))}


def is_bos_list(node):
    """[something.BOS] or [BOS]: a list of one element whose name is BOS."""
    if not (isinstance(node, ast.List) and len(node.elts) == 1):
        return False
    elt = node.elts[0]
    return (isinstance(elt, ast.Attribute) and elt.attr == "BOS") or (isinstance(elt, ast.Name) and elt.id == "BOS")


def places(found):
    return [f"{name}:{node.lineno}" for name, node in found]


def framings(tree):
    """The expressions [BOS] + ... + [BOS]: a sum that starts and ends with a BOS list."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and is_bos_list(node.right):
            left = node.left
            while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add):
                left = left.left
            if is_bos_list(left):
                yield node


def draws(tree):
    """The calls of a generator's choices(...): where a token is drawn."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "choices":
            yield node


def pair_counts(tree):
    """The statements table[a][b] += 1: where a pair is counted into a table."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add)
                and isinstance(node.target, ast.Subscript) and isinstance(node.target.value, ast.Subscript)
                and isinstance(node.value, ast.Constant) and node.value.value == 1):
            yield node


def found(pattern):
    return [(name, node) for name, tree in trees().items() for node in pattern(tree)]


def test_a_document_is_framed_in_one_place():
    where = found(framings)
    assert len(where) == 1, f"[BOS] + ... + [BOS] is written at {places(where)}: use chapter 2's frame"
    assert where[0][0] == "tokenizer.py"


def test_a_name_is_drawn_in_one_place():
    where = found(draws)
    assert len(where) == 1, f"a token is drawn with choices() at {places(where)}: use chapter 8's draw"
    assert where[0][0] == "sample.py"


def test_the_bigram_pairs_are_counted_in_one_place():
    where = found(pair_counts)
    assert len(where) == 1, f"pairs are counted into a table at {places(where)}: use chapter 10's count_pairs"
    assert where[0][0] == "evaluate.py"


def test_the_patterns_see_what_they_look_for():
    # The patterns must catch the code as people write it, or the tests above prove nothing.
    code = ("t = [tok.BOS] + tok.encode(d) + [tok.BOS]\nu = [BOS] + ids + [BOS]\n"
            "v = [tok.BOS] + ids\nw = rng.choices(range(3), weights=p)[0]\ncounts[a][b] += 1\n")
    tree = ast.parse(code)
    assert [n.lineno for n in framings(tree)] == [1, 2]
    assert [n.lineno for n in draws(tree)] == [4]
    assert [n.lineno for n in pair_counts(tree)] == [5]
