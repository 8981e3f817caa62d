"""Cross-check microgpt against the same model written independently in PyTorch.

The torch model below is the textbook formulation: the whole document at once,
matrix products, and a causal mask, where microgpt runs one token at a time
with a KV cache and scalar autograd. Loaded with the same initial weights, in
float64, both must give the same loss, the same gradient for every parameter,
and (with torch's own Adam and a linear learning-rate schedule) the same
parameters after a few training steps.

torch is only a test tool, never a dependency of the package: without it this
file is skipped. CI installs the CPU build (torch==2.13.0+cpu).
"""

import random

import pytest

from microgpt.data import read_docs
from microgpt.model import Config, init_state_dict, parameters
from microgpt.tokenizer import Tokenizer
from microgpt.train import doc_loss, train

torch = pytest.importorskip("torch")

RTOL = 1e-10


def to_torch(state_dict):
    """The book's weights as float64 leaf tensors that want gradients."""
    return {k: torch.tensor([[p.data for p in row] for row in mat], dtype=torch.float64,
                            requires_grad=True)
            for k, mat in state_dict.items()}


def rmsnorm(x):
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + 1e-5)


def torch_loss(w, config, tokens):
    """Mean cross-entropy of next-token prediction over the first
    min(block_size, len(tokens) - 1) positions, all positions at once."""
    n = min(config.block_size, len(tokens) - 1)
    inputs = torch.tensor(tokens[:n])
    targets = torch.tensor(tokens[1:n + 1])
    hs, hd = config.n_head, config.head_dim
    future = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
    x = rmsnorm(w["wte"][inputs] + w["wpe"][:n])
    for i in range(config.n_layer):
        h = rmsnorm(x)
        q, k, v = (h @ w[f"layer{i}.attn_w{c}"].T for c in "qkv")
        q, k, v = (t.view(n, hs, hd).transpose(0, 1) for t in (q, k, v))   # heads first
        scores = (q @ k.transpose(1, 2)) / hd**0.5
        att = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        heads = (att @ v).transpose(0, 1).reshape(n, config.n_embd)
        x = x + heads @ w[f"layer{i}.attn_wo"].T
        h = torch.relu(rmsnorm(x) @ w[f"layer{i}.mlp_fc1"].T)
        x = x + h @ w[f"layer{i}.mlp_fc2"].T
    logits = x @ w["lm_head"].T
    return torch.nn.functional.cross_entropy(logits, targets)


def assert_close(book, want, what):
    got = torch.tensor(book, dtype=torch.float64)
    scale = want.abs().max().item()
    bad = (got - want).abs() > RTOL * want.abs() + 1e-14 * max(scale, 1e-300)
    assert not bad.any(), (f"{what}: {bad.sum().item()} of {want.numel()} entries differ; "
                           f"largest difference {(got - want).abs().max().item():.3g}")


def default_run_start():
    """The default run's documents, tokenizer and initial weights (seed 42)."""
    rng = random.Random(42)
    docs = read_docs("names.txt")
    rng.shuffle(docs)
    tok = Tokenizer.from_docs(docs)
    config = Config()
    return docs, tok, config, init_state_dict(config, tok.vocab_size, rng)


def tiny_start():
    """A two-layer model whose block is shorter than the document (it gets cut)."""
    tok = Tokenizer("abcdefghijklmnopqrstuvwxyz")
    config = Config(n_embd=8, n_head=2, n_layer=2, block_size=6)
    docs = ["alexandria", "bo", "ivy"]
    return docs, tok, config, init_state_dict(config, tok.vocab_size, random.Random(5))


@pytest.mark.parametrize("start", [tiny_start, default_run_start], ids=["tiny", "default"])
def test_one_document_same_loss_and_gradients(start):
    docs, tok, config, state_dict = start()
    tokens = [tok.BOS] + tok.encode(docs[0]) + [tok.BOS]
    w = to_torch(state_dict)

    loss = doc_loss(state_dict, config, tokens)
    loss.backward()
    want = torch_loss(w, config, tokens)
    want.backward()

    assert loss.data == pytest.approx(want.item(), rel=RTOL)
    for name, mat in state_dict.items():
        assert_close([[p.grad for p in row] for row in mat], w[name].grad, f"grad of {name}")
    assert any(p.grad != 0 for p in state_dict["layer0.mlp_fc2"][0])   # a real check


@pytest.mark.parametrize("start", [tiny_start])
def test_training_steps_match_torch_adam(start):
    docs, tok, config, state_dict = start()
    num_steps = 10
    w = to_torch(state_dict)
    opt = torch.optim.Adam(list(w.values()), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / num_steps)

    steps = train(state_dict, config, tok, docs, num_steps)
    for s in range(4):
        _, loss = next(steps)
        tokens = [tok.BOS] + tok.encode(docs[s % len(docs)]) + [tok.BOS]
        opt.zero_grad()
        want = torch_loss(w, config, tokens)
        want.backward()
        opt.step()
        schedule.step()
        assert loss == pytest.approx(want.item(), rel=RTOL)
        for name, mat in state_dict.items():
            assert_close([[p.data for p in row] for row in mat], w[name].detach(),
                         f"{name} after step {s + 1}")
    assert all(p.grad == 0 for p in parameters(state_dict))
