"""A T5 encoder-decoder (v1.0 layout: ReLU feed-forward, tied embeddings)
with the parameter names of HuggingFace's ``T5ForConditionalGeneration``,
written without transformers, plus batched greedy decoding with a
key/value cache.
"""
import math
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def relative_position_bucket(relative_position: torch.Tensor,
                             bidirectional: bool, num_buckets: int,
                             max_distance: int) -> torch.Tensor:
    """Map key-minus-query offsets to T5's relative position buckets.

    Half of the buckets (of each direction) hold exact offsets, the rest
    grow logarithmically up to ``max_distance``.

    Args:
        relative_position (torch.Tensor): Integer offsets, any shape.
        bidirectional (bool): Separate buckets for positive offsets
            (encoder); the decoder only sees non-positive ones.
        num_buckets (int): Buckets.
        max_distance (int): Offset mapped to the last bucket.

    Returns:
        torch.Tensor: Bucket indices, same shape, int64.
    """
    buckets = torch.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        buckets += (relative_position > 0).long() * num_buckets
        distance = relative_position.abs()
    else:
        distance = (-relative_position).clamp(min=0)
    max_exact = num_buckets // 2
    large = max_exact + (torch.log(distance.float() / max_exact) /
                         math.log(max_distance / max_exact) *
                         (num_buckets - max_exact)).long()
    large = large.clamp(max=num_buckets - 1)
    return buckets + torch.where(distance < max_exact, distance, large)


