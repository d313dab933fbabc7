"""Chapter 07's Transformer trained in PyTorch, timed for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/transformer.py THREADS WAIT INTRA_OP  BATCH S T VS VT C NH F LAYERS ATTN_DROP

The same model as chapters/07_transformer/transformer.hpp with the chapter's defaults: embeddings
(VS, C) and (VT, C) drawn from N(0, 1/C), times sqrt(C), plus the sinusoidal positions, dropout 0.1;
nn.Transformer (d_model C, NH heads, feed-forward F, ReLU, LAYERS encoder and LAYERS decoder layers,
dropout 0.1 on every residual branch, norm_first: pre-norm, with its final encoder and decoder layer
norms; dropout on the attention weights ATTN_DROP percent, as the chapter's --attn-dropout: nn.Transformer
gives its attention the branches' rate, so it is set apart after building); the output layer
tied to the target embedding (logits = z E_tgt^T + b); cross-entropy with label smoothing 0.1 over the
non-<pad> targets; Adam (betas 0.9, 0.98, eps 1e-9); gradient clipping at 1. The source keys are
masked by src_key_padding_mask / memory_key_padding_mask, the decoder by the causal mask alone (as
ours: padding targets come after the real ones, so no real query sees them).

One step = forward + backward + clip + optimiser step on one batch of BATCH sentence pairs shaped like
the chapter's default run: S source positions (x_1..x_n <eos>, n + 1 drawn in [S-3, S]), T target
positions (<bos> y_1..y_m in, y_1..y_m <eos> out, m + 1 drawn in [T-3, T]); the first pair is the
longest, so the padded shape is (BATCH, S) and (BATCH, T). Drawn once, like tests/bench/bench_ch07.cpp.

Threads, waiting and the rounds protocol: serve.py.
"""
import math

import serve

batch, S, T, Vs, Vt, C, NH, F, L, attn_drop_pct = serve.configure()

import torch  # noqa: E402  (after serve.configure: the threads are set before torch loads)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as Fn  # noqa: E402

PAD, BOS, EOS, P, SMOOTHING = 0, 2, 3, 0.1, 0.1


def sinusoids(n, C):
    pos = torch.arange(n, dtype=torch.float64)[:, None]
    i2 = torch.arange(C)[None, :] // 2 * 2
    angle = pos / torch.pow(10000.0, i2.double() / C)
    return torch.where(torch.arange(C) % 2 == 0, torch.sin(angle), torch.cos(angle)).float()


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_emb = nn.Embedding(Vs, C)
        self.tgt_emb = nn.Embedding(Vt, C)
        for e in (self.src_emb, self.tgt_emb):
            nn.init.normal_(e.weight, 0.0, 1.0 / math.sqrt(C))
        self.register_buffer("pe", sinusoids(max(S, T), C))
        self.drop = nn.Dropout(P)
        self.core = nn.Transformer(C, NH, L, L, F, P, batch_first=True, norm_first=True)
        for m in self.core.modules():  # the attention weights' dropout: ours, not the branches' P
            if isinstance(m, nn.MultiheadAttention):
                m.dropout = attn_drop_pct / 100.0
        self.b_out = nn.Parameter(torch.zeros(Vt))

    def embed(self, E, ids):
        return self.drop(E(ids) * math.sqrt(C) + self.pe[: ids.shape[1]])

    def forward(self, src, src_pad, dec_in, causal):
        z = self.core(self.embed(self.src_emb, src), self.embed(self.tgt_emb, dec_in), tgt_mask=causal,
                      src_key_padding_mask=src_pad, memory_key_padding_mask=src_pad)
        return z @ self.tgt_emb.weight.t() + self.b_out  # tied output layer


def make_batch():
    src = torch.full((batch, S), PAD, dtype=torch.long)
    dec_in = torch.full((batch, T), PAD, dtype=torch.long)
    dec_out = torch.full((batch, T), PAD, dtype=torch.long)
    for b in range(batch):
        n = S if b == 0 else int(torch.randint(S - 3, S + 1, ()))  # incl. <eos>
        m = T if b == 0 else int(torch.randint(T - 3, T + 1, ()))  # y_1..y_{m-1} <eos>
        src[b, : n - 1] = torch.randint(4, Vs, (n - 1,))
        src[b, n - 1] = EOS
        y = torch.randint(4, Vt, (m - 1,))
        dec_in[b, 0], dec_in[b, 1:m] = BOS, y
        dec_out[b, : m - 1], dec_out[b, m - 1] = y, EOS
    return src, src == PAD, dec_in, dec_out


model = Transformer()
model.train()
opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98), eps=1e-9)
src, src_pad, dec_in, dec_out = make_batch()
causal = nn.Transformer.generate_square_subsequent_mask(T)


def step():
    opt.zero_grad(set_to_none=True)
    logits = model(src, src_pad, dec_in, causal)
    loss = Fn.cross_entropy(logits.reshape(-1, Vt), dec_out.reshape(-1), ignore_index=PAD, label_smoothing=SMOOTHING)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


serve.run(step, warmup=5)
