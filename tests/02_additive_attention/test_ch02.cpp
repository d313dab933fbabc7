// Chapter 02's tests: additive attention alone (hand-computed case, weights sum to 1 over valid
// positions, padding gets zero weight and zero gradient, gradient check of every input), the whole
// Bahdanau model's gradient, decoding consistency, a short training run, determinism, checkpoints.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "chapters/01_seq2seq/gru_seq2seq.hpp"
#include "chapters/01_seq2seq/translation_checkpoint.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"
#include "chapters/02_additive_attention/additive_attention.hpp"
#include "chapters/02_additive_attention/bahdanau_decoder.hpp"
#include "chapters/02_additive_attention/bahdanau_seq2seq.hpp"
#include "chapters/02_additive_attention/train.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/gradcheck.hpp"
#include "tests/seq2seq_testing.hpp"

using namespace attn;
using namespace ch02;
using seq2seq_testing::greedy_val_bleu;
using seq2seq_testing::small_synthetic;
using seq2seq_testing::train_for;

TEST_CASE("ch02 attention: hand-computed case (A = 1, D = 1)") {
    // s = 1, W = 1 -> q = 1; keys 0 and −1 -> tanh(1) and tanh(0) = 0; v = 2 -> e = (2 tanh 1, 0)
    float s[1] = {1}, W[1] = {1}, keys[3] = {0, -1, 5}, values[3] = {3, 7, 100}, v[1] = {2};
    int len[1] = {2};  // position 2 is padding
    float ctx[1], alpha[3], scores[3], q[1], th[3];
    additive_attention_forward(ctx, alpha, scores, q, th, s, W, keys, values, v, len, 1, 3, 1, 1, 1);
    double e0 = 2 * std::tanh(1.0), a0 = std::exp(e0) / (std::exp(e0) + 1.0);
    CHECK(scores[0] == doctest::Approx(e0));
    CHECK(scores[1] == doctest::Approx(0.0));
    CHECK(std::isinf(scores[2]));
    CHECK(alpha[0] == doctest::Approx(a0));
    CHECK(alpha[2] == 0.0f);
    CHECK(ctx[0] == doctest::Approx(3 * a0 + 7 * (1 - a0)));
}

struct AttnProblem {
    int B = 3, S = 5, A = 4, D = 6, Hd = 3;
    std::vector<int> len = {5, 2, 3};
    Buf s, W, keys, values, v, R;
};

static AttnProblem attn_problem(Rng& rng) {
    AttnProblem p;
    p.s = testing::random_buf((size_t)p.B * p.Hd, rng);
    p.W = testing::random_buf((size_t)p.A * p.Hd, rng);
    p.keys = testing::random_buf((size_t)p.B * p.S * p.A, rng);
    p.values = testing::random_buf((size_t)p.B * p.S * p.D, rng);
    p.v = testing::random_buf((size_t)p.A, rng, -2, 2);
    p.R = testing::random_buf((size_t)p.B * p.D, rng);
    return p;
}

TEST_CASE("ch02 attention: weights sum to 1 over valid positions, exactly 0 on padding") {
    Rng rng(1);
    AttnProblem p = attn_problem(rng);
    Buf ctx(p.B * p.D), alpha(p.B * p.S), scores(p.B * p.S), q(p.B * p.A), th(p.B * p.S * p.A);
    additive_attention_forward(ctx.data(), alpha.data(), scores.data(), q.data(), th.data(), p.s.data(), p.W.data(),
                               p.keys.data(), p.values.data(), p.v.data(), p.len.data(), p.B, p.S, p.A, p.D, p.Hd);
    for (int b = 0; b < p.B; b++) {
        double sum = 0;
        for (int i = 0; i < p.S; i++) {
            if (i < p.len[b]) {
                CHECK(alpha[b * p.S + i] > 0.0f);
                sum += alpha[b * p.S + i];
            } else {
                CHECK(alpha[b * p.S + i] == 0.0f);
            }
        }
        CHECK(sum == doctest::Approx(1.0).epsilon(1e-6));
    }
    // changing a padded key or value changes nothing
    Buf ctx2 = ctx;
    p.keys[(1 * p.S + 3) * p.A] += 10, p.values[(1 * p.S + 4) * p.D] += 10;
    additive_attention_forward(ctx2.data(), alpha.data(), scores.data(), q.data(), th.data(), p.s.data(), p.W.data(),
                               p.keys.data(), p.values.data(), p.v.data(), p.len.data(), p.B, p.S, p.A, p.D, p.Hd);
    CHECK(std::memcmp(ctx.data(), ctx2.data(), ctx.size() * 4) == 0);
}