class T5LayerNorm(nn.Module):
    """Root-mean-square norm with a scale and no bias or mean removal.

    Args:
        hidden_size (int): Width.
        eps (float): Added to the mean square.
    """

    def __init__(self, hidden_size: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., D) -> (..., D)."""
        variance = x.float().pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * x.to(self.weight.dtype)


class T5Attention(nn.Module):
    """Unscaled multi-head attention (T5 folds the scale into its init),
    optionally owning the relative position bias table of its stack.

    Args:
        d_model (int): Model width.
        d_kv (int): Width per head.
        num_heads (int): Heads.
        dropout_rate (float): Dropout on attention weights.
        has_relative_attention_bias (bool): Own the bias table.
        num_buckets (int): Relative position buckets.
        max_distance (int): Largest distinguished offset.
    """

    def __init__(self,
                 d_model: int,
                 d_kv: int,
                 num_heads: int,
                 dropout_rate: float = 0.1,
                 has_relative_attention_bias: bool = False,
                 num_buckets: int = 32,
                 max_distance: int = 128) -> None:
        super().__init__()
        inner = num_heads * d_kv
        self.num_heads = num_heads
        self.d_kv = d_kv
        self.dropout_rate = dropout_rate
        self.num_buckets = num_buckets
        self.max_distance = max_distance
        self.q = nn.Linear(d_model, inner, bias=False)
        self.k = nn.Linear(d_model, inner, bias=False)
        self.v = nn.Linear(d_model, inner, bias=False)
        self.o = nn.Linear(inner, d_model, bias=False)
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(num_buckets, num_heads)

    def compute_bias(self, query_length: int, key_length: int,
                     bidirectional: bool) -> torch.Tensor:
        """Relative position bias, (1, heads, query_length, key_length)."""
        device = self.relative_attention_bias.weight.device
        offset = torch.arange(key_length, device=device)[None, :] - \
            torch.arange(query_length, device=device)[:, None]
        buckets = relative_position_bucket(offset, bidirectional,
                                           self.num_buckets, self.max_distance)
        return self.relative_attention_bias(buckets).permute(2, 0,
                                                             1).unsqueeze(0)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, heads * d_kv) -> (B, heads, L, d_kv)."""
        return x.view(x.shape[0], -1, self.num_heads,
                      self.d_kv).transpose(1, 2)

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
               bias: Optional[torch.Tensor]) -> torch.Tensor:
        """Heads-split (B, heads, L, d_kv) q/k/v and an additive bias ->
        (B, L, d_model) after the output projection."""
        if bias is not None:
            bias = bias.to(q.dtype)
        out = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=bias,
            dropout_p=self.dropout_rate if self.training else 0.,
            scale=1.)
        b, _, length, _ = out.shape
        return self.o(out.transpose(1, 2).reshape(b, length, -1))

    def forward(self,
                x: torch.Tensor,
                bias: Optional[torch.Tensor] = None,
                memory: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Self-attention over ``x`` or cross-attention to ``memory``.

        Args:
            x (torch.Tensor): (B, L, D) queries.
            bias (torch.Tensor, optional): Broadcastable to
                (B, heads, L, S).
            memory (torch.Tensor, optional): (B, S, D) keys/values source.

        Returns:
            torch.Tensor: (B, L, D).
        """
        kv = x if memory is None else memory
        return self.attend(self.split_heads(self.q(x)),
                           self.split_heads(self.k(kv)),
                           self.split_heads(self.v(kv)), bias)


class T5LayerSelfAttention(nn.Module):
    """Pre-norm residual self-attention sub-layer."""

    def __init__(self, d_model: int, d_kv: int, num_heads: int,
                 dropout_rate: float, eps: float,
                 has_relative_attention_bias: bool, num_buckets: int,
                 max_distance: int) -> None:
        super().__init__()
        self.SelfAttention = T5Attention(d_model, d_kv, num_heads,
                                         dropout_rate,
                                         has_relative_attention_bias,
                                         num_buckets, max_distance)
        self.layer_norm = T5LayerNorm(d_model, eps)
        self.dropout = nn.Dropout(dropout_rate)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """(B, L, D) -> (B, L, D)."""
        return x + self.dropout(self.SelfAttention(self.layer_norm(x), bias))


class T5LayerCrossAttention(nn.Module):
    """Pre-norm residual attention to the encoder output (no position
    bias)."""

    def __init__(self, d_model: int, d_kv: int, num_heads: int,
                 dropout_rate: float, eps: float) -> None:
        super().__init__()
        self.EncDecAttention = T5Attention(d_model, d_kv, num_heads,
                                           dropout_rate)
        self.layer_norm = T5LayerNorm(d_model, eps)
        self.dropout = nn.Dropout(dropout_rate)

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """(B, L, D) queries, (B, S, D) memory -> (B, L, D)."""
        return x + self.dropout(
            self.EncDecAttention(self.layer_norm(x), memory=memory))


class T5DenseActDense(nn.Module):
    """ReLU feed-forward without biases."""

    def __init__(self, d_model: int, d_ff: int, dropout_rate: float) -> None:
        super().__init__()
        self.wi = nn.Linear(d_model, d_ff, bias=False)
        self.wo = nn.Linear(d_ff, d_model, bias=False)
        self.dropout = nn.Dropout(dropout_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., D) -> (..., D)."""
        return self.wo(self.dropout(F.relu(self.wi(x))))


class T5LayerFF(nn.Module):
    """Pre-norm residual feed-forward sub-layer."""

    def __init__(self, d_model: int, d_ff: int, dropout_rate: float,
                 eps: float) -> None:
        super().__init__()
        self.DenseReluDense = T5DenseActDense(d_model, d_ff, dropout_rate)
        self.layer_norm = T5LayerNorm(d_model, eps)
        self.dropout = nn.Dropout(dropout_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, D) -> (B, L, D)."""
        return x + self.dropout(self.DenseReluDense(self.layer_norm(x)))


class T5Block(nn.Module):
    """Self-attention, [cross-attention,] feed-forward.

    Args:
        is_decoder (bool): Add the cross-attention sub-layer.
        has_relative_attention_bias (bool): First block of a stack.
        Others: see :class:`T5EncoderDecoder`.
    """

    def __init__(self, d_model: int, d_kv: int, d_ff: int, num_heads: int,
                 dropout_rate: float, eps: float, is_decoder: bool,
                 has_relative_attention_bias: bool, num_buckets: int,
                 max_distance: int) -> None:
        super().__init__()
        layers: List[nn.Module] = [
            T5LayerSelfAttention(d_model, d_kv, num_heads, dropout_rate, eps,
                                 has_relative_attention_bias, num_buckets,
                                 max_distance)
        ]
        if is_decoder:
            layers.append(
                T5LayerCrossAttention(d_model, d_kv, num_heads, dropout_rate,
                                      eps))
        layers.append(T5LayerFF(d_model, d_ff, dropout_rate, eps))
        self.layer = nn.ModuleList(layers)

    def forward(self,
                x: torch.Tensor,
                bias: torch.Tensor,
                memory: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(B, L, D) [+ memory (B, S, D)] -> (B, L, D)."""
        x = self.layer[0](x, bias)
        if memory is not None:
            x = self.layer[1](x, memory)
        return self.layer[-1](x)


class T5Stack(nn.Module):
    """Blocks and final norm over input embeddings.

    The first block's self-attention owns the relative position bias that
    every block of the stack adds.

    Args:
        num_layers (int): Blocks.
        is_decoder (bool): Causal self-attention and cross-attention.
        Others: see :class:`T5EncoderDecoder`.
    """

    def __init__(self, num_layers: int, is_decoder: bool, d_model: int,
                 d_kv: int, d_ff: int, num_heads: int, dropout_rate: float,
                 eps: float, num_buckets: int, max_distance: int) -> None:
        super().__init__()
        self.is_decoder = is_decoder
        self.block = nn.ModuleList([
            T5Block(d_model, d_kv, d_ff, num_heads, dropout_rate, eps,
                    is_decoder, i == 0, num_buckets, max_distance)
            for i in range(num_layers)
        ])
        self.final_layer_norm = T5LayerNorm(d_model, eps)
        self.dropout = nn.Dropout(dropout_rate)

    def position_bias(self, query_length: int,
                      key_length: int) -> torch.Tensor:
        """(1, heads, q, k) self-attention bias of the stack (causal mask
        included for the decoder)."""
        attn = self.block[0].layer[0].SelfAttention
        bias = attn.compute_bias(query_length, key_length, not self.is_decoder)
        if self.is_decoder:
            future = torch.ones(query_length,
                                key_length,
                                dtype=torch.bool,
                                device=bias.device).triu(1 + key_length -
                                                         query_length)
            bias = bias.masked_fill(future, torch.finfo(bias.dtype).min)
        return bias

    def forward(self,
                inputs_embeds: torch.Tensor,
                memory: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(B, L, D) embeddings [+ encoder output (B, S, D)] -> (B, L, D)."""
        length = inputs_embeds.shape[1]
        bias = self.position_bias(length, length)
        x = self.dropout(inputs_embeds)
        for block in self.block:
            x = block(x, bias, memory)
        return self.dropout(self.final_layer_norm(x))


class T5EncoderDecoder(nn.Module):
    """T5 for conditional generation fed with encoder input embeddings.

    Parameter names match HuggingFace's ``T5ForConditionalGeneration``.
    The tied embedding is one parameter, ``shared.weight`` (registered once,
    so optimizer parameter groups stay disjoint); as in HF's state dict, it
    is also written as ``encoder.embed_tokens.weight``,
    ``decoder.embed_tokens.weight`` and ``lm_head.weight`` by
    :meth:`state_dict`, and loading requires those copies to equal it.

    Args:
        vocab_size (int): Output classes (and decoder input tokens).
        d_model (int): Model width.
        d_kv (int): Width per attention head.
        d_ff (int): Feed-forward width.
        num_layers (int): Encoder blocks.
        num_decoder_layers (int): Decoder blocks.
        num_heads (int): Attention heads.
        relative_attention_num_buckets (int): Position buckets.
        relative_attention_max_distance (int): Largest distinguished
            offset.
        dropout_rate (float): Dropout everywhere.
        layer_norm_epsilon (float): RMS norm epsilon.
        eos_token_id (int): End-of-sequence token.
        pad_token_id (int): Padding token (written after EOS).
        decoder_start_token_id (int): First decoder input.
        max_length (int): Generation length limit, start token included
            (as HF's ``max_length``).
    """

    TIED_COPIES = ('encoder.embed_tokens.weight',
                   'decoder.embed_tokens.weight', 'lm_head.weight')

    def __init__(self,
                 vocab_size: int = 38,
                 d_model: int = 96,
                 d_kv: int = 64,
                 d_ff: int = 384,
                 num_layers: int = 3,
                 num_decoder_layers: int = 6,
                 num_heads: int = 6,
                 relative_attention_num_buckets: int = 8,
                 relative_attention_max_distance: int = 128,
                 dropout_rate: float = 0.1,
                 layer_norm_epsilon: float = 1e-6,
                 eos_token_id: int = 37,
                 pad_token_id: int = 0,
                 decoder_start_token_id: int = 0,
                 max_length: int = 21) -> None:
        super().__init__()
        self.d_model = d_model
        self.vocab_size = vocab_size
        self.eos_token_id = eos_token_id
        self.pad_token_id = pad_token_id
        self.decoder_start_token_id = decoder_start_token_id
        self.max_length = max_length
        self.shared = nn.Embedding(vocab_size, d_model)
        common = dict(d_model=d_model,
                      d_kv=d_kv,
                      d_ff=d_ff,
                      num_heads=num_heads,
                      dropout_rate=dropout_rate,
                      eps=layer_norm_epsilon,
                      num_buckets=relative_attention_num_buckets,
                      max_distance=relative_attention_max_distance)
        self.encoder = T5Stack(num_layers, False, **common)
        self.decoder = T5Stack(num_decoder_layers, True, **common)
        self._init_embeddings()
        self.register_state_dict_post_hook(self._add_tied_copies)
        self.register_load_state_dict_pre_hook(self._check_tied_copies)

    def _init_embeddings(self) -> None:
        """Embedding tables as the official STIRER ends up with them: its
        truncated-normal (std 0.02) re-initialisation of every Linear reaches
        the tied embedding through ``lm_head``; the relative position
        biases keep HF's normal (std d_model ** -0.5)."""
        nn.init.trunc_normal_(self.shared.weight, std=.02)
        for stack in (self.encoder, self.decoder):
            nn.init.normal_(stack.block[0].layer[0].SelfAttention.
                            relative_attention_bias.weight,
                            std=self.d_model**-0.5)

    @staticmethod
    def _add_tied_copies(module: nn.Module, state_dict: dict, prefix: str,
                         local_metadata: dict) -> None:
        """Write the tied embedding under HF's other names."""
        for name in T5EncoderDecoder.TIED_COPIES:
            state_dict[prefix + name] = state_dict[prefix + 'shared.weight']

    @staticmethod
    def _check_tied_copies(module: nn.Module, state_dict: dict, prefix: str,
                           local_metadata: dict, strict: bool,
                           missing_keys: list, unexpected_keys: list,
                           error_msgs: list) -> None:
        """Take the tied copies out of a state dict being loaded; they must
        equal ``shared.weight``."""
        shared = state_dict.get(prefix + 'shared.weight')
        for name in T5EncoderDecoder.TIED_COPIES:
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            value = state_dict.pop(key)
            if shared is not None and (value.shape != shared.shape
                                       or not torch.equal(value, shared)):
                error_msgs.append(f'{key} differs from the tied '
                                  f'{prefix}shared.weight')

    def shift_right(self, labels: torch.Tensor) -> torch.Tensor:
        """Teacher-forcing decoder inputs: start token + labels[:, :-1]
        (ignored positions, -100, become padding)."""
        shifted = labels.new_full(labels.shape, self.decoder_start_token_id)
        shifted[:, 1:] = labels[:, :-1]
        return shifted.masked_fill(shifted == -100, self.pad_token_id)

    def project(self, hidden: torch.Tensor) -> torch.Tensor:
        """Decoder states -> logits through the tied embedding, scaled by
        d_model ** -0.5."""
        return F.linear(hidden * self.d_model**-0.5, self.shared.weight)

    def forward(self, inputs_embeds: torch.Tensor,
                labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced logits and cross-entropy.

        Args:
            inputs_embeds (torch.Tensor): (B, S, D) encoder inputs.
            labels (torch.Tensor): (B, L) targets, -100 to ignore.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: (B, L, vocab) logits and the
            mean cross-entropy over non-ignored positions.
        """
        memory = self.encoder(inputs_embeds)
        hidden = self.decoder(self.shared(self.shift_right(labels)), memory)
        logits = self.project(hidden)
        loss = F.cross_entropy(logits.flatten(0, 1).float(),
                               labels.flatten(),
                               ignore_index=-100)
        return logits, loss

    @torch.no_grad()
    def generate(self,
                 inputs_embeds: torch.Tensor,
                 max_length: Optional[int] = None,
                 check_every: int = 4) -> Tuple[torch.Tensor, torch.Tensor]:
        """Batched greedy decoding with a key/value cache.

        Finished sequences are filled with ``pad_token_id`` after their
        EOS; decoding stops when every sequence has emitted EOS (checked on
        the host every ``check_every`` steps) or after ``max_length - 1``
        tokens. The result equals HF ``generate(num_beams=1)`` without its
        leading start token.

        Args:
            inputs_embeds (torch.Tensor): (B, S, D) encoder inputs.
            max_length (int, optional): Limit, start token included.
                Defaults to ``self.max_length``.
            check_every (int): Steps between host-side EOS checks.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: (B, T) token ids and (B, T)
            log-probabilities of the chosen tokens, T <= max_length - 1.
        """
        steps = (max_length or self.max_length) - 1
        memory = self.encoder(inputs_embeds)
        b = memory.shape[0]
        blocks = self.decoder.block
        cross = []
        for block in blocks:
            attn = block.layer[1].EncDecAttention
            cross.append((attn.split_heads(attn.k(memory)),
                          attn.split_heads(attn.v(memory))))
        first = blocks[0].layer[0].SelfAttention
        cache_shape = (b, first.num_heads, steps, first.d_kv)
        cache_k = [memory.new_zeros(cache_shape) for _ in blocks]
        cache_v = [memory.new_zeros(cache_shape) for _ in blocks]
        bias = self.decoder.position_bias(steps, steps)
        ids = torch.full((b, steps),
                         self.pad_token_id,
                         dtype=torch.long,
                         device=memory.device)
        scores = memory.new_zeros(b, steps)
        token = torch.full((b, ),
                           self.decoder_start_token_id,
                           dtype=torch.long,
                           device=memory.device)
        finished = torch.zeros(b, dtype=torch.bool, device=memory.device)
        done = steps
        for t in range(steps):
            x = self.shared(token)[:, None]
            for i, block in enumerate(blocks):
                sa_layer, ca_layer, ff_layer = block.layer
                attn = sa_layer.SelfAttention
                h = sa_layer.layer_norm(x)
                cache_k[i][:, :, t] = attn.split_heads(attn.k(h))[:, :, 0]
                cache_v[i][:, :, t] = attn.split_heads(attn.v(h))[:, :, 0]
                x = x + attn.attend(
                    attn.split_heads(attn.q(h)), cache_k[i][:, :, :t + 1],
                    cache_v[i][:, :, :t + 1], bias[:, :, t:t + 1, :t + 1])
                h = ca_layer.layer_norm(x)
                cattn = ca_layer.EncDecAttention
                x = x + cattn.attend(cattn.split_heads(cattn.q(h)),
                                     cross[i][0], cross[i][1], None)
                x = ff_layer(x)
            logits = self.project(self.decoder.final_layer_norm(x[:,
                                                                  0])).float()
            token = logits.argmax(-1)
            best = logits.log_softmax(-1).gather(1, token[:, None])[:, 0]
            token = token.masked_fill(finished, self.pad_token_id)
            ids[:, t] = token
            scores[:, t] = best.masked_fill(finished, 0.)
            finished |= token == self.eos_token_id
            if (t + 1) % check_every == 0 and bool(finished.all()):
                done = t + 1
                break
        ids, scores = ids[:, :done], scores[:, :done]
        is_eos = ids == self.eos_token_id
        if bool(is_eos.any(1).all()):
            length = int(is_eos.int().argmax(1).max()) + 1
            ids, scores = ids[:, :length], scores[:, :length]
        return ids, scores
