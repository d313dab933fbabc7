// Chapter 07's whole model with teacher forcing: the gradient of every parameter (tied and untied
// output, pre- and post-norm, the label-smoothed training loss and the plain evaluation loss), the
// causal mask (a later target token changes nothing before it), and padding (a sentence in a padded
// batch is computed as alone).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "chapters/07_transformer/transformer.hpp"
#include "tests/07_transformer/tiny_transformer.hpp"
#include "tests/gradcheck.hpp"

using namespace attn;
using namespace attn::testing;
using namespace ch07;
using namespace ch07_testing;

TEST_CASE("transformer: gradient of every parameter (tied/untied, pre/post-norm, smoothed training loss and eval loss)") {
    struct Variant {
        NormPlace norm;
        bool tie, training;
    };
    // training=true with dropout 0: the loss is the label-smoothed one (ε = 0.1) and nothing is dropped
    for (Variant v : {Variant{NormPlace::Pre, true, true}, Variant{NormPlace::Post, true, true},
                      Variant{NormPlace::Pre, false, true}, Variant{NormPlace::Post, false, true},
                      Variant{NormPlace::Pre, true, false}, Variant{NormPlace::Post, false, false}}) {
        std::string what = v.norm == NormPlace::Pre ? "pre-norm" : "post-norm";  // (doctest's INFO prints a char* as a pointer)
        what += v.tie ? ", tied" : ", untied";
        what += v.training ? ", training loss" : ", eval loss";
        INFO(what);
        Transformer m;
        build(m, tiny_config(v.norm, v.tie, 0.0f), 17);
        const Seq2SeqBatch b = mixed_batch();
        TransformerActs a;
        Rng rng(0);
        std::vector<uint8_t> active;
        auto loss = [&]() -> double {
            const double L = transformer_forward(m, a, b, rng, v.training);
            return relu_pattern(m, a, b) == active ? L : NAN;  // crossed a ReLU kink: skip
        };
        transformer_forward(m, a, b, rng, v.training);
        active = relu_pattern(m, a, b);
        m.params.zero_grad();
        transformer_backward(m, a, b);
        const Buf grads = m.params.grad;
        for (const auto& e : m.params.entries()) {
            GradCheckOptions opt;
            opt.max_checks = 40;
            opt.atol = 1e-4;  // the loss is a mean over 12 tokens: its gradients are small
            opt.allow_zero = e.name.find("b_k") != std::string::npos;  // a shift the softmax ignores
            check_gradient(e.name, loss, m.params.data(e), grads.data() + e.offset, e.size, opt);
        }
    }
}

TEST_CASE("transformer: with dropout in training, the gradient is that of the same masks (embeddings and branches)") {
    for (NormPlace norm : {NormPlace::Pre, NormPlace::Post}) {
        INFO(std::string(norm == NormPlace::Pre ? "pre-norm" : "post-norm"));
        Transformer m;
        build(m, tiny_config(norm, norm == NormPlace::Pre, 0.2f), 23);
        const Seq2SeqBatch b = mixed_batch();
        TransformerActs a;
        Rng drop(31);
        uint64_t s0[4];
        std::copy(drop.s, drop.s + 4, s0);
        std::vector<uint8_t> active;
        auto loss = [&]() -> double {
            std::copy(s0, s0 + 4, drop.s);  // the same dropout masks at every evaluation
            const double L = transformer_forward(m, a, b, drop, true);
            return relu_pattern(m, a, b) == active ? L : NAN;
        };
        loss();
        active = relu_pattern(m, a, b);
        int dropped_src = 0, dropped_tgt = 0;
        for (int i = 0; i < b.B * b.S * m.cfg.C; i++) dropped_src += a.src_keep[i] == 0;
        for (int i = 0; i < b.B * b.T * m.cfg.C; i++) dropped_tgt += a.tgt_keep[i] == 0;
        CHECK(dropped_src > 0);
        CHECK(dropped_tgt > 0);
        m.params.zero_grad();
        transformer_backward(m, a, b);
        const Buf grads = m.params.grad;
        for (const char* name : {"src_emb", "tgt_emb", "enc0.attn.W_v", "enc0.ffn.W1", "dec0.self_attn.W_q",
                                 "dec1.cross_attn.W_v", "dec1.ffn.W2", "out.bias"}) {
            const auto* e = m.params.find(name);
            REQUIRE(e);
            GradCheckOptions opt;
            opt.max_checks = 30;
            opt.atol = 1e-4;
            check_gradient(std::string(name) + " (dropout on)", loss, m.params.data(*e), grads.data() + e->offset,
                           e->size, opt);
        }
    }
}