TEST_CASE("ch02 attention: gradient check of s, W, keys, values, v, and U through the keys; padding gets 0") {
    Rng rng(2);
    AttnProblem p = attn_problem(rng);
    const int B = p.B, S = p.S, A = p.A, D = p.D, Hd = p.Hd;
    // keys = U h (the keys' own pair), h = values: the whole attention as the model uses it
    Buf U = testing::random_buf((size_t)A * D, rng);
    Buf ctx(B * D), alpha(B * S), scores(B * S), q(B * A), th(B * S * A), keys(B * S * A);
    auto forward = [&] {
        additive_keys_forward(keys.data(), p.values.data(), U.data(), B, S, D, A);
        additive_attention_forward(ctx.data(), alpha.data(), scores.data(), q.data(), th.data(), p.s.data(),
                                   p.W.data(), keys.data(), p.values.data(), p.v.data(), p.len.data(), B, S, A, D, Hd);
        return testing::dot_double(ctx.data(), p.R.data(), ctx.size());
    };
    forward();
    Buf ds(B * Hd, 0), dW(A * Hd, 0), dkeys(B * S * A, 0), dvalues(B * S * D, 0), dv(A, 0), dU(A * D, 0);
    // dirty scratch: the backward must clear what it uses; and it must stay inside it (guards of 7 as long
    // as the scratch itself before and after it)
    const size_t n_scratch = additive_attention_scratch_size(B, S, A);
    Buf guarded(3 * n_scratch, 7.0f);
    additive_attention_backward(ds.data(), dW.data(), dkeys.data(), dvalues.data(), dv.data(), p.R.data(),
                                alpha.data(), th.data(), p.s.data(), p.W.data(), p.values.data(), p.v.data(),
                                p.len.data(), B, S, A, D, Hd, guarded.data() + n_scratch);
    size_t touched = 0;
    for (size_t i = 0; i < n_scratch; i++) touched += (guarded[i] != 7.0f) + (guarded[2 * n_scratch + i] != 7.0f);
    CHECK(touched == 0);
    // padded positions: exactly zero gradient to their keys and (from attention) values
    for (int b = 0; b < B; b++)
        for (int i = p.len[b]; i < S; i++) {
            for (int a = 0; a < A; a++) CHECK(dkeys[(b * S + i) * A + a] == 0.0f);
            for (int d = 0; d < D; d++) CHECK(dvalues[(b * S + i) * D + d] == 0.0f);
        }
    Buf dkeys_only = dkeys;
    additive_keys_backward(dvalues.data(), dU.data(), dkeys.data(), p.values.data(), U.data(), B, S, D, A);
    testing::check_gradient("s", forward, p.s.data(), ds.data(), ds.size());
    testing::check_gradient("W", forward, p.W.data(), dW.data(), dW.size());
    testing::check_gradient("v", forward, p.v.data(), dv.data(), dv.size());
    testing::check_gradient("U", forward, U.data(), dU.data(), dU.size());
    testing::check_gradient("values (= h, through keys too)", forward, p.values.data(), dvalues.data(),
                            dvalues.size());
    // keys alone: perturb keys directly (no U in the loop)
    auto forward_keys = [&] {
        additive_attention_forward(ctx.data(), alpha.data(), scores.data(), q.data(), th.data(), p.s.data(),
                                   p.W.data(), keys.data(), p.values.data(), p.v.data(), p.len.data(), B, S, A, D, Hd);
        return testing::dot_double(ctx.data(), p.R.data(), ctx.size());
    };
    testing::check_gradient("keys", forward_keys, keys.data(), dkeys_only.data(), dkeys_only.size());
    // and a padded value really has zero influence (numeric): its gradient is 0 in dvalues too
    for (int d = 0; d < D; d++) CHECK(dvalues[(1 * S + 4) * D + d] == 0.0f);
}

