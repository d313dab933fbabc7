// tiny_transformer.hpp (chapter 07's tests) — what the suite's files share: a tiny model, a batch of
// mixed lengths, the ReLU pattern a gradient check must not cross, and a small model trained once.
#pragma once
#include <cstdint>
#include <vector>

#include "chapters/07_transformer/train.hpp"
#include "chapters/07_transformer/transformer.hpp"
#include "tests/seq2seq_testing.hpp"

namespace ch07_testing {
using namespace ch07;
using ch01::make_seq2seq_batch;

// A model small enough for finite differences over every parameter.
inline TransformerConfig tiny_config(NormPlace norm, bool tie, float dropout = 0.0f) {
    TransformerConfig c;
    c.Vs = 9, c.Vt = 10, c.C = 8, c.NH = 2, c.F = 12, c.enc_layers = 1, c.dec_layers = 2;
    c.norm = norm, c.tie = tie, c.dropout = dropout, c.smoothing = 0.1f, c.Tmax = 16;
    return c;
}
inline void build(Transformer& m, const TransformerConfig& c, uint64_t seed) {
    Rng rng(seed);
    transformer_build(m, c, rng);
    for (float& v : m.params.value) v += rng.uniform(-0.1f, 0.1f);  // non-trivial norms and biases
}

// Three pairs of different source and target lengths (ids < 9): a padded batch both ways.
inline Seq2SeqBatch mixed_batch() {
    std::vector<std::vector<int>> src = {{4, 5, 6, 3}, {7, 3}, {5, 8, 4, 6, 7, 3}};
    std::vector<std::vector<int>> tgt = {{4, 6, 5}, {7}, {8, 4, 5, 6, 9}};
    return make_seq2seq_batch(src, tgt, {0, 1, 2});
}

// Which hidden units of every feed-forward network (encoder and decoder) are on, at the batch's real
// positions: a perturbation that changes this crossed a ReLU kink, where the finite difference means
// nothing. (Padding rows are left out: they reach no loss, and one unit of theirs sitting on its kink
// would make every perturbation look like a crossing.)
inline std::vector<uint8_t> relu_pattern(const Transformer& m, const TransformerActs& a, const Seq2SeqBatch& b) {
    std::vector<uint8_t> p;
    const int F = m.cfg.F;
    for (int l = 0; l < m.cfg.enc_layers; l++)
        for (int i = 0; i < b.B; i++)
            for (int s = 0; s < b.src_len[i]; s++)
                for (int j = 0; j < F; j++) p.push_back(a.enc_c[l].f1[((size_t)i * b.S + s) * F + j] > 0);
    for (int l = 0; l < m.cfg.dec_layers; l++)
        for (int i = 0; i < b.B; i++)
            for (int t = 0; t < b.dec_len[i]; t++)
                for (int j = 0; j < F; j++) p.push_back(a.dec_c[l].ffn.h[((size_t)i * b.T + t) * F + j] > 0);
    return p;
}

// ---- a small model trained on the synthetic task, shared by the tests that need sensible outputs ----
// (trained once per run, by whichever test asks first: 3000 pairs, C 32, 2 heads, 1+1 layers, dropout
// 0.1, smoothing 0.1, Adam at 5e-3 with 10% warm-up then cosine decay, 10 epochs of batch 32, clip 1)
struct SyntheticModel {
    ch01::Seq2SeqData d;
    Transformer m;
    int epochs = 0;
};
inline constexpr int kSyntheticEpochs = 10;
inline const SyntheticModel& trained_on_synthetic() {
    static SyntheticModel t;
    static const bool trained = [] {
        t.d = seq2seq_testing::small_synthetic(3000, 1);
        TransformerConfig c;
        c.Vs = t.d.src_vocab.size(), c.Vt = t.d.tgt_vocab.size(), c.C = 32, c.NH = 2, c.F = 64;
        c.enc_layers = 1, c.dec_layers = 1, c.dropout = 0.1f, c.smoothing = 0.1f, c.Tmax = 64;
        Rng rng(1);
        transformer_build(t.m, c, rng);
        TransformerActs acts;
        Adam opt = make_transformer_adam(t.m.params, 5e-3f);
        Rng count(0);
        const long steps = (long)ch01::make_batches(t.d, t.d.split.train, 32, count, false).size() * kSyntheticEpochs;
        const LrSchedule sched = make_schedule(ScheduleKind::WarmupCosine, 5e-3f, steps / 10, steps, c.C);
        for (t.epochs = 0; t.epochs < kSyntheticEpochs; t.epochs++)
            train_epoch(t.m, acts, opt, sched, t.d, 32, 1.0f, rng);
        return true;
    }();
    (void)trained;
    return t;
}

}  // namespace ch07_testing
