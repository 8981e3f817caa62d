"""Chapter 4, Parameters: Config, the random initial weights, the state dict."""

import dataclasses
import math
import random

import pytest

from microgpt.data import load_docs, read_docs
from microgpt.model import Config, init_state_dict, matrix, parameters

FIELDS = ("n_embd", "n_head", "n_layer", "block_size")
SMALL = Config(n_embd=12, n_head=3, n_layer=2, block_size=10)


def shapes(state_dict):
    return {name: (len(mat), len(mat[0])) for name, mat in state_dict.items()}


# -- Config ------------------------------------------------------------------

def test_defaults_are_the_reference_hyperparameters():
    config = Config()
    assert (config.n_embd, config.n_head, config.n_layer, config.block_size) == (16, 4, 1, 16)
    assert config.head_dim == 4


def test_positional_order_is_embd_head_layer_block():
    # the command line builds Config(n_embd, n_head, n_layer, block_size)
    assert [f.name for f in dataclasses.fields(Config)] == list(FIELDS)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("bad", [0, -1, -16, 2.5, 4.0, "4", None, True])
def test_each_bad_value_is_rejected_naming_its_field(field, bad):
    with pytest.raises(ValueError) as excinfo:
        Config(**{field: bad})
    message = str(excinfo.value)
    assert message.startswith(f"{field} must be a positive whole number")
    assert repr(bad) in message
    assert "\n" not in message


@pytest.mark.parametrize("n_embd, n_head", [(16, 3), (10, 4), (12, 5), (4, 8)])
def test_n_embd_must_be_divisible_by_n_head(n_embd, n_head):
    with pytest.raises(ValueError, match=rf"n_embd \({n_embd}\) must be divisible by n_head \({n_head}\)"):
        Config(n_embd=n_embd, n_head=n_head)


@pytest.mark.parametrize("n_embd, n_head", [(1, 1), (12, 3), (12, 12), (64, 8)])
def test_good_settings_are_accepted(n_embd, n_head):
    config = Config(n_embd=n_embd, n_head=n_head, n_layer=3, block_size=7)
    assert config.head_dim * config.n_head == n_embd


# -- the state dict ------------------------------------------------------------

def expected_shapes(config, vocab_size):
    n = config.n_embd
    want = {"wte": (vocab_size, n), "wpe": (config.block_size, n), "lm_head": (vocab_size, n)}
    for i in range(config.n_layer):
        want.update({f"layer{i}.attn_wq": (n, n), f"layer{i}.attn_wk": (n, n),
                     f"layer{i}.attn_wv": (n, n), f"layer{i}.attn_wo": (n, n),
                     f"layer{i}.mlp_fc1": (4 * n, n), f"layer{i}.mlp_fc2": (n, 4 * n)})
    return want


@pytest.mark.parametrize("config, vocab_size", [
    (Config(), 27),
    (SMALL, 27),
    (Config(n_embd=4, n_head=2, n_layer=3, block_size=5), 5),
    (Config(n_embd=6, n_head=1, n_layer=1, block_size=1), 2),
])
def test_every_matrix_has_its_shape_and_keys_come_in_draw_order(config, vocab_size):
    state_dict = init_state_dict(config, vocab_size, random.Random(0))
    want = expected_shapes(config, vocab_size)
    assert list(state_dict) == list(want)       # same keys, same order
    assert shapes(state_dict) == want
    for mat in state_dict.values():             # every row is complete
        assert len({len(row) for row in mat}) == 1


@pytest.mark.parametrize("vocab_size, n_embd, n_head, n_layer, block_size", [
    (27, 16, 4, 1, 16), (27, 12, 3, 2, 10), (3, 2, 1, 4, 1), (100, 8, 8, 2, 32), (2, 1, 1, 1, 1),
])
def test_parameter_count_formula(vocab_size, n_embd, n_head, n_layer, block_size):
    config = Config(n_embd, n_head, n_layer, block_size)
    tables = vocab_size * n_embd + block_size * n_embd + vocab_size * n_embd
    one_layer = 4 * n_embd * n_embd + (4 * n_embd) * n_embd + n_embd * (4 * n_embd)
    count = len(parameters(init_state_dict(config, vocab_size, random.Random(1))))
    assert count == tables + n_layer * one_layer
    assert count == 2 * vocab_size * n_embd + block_size * n_embd + 12 * n_layer * n_embd**2


def test_same_seed_same_weights_other_seed_other_weights():
    def data(seed):
        return [p.data for p in parameters(init_state_dict(SMALL, 27, random.Random(seed)))]

    assert data(5) == data(5)
    assert data(5) != data(6)


@pytest.mark.parametrize("seed", [0, 3, 42, 2**40 + 7])
def test_the_first_weight_is_the_first_draw(seed):
    state_dict = init_state_dict(Config(), 27, random.Random(seed))
    assert state_dict["wte"][0][0].data == random.Random(seed).gauss(0, 0.08)


def test_parameters_lists_the_weights_in_the_order_they_were_drawn():
    params = parameters(init_state_dict(SMALL, 27, random.Random(9)))
    rng = random.Random(9)
    assert [p.data for p in params] == [rng.gauss(0, 0.08) for _ in range(len(params))]


def test_parameters_are_the_model_s_own_values_not_copies():
    state_dict = init_state_dict(Config(), 27, random.Random(0))
    params = parameters(state_dict)
    assert params[0] is state_dict["wte"][0][0]
    assert params[-1] is state_dict["layer0.mlp_fc2"][-1][-1]
    assert len({id(p) for p in params}) == len(params)        # no Value shared
    assert all(p.grad == 0 for p in params)


def test_same_numbers_as_the_reference_s_global_generator():
    """The reference: random.seed(42), random.shuffle(docs), then random.gauss
    for wte, wpe, lm_head, then per layer q, k, v, o, fc1, fc2, row by row."""
    saved = random.getstate()
    try:
        random.seed(42)
        docs = read_docs("names.txt")
        random.shuffle(docs)
        n, V, B = 16, 27, 16
        ref = [random.gauss(0, 0.08) for _ in range(V * n + B * n + V * n)]
        ref += [random.gauss(0, 0.08) for _ in range(4 * n * n + 4 * n * n + n * 4 * n)]
    finally:
        random.setstate(saved)

    rng = random.Random(42)
    book_docs = load_docs("names.txt", rng)
    params = parameters(init_state_dict(Config(), 27, rng))
    assert book_docs == docs
    assert [p.data for p in params] == ref


def test_initial_weights_have_mean_0_and_std_0_08():
    data = [p.data for p in parameters(init_state_dict(Config(), 27, random.Random(42)))]
    mean = sum(data) / len(data)
    std = math.sqrt(sum((d - mean) ** 2 for d in data) / len(data))
    # 4,192 draws: the standard error of the std is about 0.08 / sqrt(2 * 4192) < 0.001
    assert abs(mean) < 0.005
    assert abs(std - 0.08) < 0.004


def test_matrix_honours_its_std():
    data = [v.data for row in matrix(200, 50, random.Random(0), std=0.5) for v in row]
    std = math.sqrt(sum(d * d for d in data) / len(data))
    assert abs(std - 0.5) < 0.01
