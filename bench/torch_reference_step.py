#!/usr/bin/env python3
"""PyTorch baseline for modgrok's speed: one full-batch training step of the paper's model.

The model is the published code's one-layer transformer (docs/spec.md §3): W_E [d, v], per-head
W_Q, W_K, W_V [H, h, d], W_O [d, H·h], W_in [m, d], W_out [d, m], W_U [d, v], a causal mask, no
LayerNorm, biases or positional embedding, logits at the last position over all p + 5 tokens.
Every weight starts as N(0, 1) times 1/sqrt(fan), drawn in that order after torch.manual_seed(0).
Training: log-softmax in f64, mean cross-entropy, AdamW(lr 1e-3, betas (0.9, 0.98), wd 1.0).

Two layouts of the same function: `forward_einsum` keeps the published code's einsums,
`forward_matmul` (the default for timing, faster on a CPU) the same sums as batched matmuls.
Prints one JSON line with the seconds per step and steps per second.

    python bench/torch_reference_step.py --p 97 --frac 0.3 --threads 2 --steps 30 [--device cuda]

Needs torch (`python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy`).
`bench/compare.sh` runs it beside modgrok's `bench_step`; `tests/fixtures/make_reference.py`
imports `Reference` from it.
"""
import argparse
import json
import math
import random
import time

import torch
import torch.nn.functional as F


def gaussian(*shape, fan):
    return torch.nn.Parameter(torch.randn(*shape) * (1 / math.sqrt(fan)))


class Reference(torch.nn.Module):
    def __init__(self, d_vocab, d_model=128, n_heads=4, d_head=32, d_mlp=512):
        super().__init__()
        self.d_head = d_head
        self.W_E = gaussian(d_model, d_vocab, fan=d_vocab)
        self.W_Q = gaussian(n_heads, d_head, d_model, fan=d_model)
        self.W_K = gaussian(n_heads, d_head, d_model, fan=d_model)
        self.W_V = gaussian(n_heads, d_head, d_model, fan=d_model)
        self.W_O = gaussian(d_model, n_heads * d_head, fan=d_model)
        self.W_in = gaussian(d_mlp, d_model, fan=d_model)
        self.W_out = gaussian(d_model, d_mlp, fan=d_model)
        self.W_U = gaussian(d_model, d_vocab, fan=d_model)
        self.register_buffer("mask", torch.tril(torch.ones(3, 3)))

    def forward_einsum(self, tok):
        """tok [B, 3] -> logits [B, v], written as the published code writes it."""
        resid = torch.einsum("dbp->bpd", self.W_E[:, tok])
        # k before q, as the published code has it: autograd sums the three branches'
        # gradients into resid in reverse order of creation, so the order shows in the last bit.
        k = torch.einsum("ihd,bpd->biph", self.W_K, resid)
        q = torch.einsum("ihd,bpd->biph", self.W_Q, resid)
        v = torch.einsum("ihd,bpd->biph", self.W_V, resid)
        scores = torch.einsum("biph,biqh->biqp", k, q)
        scores = torch.tril(scores) - 1e10 * (1 - self.mask)
        pattern = F.softmax(scores / math.sqrt(self.d_head), dim=-1)
        z = torch.einsum("biph,biqp->biqh", v, pattern)
        z = z.permute(0, 2, 1, 3).reshape(tok.shape[0], 3, -1)
        resid = resid + torch.einsum("df,bqf->bqd", self.W_O, z)
        hidden = F.relu(torch.einsum("md,bpd->bpm", self.W_in, resid))
        resid = resid + torch.einsum("dm,bpm->bpd", self.W_out, hidden)
        return (resid @ self.W_U)[:, -1]

    def forward_matmul(self, tok):
        """The same function as `forward_einsum`, as batched matmuls."""
        n_heads, d_head, d_model = self.W_Q.shape
        batch = tok.shape[0]
        resid = self.W_E.t()[tok]  # [B, 3, d]
        w_qkv = torch.cat([self.W_Q, self.W_K, self.W_V]).reshape(-1, d_model)
        qkv = (resid @ w_qkv.t()).view(batch, 3, 3, n_heads, d_head)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each [B, H, 3, h]
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d_head)
        scores = scores.masked_fill(self.mask == 0, float("-inf"))
        z = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, 3, -1)
        resid = resid + z @ self.W_O.t()
        resid = resid + F.relu(resid @ self.W_in.t()) @ self.W_out.t()
        return resid[:, -1] @ self.W_U


def addition_train_set(p, frac, device):
    """x + y mod p on the first frac of the published code's pairs (both operands over every
    token id 0..p+5, as `modgrok train` draws them by default) shuffled by Python's random with
    seed 0."""
    pairs = [(x, y) for x in range(p + 5) for y in range(p + 5)]
    random.seed(0)
    random.shuffle(pairs)
    train = pairs[: int(frac * len(pairs))]
    tokens = torch.tensor([[x, p + 1, y] for x, y in train], device=device)
    labels = torch.tensor([(x % p + y % p) % p for x, y in train], device=device)
    return tokens, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--p", type=int, default=97)
    ap.add_argument("--frac", type=float, default=0.3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--impl", choices=["matmul", "einsum"], default="matmul")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    tokens, labels = addition_train_set(a.p, a.frac, a.device)
    model = Reference(a.p + 5).to(a.device)
    with torch.no_grad():
        gap = (model.forward_matmul(tokens[:64]) - model.forward_einsum(tokens[:64])).abs().max()
    assert gap.item() < 1e-4, f"the two layouts disagree by {gap.item()}"
    forward = model.forward_matmul if a.impl == "matmul" else model.forward_einsum
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=1.0)

    def step():
        log_probs = forward(tokens).to(torch.float64).log_softmax(-1)
        loss = -log_probs.gather(-1, labels[:, None]).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()

    sync = torch.cuda.synchronize if a.device.startswith("cuda") else (lambda: None)
    for _ in range(a.warmup):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    sync()
    sec = (time.perf_counter() - start) / a.steps
    print(json.dumps({"p": a.p, "frac": a.frac, "n_train": len(labels), "threads": a.threads,
                      "device": a.device, "impl": a.impl, "torch": torch.__version__,
                      "sec_per_step": sec, "steps_per_sec": 1 / sec}))


if __name__ == "__main__":
    main()
