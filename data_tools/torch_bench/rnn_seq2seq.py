"""Chapters 01-04's recurrent translation models trained in PyTorch, timed for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/rnn_seq2seq.py THREADS WAIT INTRA_OP  CHAPTER BATCH S T VS VT E H A D

CHAPTER picks the model, each the same as its chapter's, at the sizes given (the chapters' defaults are
E 128, H 256, A 256, D 2):
  1  chapters/01_seq2seq/gru_seq2seq.hpp: GRU encoder over the REVERSED source (Sutskever et al.), its
     final state is the decoder's d_0; GRU decoder over E_tgt[y_{t-1}] (teacher forcing); Linear(H, VT).
  2  chapters/02_additive_attention/bahdanau_seq2seq.hpp: bidirectional GRU encoder (H each way),
     keys k_i = U h_i (no bias), s_0 = tanh(W_s h<-_1 + b_s); for each t: e_ti = v^T tanh(W s_{t-1} + k_i),
     alpha = softmax, c_t = sum alpha h_i, s_t = GRUCell([E_tgt[y_{t-1}] ; c_t], s_{t-1}); then
     Linear(3H, VT) over [s_t ; c_t] of all steps at once.
  3  chapters/03_multiplicative_attention/luong_seq2seq.hpp with its defaults, the scaled-dot score and
     input feeding: bidirectional GRU encoder (H/2 each way), h_0 = [h->_last ; h<-_1], h~_0 = 0; for
     each t: h_t = GRUCell([E_tgt[y_{t-1}] ; h~_{t-1}], h_{t-1}), e_ts = h_t . h_s / sqrt(H), alpha =
     softmax, c_t = sum alpha h_s, h~_t = tanh(W_c [c_t ; h_t]) (no bias); Linear(H, VT) over all h~_t.
  4  chapters/04_local_hard_soft_attention/aligned_luong.hpp with its default, local-m attention: chapter
     3's model with the softmax taken on the window [p_t - D, p_t + D] alone, p_t = min(t, S - 1) (t from
     0), the scores outside it -inf (weight 0).
All four: embeddings (VS, E) and (VT, E); mean cross-entropy over the non-<pad> targets; Adam (the
chapters' lr 2e-3); gradient-norm clipping at 1. No dropout (the chapters have none).

One step = forward + backward + clip + optimiser step on one batch drawn once, like
tests/bench/translation_bench.hpp's: BATCH pairs, every source S positions (x_1..x_{S-1} <eos>: the
chapters' batches are bucketed by source length, so a batch has one), targets of T positions
(<bos> y_1..y_m in, y_1..y_m <eos> out, m + 1 drawn in [T-3, T], the first pair the longest, <pad> after).
With one source length the encoders need no packing; the decoders run every row for T steps, as ours
do (chapter 01's freezes a row's state after its end, which changes no loss and no gradient: the padded
positions come last and their loss is ignored).

Threads, waiting and the rounds protocol: serve.py.
"""
import math

import serve

chapter, batch, S, T, Vs, Vt, E, H, A, D = serve.configure()

import torch  # noqa: E402  (after serve.configure: the threads are set before torch loads)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

PAD, BOS, EOS, LR, CLIP = 0, 2, 3, 2e-3, 1.0


class GRUSeq2Seq(nn.Module):  # chapter 01
    def __init__(self):
        super().__init__()
        self.src_emb, self.tgt_emb = nn.Embedding(Vs, E), nn.Embedding(Vt, E)
        self.enc, self.dec = nn.GRU(E, H, batch_first=True), nn.GRU(E, H, batch_first=True)
        self.out = nn.Linear(H, Vt)

    def forward(self, src, dec_in):
        _, ctx = self.enc(self.src_emb(src.flip(1)))  # (1,B,H): the state after x_1, read last
        d, _ = self.dec(self.tgt_emb(dec_in), ctx)  # (B,T,H)
        return self.out(d)


