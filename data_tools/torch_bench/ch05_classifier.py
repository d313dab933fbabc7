"""Chapter 05's text classifier trained in PyTorch, timed for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/ch05_classifier.py THREADS BATCH WORDS STEPS ROUNDS

The same model and step as chapters/05_attention_classifier/classifier_model.hpp with attention
pooling: EmbeddingBag(Vi, E, mode='mean') over each word's ids (its word id and 12 character n-gram
buckets) -> dropout -> bidirectional GRU(E, H) -> additive attention pooling with a learned query
(k = U h, e = v^T tanh(u + k), alpha = softmax(e), c = sum alpha h) -> dropout -> Linear(2H, M) ->
ReLU -> Linear(M, V), cross-entropy, gradient-norm clipping at 5, Adam; one step = forward +
backward + clip + optimiser step, on BATCH texts of WORDS words each (no padding, as bench_ch05).

It prints `ready torch=<version> threads=<intra-op threads>`, then ROUNDS lines
`wall=<seconds> cpu=<seconds>`, each for STEPS steps after a warm-up. THREADS sets OpenBLAS's and
OpenMP's threads before torch loads (torch.set_num_threads alone leaves OpenBLAS on every core:
see mlp.py).
"""
import os
import sys

threads, batch, words, steps, rounds = (int(a) for a in sys.argv[1:6])
for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[var] = str(threads)

import time  # noqa: E402  (the environment above must be set before torch loads)

import torch  # noqa: E402

E, H, A, M, V, VOCAB, BUCKETS, NGRAMS = 96, 96, 64, 64, 4, 5000, 20000, 12
torch.set_num_threads(threads)
torch.manual_seed(0)


class Classifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.EmbeddingBag(VOCAB + BUCKETS, E, mode="mean")
        self.rnn = torch.nn.GRU(E, H, batch_first=True, bidirectional=True)
        self.U = torch.nn.Linear(2 * H, A, bias=False)
        self.u = torch.nn.Parameter(torch.randn(A) * 0.1)
        self.v = torch.nn.Parameter(torch.randn(A) * 0.1)
        self.fc1 = torch.nn.Linear(2 * H, M)
        self.fc2 = torch.nn.Linear(M, V)
        self.drop = torch.nn.Dropout(0.5)

    def forward(self, ids, offsets):
        x = self.drop(self.emb(ids, offsets)).view(batch, words, E)  # (B,T,E)
        h, _ = self.rnn(x)  # (B,T,2H)
        e = torch.tanh(self.u + self.U(h)) @ self.v  # (B,T)
        alpha = torch.softmax(e, dim=1)
        c = (alpha.unsqueeze(2) * h).sum(1)  # (B,2H)
        return self.fc2(torch.relu(self.fc1(self.drop(c))))


model = Classifier()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
n = batch * words
ids = torch.cat([torch.randint(0, VOCAB, (n, 1)), torch.randint(VOCAB, VOCAB + BUCKETS, (n, NGRAMS))], 1).view(-1)
offsets = torch.arange(0, n * (NGRAMS + 1), NGRAMS + 1)
y = torch.randint(0, V, (batch,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(model(ids, offsets), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()


for _ in range(10):  # warm up
    step()
print("ready torch=%s threads=%d" % (torch.__version__, torch.get_num_threads()), flush=True)
for _ in range(rounds):
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    print("wall=%.6f cpu=%.6f" % (time.perf_counter() - w0, time.process_time() - c0), flush=True)