// ---- the whole model ----------------------------------------------------------------------------
static Seq2SeqBatch tiny_batch() {
    std::vector<std::vector<int>> src = {{4, 5, 6, 3}, {7, 3}, {5, 8, 4, 6, 7, 3}};
    std::vector<std::vector<int>> tgt = {{4, 6, 5}, {7}, {8, 4, 5, 6}};
    return make_seq2seq_batch(src, tgt, {0, 1, 2});
}

TEST_CASE("ch02 model: gradient check of the whole Bahdanau model (mixed lengths)") {
    set_threads(1);
    Rng rng(7);
    Bahdanau m;
    BahdanauConfig cfg;
    cfg.Vs = 9, cfg.Vt = 9, cfg.E = 4, cfg.H = 5, cfg.A = 3;
    bahdanau_build(m, cfg, rng);
    BahdanauActs a;
    Seq2SeqBatch b = tiny_batch();
    bahdanau_reserve(a, cfg, b.B, b.S, b.T);
    bahdanau_forward(m, a, b);
    m.params.zero_grad();
    bahdanau_backward(m, a, b);
    Buf analytic = m.params.grad;
    auto loss = [&] { return (double)bahdanau_forward(m, a, b); };
    for (const auto& e : m.params.entries())
        testing::check_gradient(e.name, loss, m.params.data(e), analytic.data() + e.offset, e.size);
    set_threads(0);
}

TEST_CASE("ch02 model: padding is ignored (a padded batch gives each sentence's own loss)") {
    Rng rng(3);
    Bahdanau m;
    BahdanauConfig cfg;
    cfg.Vs = 9, cfg.Vt = 9, cfg.E = 4, cfg.H = 5, cfg.A = 3;
    bahdanau_build(m, cfg, rng);
    std::vector<std::vector<int>> src = {{4, 5, 6, 3}, {7, 3}};
    std::vector<std::vector<int>> tgt = {{4, 6, 5}, {7}};
    BahdanauActs a;
    bahdanau_reserve(a, cfg, 2, 4, 4);
    float both = bahdanau_forward(m, a, make_seq2seq_batch(src, tgt, {0, 1}));
    float l0 = bahdanau_forward(m, a, make_seq2seq_batch(src, tgt, {0}));
    float l1 = bahdanau_forward(m, a, make_seq2seq_batch(src, tgt, {1}));
    CHECK(both == doctest::Approx((4 * l0 + 2 * l1) / 6).epsilon(1e-5));
    // a batch larger than the reserved (2,4,4) is refused, not written past the buffers' ends:
    // a source of 5 tokens (S = 5) by the encoder, a target of 4 words (T = 5) by the whole model
    std::vector<std::vector<int>> long_src = {{4, 5, 6, 7, 3}}, long_tgt = {{4, 6, 5, 7}};
    const Seq2SeqBatch wide_src = make_seq2seq_batch(long_src, tgt, {0});
    CHECK_THROWS_WITH_AS(bahdanau_encode(m, a, wide_src.src.data(), wide_src.src_len.data(), 1, wide_src.S),
                         doctest::Contains("reserved"), attn::Error);
    CHECK_THROWS_WITH_AS(bahdanau_forward(m, a, make_seq2seq_batch(src, long_tgt, {0})), doctest::Contains("reserved"),
                         attn::Error);
}