class Bahdanau(nn.Module):  # chapter 02
    def __init__(self):
        super().__init__()
        self.src_emb, self.tgt_emb = nn.Embedding(Vs, E), nn.Embedding(Vt, E)
        self.enc = nn.GRU(E, H, batch_first=True, bidirectional=True)
        self.init = nn.Linear(H, H)
        self.W, self.U = nn.Linear(H, A, bias=False), nn.Linear(2 * H, A, bias=False)
        self.v = nn.Parameter(torch.empty(A).uniform_(-1 / math.sqrt(A), 1 / math.sqrt(A)))
        self.dec = nn.GRUCell(E + 2 * H, H)
        self.out = nn.Linear(3 * H, Vt)

    def forward(self, src, dec_in):
        h, hn = self.enc(self.src_emb(src))  # (B,S,2H), (2,B,H)
        keys = self.U(h)  # (B,S,A)
        s = torch.tanh(self.init(hn[1]))  # s_0 from h<-_1
        emb = self.tgt_emb(dec_in)  # (B,T,E)
        outs = []
        for t in range(dec_in.shape[1]):
            alpha = torch.softmax(torch.tanh(self.W(s)[:, None] + keys) @ self.v, dim=1)  # (B,S)
            c = torch.bmm(alpha[:, None], h)[:, 0]  # (B,2H)
            s = self.dec(torch.cat([emb[:, t], c], 1), s)
            outs.append(torch.cat([s, c], 1))
        return self.out(torch.stack(outs, 1))  # (B,T,VT)


class Luong(nn.Module):  # chapter 03: scaled-dot score, input feeding; chapter 04: and local-m
    def __init__(self):
        super().__init__()
        pos = torch.arange(S)  # chapter 04: outside[t] (S) = the positions off step t's window
        self.outside = [(pos - min(t, S - 1)).abs() > D if chapter == 4 else None for t in range(T)]
        self.src_emb, self.tgt_emb = nn.Embedding(Vs, E), nn.Embedding(Vt, E)
        self.enc = nn.GRU(E, H // 2, batch_first=True, bidirectional=True)
        self.dec = nn.GRUCell(E + H, H)
        self.W_c = nn.Linear(2 * H, H, bias=False)
        self.out = nn.Linear(H, Vt)

    def forward(self, src, dec_in):
        hbar, hn = self.enc(self.src_emb(src))  # (B,S,H), (2,B,H/2)
        h = torch.cat([hn[0], hn[1]], 1)  # h_0 = [h->_last ; h<-_1]
        htil = torch.zeros_like(h)
        emb = self.tgt_emb(dec_in)
        outs = []
        for t in range(dec_in.shape[1]):
            h = self.dec(torch.cat([emb[:, t], htil], 1), h)
            e = torch.bmm(hbar, h[:, :, None])[:, :, 0] / math.sqrt(H)  # (B,S)
            if self.outside[t] is not None:
                e = e.masked_fill(self.outside[t], -math.inf)
            alpha = torch.softmax(e, dim=1)
            c = torch.bmm(alpha[:, None], hbar)[:, 0]  # (B,H)
            htil = torch.tanh(self.W_c(torch.cat([c, h], 1)))
            outs.append(htil)
        return self.out(torch.stack(outs, 1))


def make_batch():
    src = torch.randint(4, Vs, (batch, S))
    src[:, S - 1] = EOS
    dec_in = torch.full((batch, T), PAD, dtype=torch.long)
    dec_out = torch.full((batch, T), PAD, dtype=torch.long)
    for b in range(batch):
        m = T if b == 0 else int(torch.randint(T - 3, T + 1, ()))  # y_1..y_{m-1} <eos>
        y = torch.randint(4, Vt, (m - 1,))
        dec_in[b, 0], dec_in[b, 1:m] = BOS, y
        dec_out[b, : m - 1], dec_out[b, m - 1] = y, EOS
    return src, dec_in, dec_out


model = {1: GRUSeq2Seq, 2: Bahdanau, 3: Luong, 4: Luong}[chapter]()
model.train()
opt = torch.optim.Adam(model.parameters(), lr=LR)
src, dec_in, dec_out = make_batch()


def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(src, dec_in).reshape(-1, Vt), dec_out.reshape(-1), ignore_index=PAD)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    opt.step()


serve.run(step, warmup=5)
