"""Chapter 05's text classifier trained in PyTorch, timed for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/ch05_classifier.py THREADS WAIT INTRA_OP BATCH WORDS

The same model and step as chapters/05_attention_classifier/classifier_model.hpp with attention
pooling: EmbeddingBag(Vi, E, mode='mean') over each word's ids (its word id and 12 character n-gram
buckets) -> dropout -> bidirectional GRU(E, H) -> additive attention pooling with a learned query
(k = U h, e = v^T tanh(u + k), alpha = softmax(e), c = sum alpha h) -> dropout -> Linear(2H, M) ->
ReLU -> Linear(M, V), cross-entropy, gradient-norm clipping at 5, Adam; one step = forward +
backward + clip + optimiser step, on BATCH texts of WORDS words each (no padding, as bench_ch05).

Threads, waiting and the rounds protocol: serve.py.
"""
import serve

batch, words = serve.configure()

import torch  # noqa: E402  (after serve.configure: the threads are set before torch loads)

E, H, A, M, V, VOCAB, BUCKETS, NGRAMS = 96, 96, 64, 64, 4, 5000, 20000, 12


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


serve.run(step, warmup=10)