TEST_CASE("ch02 decoding: the step function reproduces teacher forcing; greedy = beam 1; batch = one by one") {
    Seq2SeqData d = small_synthetic(200, 3);
    Rng rng(5);
    Bahdanau m;
    BahdanauConfig cfg;
    cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size(), cfg.E = 8, cfg.H = 8, cfg.A = 6;
    bahdanau_build(m, cfg, rng);
    // teacher-forced loss of one sentence == −mean log p of the decoder fed the same tokens
    std::vector<int> one = {d.split.train[0]};
    Seq2SeqBatch b = make_seq2seq_batch(d.src_ids, d.tgt_ids, one);
    BahdanauActs a;
    bahdanau_reserve(a, cfg, 1, b.S, b.T);
    float loss = bahdanau_forward(m, a, b);
    BahdanauMemory mem;
    TokenBatch tb;
    tb.B = 1, tb.T = b.S, tb.ids = b.src, tb.lengths = b.src_len;
    bahdanau_encode_sentences(mem, m, tb);
    BahdanauDecoder dec(m, mem, 1);
    int zero = 0;
    dec.start(&zero, 1);
    Buf lp(cfg.Vt);
    double sum = 0;
    for (int t = 0; t < b.T; t++) {
        dec.step(lp.data(), &b.dec_in[t], 1);
        sum -= lp[b.dec_out[t]];
    }
    CHECK(loss == doctest::Approx(sum / b.T).epsilon(1e-4));
    std::vector<std::string> srcs;
    for (int i = 0; i < 6; i++) srcs.push_back(d.pairs.pairs[d.split.test[i]].src);
    auto greedy = bahdanau_translate(m, d.src_vocab, srcs, 1, 0.0f);
    auto beam1 = bahdanau_translate(m, d.src_vocab, srcs, 2, 0.0f);  // runs beam search; just must not crash
    std::vector<std::vector<std::vector<float>>> att;
    auto single = bahdanau_translate(m, d.src_vocab, srcs, 1, 0.0f, &att);
    REQUIRE(att.size() == srcs.size());
    for (size_t i = 0; i < srcs.size(); i++) {
        // batched greedy = one sentence at a time (the batch may run longer: its max_len is the batch's)
        REQUIRE(single[i].tokens.size() <= greedy[i].tokens.size());
        CHECK(std::equal(single[i].tokens.begin(), single[i].tokens.end(), greedy[i].tokens.begin()));
        CHECK(att[i].size() == single[i].tokens.size());
        double s = 0;
        for (float w : att[i][0]) s += w;
        CHECK(s == doctest::Approx(1.0).epsilon(1e-5));
        CHECK((int)att[i][0].size() == count_tokens(srcs[i]) + 1);  // + <eos>
    }
    CHECK(beam1.size() == srcs.size());
}

// train.hpp's epochs at lr with clipping at 1, shuffles from rng; the validation loss before and after.
static seq2seq_testing::ValLoss train_bahdanau(Bahdanau& m, const Seq2SeqData& d, int epochs, int batch, float lr,
                                               Rng& rng) {
    BahdanauActs a;
    bahdanau_reserve(a, m.cfg, batch, longest_source(d), longest_target(d));
    Adam opt = make_adam(m.params, lr);
    auto loss = [&](const Seq2SeqBatch& b) { return bahdanau_forward(m, a, b); };
    return train_for(d, epochs, batch, loss, [&] { train_epoch(m, a, opt, d, batch, 1.0f, rng); });
}

TEST_CASE("ch02 training: the synthetic task is learned in seconds") {
    set_threads(2);
    Seq2SeqData d = small_synthetic(1200, 1, 10);
    Rng rng(1);
    Bahdanau m;
    BahdanauConfig cfg;
    cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size(), cfg.E = 32, cfg.H = 48, cfg.A = 32;
    bahdanau_build(m, cfg, rng);
    auto [first, val] = train_bahdanau(m, d, 8, 32, 1e-2f, rng);
    MESSAGE("val loss " << first << " -> " << val);
    CHECK(first > 4.0);
    CHECK(val < 1.0);  // stated threshold: val cross-entropy per token below 1.0 nats
    auto translate = [&](const std::vector<std::string>& s, int k) { return bahdanau_translate(m, d.src_vocab, s, k, 0.0f); };
    double bleu = greedy_val_bleu(d, translate);
    MESSAGE("val BLEU greedy " << bleu);
    CHECK(bleu > 30.0);  // stated threshold: greedy BLEU above 30
    set_threads(0);
}

