"""A modgrok model as a TransformerLens ``HookedTransformer``."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

# Input length: x, op, y (SPEC §1); the logits read at the last position.
N_CTX = 3


def to_transformer_lens(weights: Mapping[str, Any], device: Any = None) -> Any:
    """A ``HookedTransformer`` whose logits at the last position equal modgrok's forward.

    The paper's model has no positional embedding, no LayerNorm and no biases, so:
    ``normalization_type=None``; ``W_pos`` is zero (``n_ctx = 3``); every bias (``b_Q``,
    ``b_K``, ``b_V``, ``b_O``, ``b_in``, ``b_out``, ``b_U``) is zero; ``act_fn="relu"``,
    attention scaled by √d_head with a causal mask as in modgrok. Tensors are transposed to
    TransformerLens' layout: ``W_E`` [d_vocab, d_model], ``W_Q/K/V`` [n_heads, d_model, d_head],
    ``W_O`` [n_heads, d_head, d_model], ``W_in`` [d_model, d_mlp], ``W_out`` [d_mlp, d_model];
    ``W_U`` [d_model, d_vocab] is as it is.

    Needs ``transformer_lens`` before 4.0, which removed ``HookedTransformer`` (and torch);
    raises ``ImportError`` without it.
    """
    try:
        import torch
        from transformer_lens import HookedTransformer, HookedTransformerConfig
    except ImportError as e:
        raise ImportError(
            "to_transformer_lens needs transformer_lens with HookedTransformer (before 4.0): "
            "pip install 'transformer_lens<4'"
        ) from e
    w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
    d_model, d_vocab = w["embed.W_E"].shape
    n_heads, d_head, _ = w["blocks.0.attn.W_Q"].shape
    d_mlp = w["blocks.0.mlp.W_in"].shape[0]
    cfg = HookedTransformerConfig(
        n_layers=1,
        d_model=d_model,
        d_head=d_head,
        n_heads=n_heads,
        d_mlp=d_mlp,
        d_vocab=d_vocab,
        d_vocab_out=d_vocab,
        n_ctx=N_CTX,
        act_fn="relu",
        normalization_type=None,
        positional_embedding_type="standard",
        default_prepend_bos=False,
        device=device or "cpu",
        dtype=torch.float32,
    )
    model = HookedTransformer(cfg)
    attn = "blocks.0.attn."
    mlp = "blocks.0.mlp."
    per_head = lambda a: a.transpose(0, 2, 1)  # noqa: E731  [h, dh, d] -> [h, d, dh]
    mapped = {
        "embed.W_E": w["embed.W_E"].T,
        "pos_embed.W_pos": np.zeros((N_CTX, d_model), np.float32),
        attn + "W_Q": per_head(w[attn + "W_Q"]),
        attn + "W_K": per_head(w[attn + "W_K"]),
        attn + "W_V": per_head(w[attn + "W_V"]),
        attn + "W_O": w[attn + "W_O"].T.reshape(n_heads, d_head, d_model),
        mlp + "W_in": w[mlp + "W_in"].T,
        mlp + "W_out": w[mlp + "W_out"].T,
        "unembed.W_U": w["unembed.W_U"],
    }
    with torch.no_grad():
        for name, param in model.named_parameters():
            value = mapped.get(name)
            if value is None:
                if not name.rsplit(".", 1)[-1].startswith("b_"):
                    raise ValueError(f"TransformerLens' {name} has no counterpart in modgrok's model")
                param.zero_()
            else:
                param.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return model.eval()