TEST_CASE("transformer: the causal mask — a later target token leaves every earlier position's logits bit-identical") {
    Transformer m;
    build(m, tiny_config(NormPlace::Pre, true, 0.1f), 5);
    const Seq2SeqBatch b = mixed_batch();  // sentence 2 fills all T = 6 target positions
    const int T = b.T, V = m.cfg.Vt, row = 2;
    TransformerActs a;
    Rng rng(0);
    // every row's logits: transformer_forward keeps only the rows with a target, transformer_decode all
    auto all_logits = [&](const Seq2SeqBatch& x) {
        transformer_forward(m, a, x, rng, false);
        transformer_decode(m, a, x.dec_in.data(), x.src_len.data(), x.B, x.T, x.S, rng, false);
    };
    all_logits(b);
    const Buf before(a.logits.begin(), a.logits.begin() + (size_t)b.B * T * V);
    for (int j : {1, 3, 5}) {
        INFO("dec_in position " << j << " of sentence " << row << " changed");
        Seq2SeqBatch c = b;
        int& tok = c.dec_in[(size_t)row * T + j];
        tok = tok == 4 ? 5 : 4;
        all_logits(c);
        auto logits = [&](const Buf& L, int r, int t) { return L.data() + ((size_t)r * T + t) * V; };
        for (int t = 0; t < j; t++)
            CHECK(std::memcmp(logits(a.logits, row, t), logits(before, row, t), V * sizeof(float)) == 0);
        CHECK(std::memcmp(logits(a.logits, row, j), logits(before, row, j), V * sizeof(float)) != 0);
        for (int r = 0; r < b.B; r++)  // and the other sentences of the batch are not touched at all
            if (r != row) CHECK(std::memcmp(logits(a.logits, r, 0), logits(before, r, 0), T * V * sizeof(float)) == 0);
    }
}

TEST_CASE("transformer: a sentence in a padded batch gets the logits and loss it gets alone") {
    // sentence 0 is shorter than both neighbours in one way: 1 has a longer source and target, 2 a longer target
    const std::vector<std::vector<int>> src = {{4, 5, 3}, {5, 8, 4, 6, 7, 6, 3}, {7, 3}};
    const std::vector<std::vector<int>> tgt = {{4, 6}, {8, 4, 5, 6, 9, 7}, {5, 5, 5}};
    for (NormPlace norm : {NormPlace::Pre, NormPlace::Post}) {
        INFO(std::string(norm == NormPlace::Pre ? "pre-norm" : "post-norm"));
        Transformer m;
        build(m, tiny_config(norm, norm == NormPlace::Pre, 0.1f), 6);
        const int V = m.cfg.Vt;
        TransformerActs a;
        Rng rng(0);
        const Seq2SeqBatch all = make_seq2seq_batch(src, tgt, {0, 1, 2});
        const double both = transformer_forward(m, a, all, rng, false);
        transformer_decode(m, a, all.dec_in.data(), all.src_len.data(), all.B, all.T, all.S, rng, false);  // every row
        const Buf batched(a.logits.begin(), a.logits.begin() + (size_t)all.B * all.T * V);
        double sum = 0;
        int tokens = 0;
        for (int i = 0; i < 3; i++) {
            const Seq2SeqBatch one = make_seq2seq_batch(src, tgt, {i});
            const double alone = transformer_forward(m, a, one, rng, false);
            transformer_decode(m, a, one.dec_in.data(), one.src_len.data(), 1, one.T, one.S, rng, false);
            const int Ti = (int)tgt[i].size() + 1;  // y_1 .. y_m <eos>
            sum += alone * Ti, tokens += Ti;
            double worst = 0;
            for (int t = 0; t < Ti; t++)
                for (int v = 0; v < V; v++)
                    worst = std::fmax(worst, std::fabs(a.logits[(size_t)t * V + v] -
                                                       batched[((size_t)i * all.T + t) * V + v]));
            INFO("sentence " << i);
            CHECK(worst < 1e-5);
        }
        CHECK(both == doctest::Approx(sum / tokens).epsilon(1e-5));  // the batch's loss: the mean over its 3+7+4 tokens
    }
}