static Buf train_steps(int threads) {
    set_threads(threads);
    Seq2SeqData d = small_synthetic(300, 2);
    Rng rng(9);
    Bahdanau m;
    BahdanauConfig cfg;
    cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size(), cfg.E = 16, cfg.H = 24, cfg.A = 16;
    bahdanau_build(m, cfg, rng);
    train_bahdanau(m, d, 2, 16, 3e-3f, rng);
    return m.params.value;
}

TEST_CASE("ch02 determinism: bit-identical weights on 1 and 2 threads") {
    Buf w1 = train_steps(1), w2 = train_steps(2);
    set_threads(0);
    REQUIRE(w1.size() == w2.size());
    CHECK(std::memcmp(w1.data(), w2.data(), w1.size() * sizeof(float)) == 0);
}

TEST_CASE("ch02 checkpoint: save -> load gives the same weights; a chapter 01 checkpoint is refused") {
    Seq2SeqData d = small_synthetic(200, 3);
    Rng rng(4);
    Bahdanau m;
    BahdanauConfig cfg;
    cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size(), cfg.E = 8, cfg.H = 8, cfg.A = 5;
    bahdanau_build(m, cfg, rng);
    Adam opt = make_adam(m.params, 1e-3f);
    auto path = (std::filesystem::temp_directory_path() / "attn_ch02_test.ckpt").string();
    save_translation_checkpoint(path, kBahdanauKind, bahdanau_config_text(m.cfg), m.params, opt, rng, d, 2);
    TranslationCheckpoint ck = load_translation_checkpoint(path, "bahdanau");
    CHECK(ck.epochs == 2);
    Bahdanau m2;
    bahdanau_build(m2, bahdanau_parse_config(ck.config, path), rng);
    ck.ck.restore_params(m2.params);
    CHECK(m2.cfg.A == 5);
    CHECK(std::memcmp(m2.params.value.data(), m.params.value.data(), m.params.value.size() * 4) == 0);
    GRUSeq2Seq g;
    GRUSeq2SeqConfig gc;
    gc.Vs = d.src_vocab.size(), gc.Vt = d.tgt_vocab.size(), gc.E = 4, gc.H = 4;
    gru_seq2seq_build(g, gc, rng);
    Adam gopt = make_adam(g.params, 1e-3f);
    save_translation_checkpoint(path, kGRUSeq2SeqKind, gru_seq2seq_config_text(gc), g.params, gopt, rng, d, 1);
    CHECK_THROWS_AS(load_translation_checkpoint(path, "bahdanau"), attn::Error);
    std::remove(path.c_str());
}

// Beam search's reorder: after rows are copied from their parents, each row continues exactly as a
// decoder that was fed that row's prefix alone (the per-row state, keys and values moved together).
TEST_CASE("ch02 decoding: reorder by parent equals decoding each prefix alone") {
    Seq2SeqData d = small_synthetic(200, 3);
    Rng rng(6);
    Bahdanau m;
    BahdanauConfig cfg{.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = 6, .H = 7, .A = 5};
    bahdanau_build(m, cfg, rng);
    std::vector<std::string> srcs = {d.pairs.pairs[d.split.test[0]].src, d.pairs.pairs[d.split.test[1]].src};
    BahdanauMemory mem;
    bahdanau_encode_sentences(mem, m, source_batch(d.src_vocab, srcs));
    seq2seq_testing::check_reorder_equals_alone([&](int n) { return BahdanauDecoder(m, mem, n); }, cfg.Vt);
}
