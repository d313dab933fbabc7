// Chapter 03's tests: the score functions alone (hand-computed cases, padding, gradient checks of each
// score's forward/backward with its keys), the context and the attentional layer; the whole Luong model's
// gradient for every score with and without input feeding; the decoder (its step against teacher
// forcing, greedy = beam 1, batch = one by one, reorder by parent); a short training run; determinism
// on 1, 2 and 3 threads; checkpoints.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/translation_checkpoint.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"
#include "chapters/02_additive_attention/bahdanau_seq2seq.hpp"
#include "chapters/03_multiplicative_attention/luong_attention.hpp"
#include "chapters/03_multiplicative_attention/luong_decoder.hpp"
#include "chapters/03_multiplicative_attention/luong_seq2seq.hpp"
#include "chapters/03_multiplicative_attention/train.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/gradcheck.hpp"
#include "tests/seq2seq_testing.hpp"

using namespace attn;
using namespace ch03;
using seq2seq_testing::greedy_val_bleu;
using seq2seq_testing::small_synthetic;
using seq2seq_testing::train_for;

static const LuongScore kScores[] = {LuongScore::dot, LuongScore::general, LuongScore::concat, LuongScore::scaled_dot};

TEST_CASE("ch03 scores: hand-computed dot, scaled-dot and general; padding is -inf") {
    // h = (1, 2); h̄_0 = (3, 0), h̄_1 = (1, 1), h̄_2 padding
    float h[2] = {1, 2}, hbar[6] = {3, 0, 1, 1, 9, 9}, keys[6], e[3];
    int len[1] = {2};
    luong_keys_forward(keys, hbar, nullptr, LuongScore::dot, 1, 3, 2, 1);
    dot_score_forward(e, h, keys, len, 1.0f, 1, 3, 2);
    CHECK(e[0] == doctest::Approx(3.0));
    CHECK(e[1] == doctest::Approx(3.0));
    CHECK(std::isinf(e[2]));
    CHECK(e[2] < 0);
    dot_score_forward(e, h, keys, len, 1.0f / std::sqrt(2.0f), 1, 3, 2);
    CHECK(e[0] == doctest::Approx(3.0 / std::sqrt(2.0)));
    // general with W_a = [[0, 1], [2, 0]]: W_a h̄_0 = (0, 6) -> e_0 = 12;  W_a h̄_1 = (1, 2) -> e_1 = 5
    float Wa[4] = {0, 1, 2, 0};
    luong_keys_forward(keys, hbar, Wa, LuongScore::general, 1, 3, 2, 1);
    dot_score_forward(e, h, keys, len, 1.0f, 1, 3, 2);
    CHECK(e[0] == doctest::Approx(12.0));
    CHECK(e[1] == doctest::Approx(5.0));
    // concat with A = 1: W_q = (1, 0), U_a = (0, 1), v = 2 -> e_s = 2 tanh(h_0 + h̄_s[1])
    float Wq[2] = {1, 0}, Ua[2] = {0, 1}, v[1] = {2}, th[3], q[1];
    luong_keys_forward(keys, hbar, Ua, LuongScore::concat, 1, 3, 2, 1);
    concat_score_forward(e, th, q, h, keys, Wq, v, len, 1, 3, 2, 1);
    CHECK(e[0] == doctest::Approx(2 * std::tanh(1.0)));
    CHECK(e[1] == doctest::Approx(2 * std::tanh(2.0)));
    CHECK(std::isinf(e[2]));
    CHECK(parse_luong_score("scaled-dot") == LuongScore::scaled_dot);
    CHECK_THROWS_AS(parse_luong_score("cosine"), attn::Error);
}

TEST_CASE("ch03 dot scores: sources without padding fill their rows and write nothing past them") {
    // B = 2 sources of the full S = 2 positions, H = 2; h_b · k_bs by hand. e and keys have one more
    // row than (B,S): a loop that ran one position too far would change e's sentinel.
    float h[4] = {1, 2, 3, 1}, keys[12] = {1, 0, 0, 1, 2, 2, 1, -1, 7, 7, 7, 7}, e[6];
    int len[2] = {2, 2};
    std::fill(e, e + 6, 42.0f);
    dot_score_forward(e, h, keys, len, 0.5f, 2, 2, 2);
    CHECK(e[0] == 0.5f);  // 0.5 · (1, 2)·(1, 0)
    CHECK(e[1] == 1.0f);  // 0.5 · (1, 2)·(0, 1)
    CHECK(e[2] == 4.0f);  // 0.5 · (3, 1)·(2, 2)
    CHECK(e[3] == 1.0f);  // 0.5 · (3, 1)·(1, −1)
    CHECK(e[4] == 42.0f);
    CHECK(e[5] == 42.0f);
}

// Every score with its keys: L = Σ R ⊙ e over the valid positions, checked for h, h̄ and the parameters.
TEST_CASE("ch03 scores: gradient check of each score function (keys included), padding gets 0") {
    const int B = 3, S = 5, H = 4, A = 3;
    std::vector<int> len = {5, 2, 3};
    for (LuongScore sc : kScores) {
        INFO("score " << luong_score_name(sc));
        Rng rng(11 + (int)sc);
        const int K = luong_key_size(sc, H, A);
        Buf h = testing::random_buf(B * H, rng), hbar = testing::random_buf(B * S * H, rng);
        Buf Wk = testing::random_buf((size_t)K * H, rng), Wq = testing::random_buf(A * H, rng);
        Buf v = testing::random_buf(A, rng, -2, 2), R = testing::random_buf(B * S, rng);
        for (int b = 0; b < B; b++)
            for (int s = len[b]; s < S; s++) R[b * S + s] = 0;  // e = −∞ there: not part of the loss
        Buf keys(B * S * K), e(B * S), th(B * S * A), q(B * A);
        const float scale = sc == LuongScore::scaled_dot ? 0.5f : 1.0f;
        const float* wk = (sc == LuongScore::general || sc == LuongScore::concat) ? Wk.data() : nullptr;
        auto forward = [&] {
            luong_keys_forward(keys.data(), hbar.data(), wk, sc, B, S, H, A);
            if (sc == LuongScore::concat)
                concat_score_forward(e.data(), th.data(), q.data(), h.data(), keys.data(), Wq.data(), v.data(),
                                     len.data(), B, S, H, A);
            else
                dot_score_forward(e.data(), h.data(), keys.data(), len.data(), scale, B, S, H);
            double L = 0;
            for (int b = 0; b < B; b++)
                for (int s = 0; s < len[b]; s++) L += (double)R[b * S + s] * e[b * S + s];
            return L;
        };
        forward();
        Buf dh(B * H, 0), dkeys(B * S * K, 0), dhbar(B * S * H, 0), dWk(K * H, 0), dWq(A * H, 0), dv(A, 0), scr(B * A);
        if (sc == LuongScore::concat)
            concat_score_backward(dh.data(), dkeys.data(), dWq.data(), dv.data(), R.data(), h.data(), th.data(),
                                  Wq.data(), v.data(), len.data(), B, S, H, A, scr.data());
        else
            dot_score_backward(dh.data(), dkeys.data(), R.data(), h.data(), keys.data(), len.data(), scale, B, S, H);
        for (int b = 0; b < B; b++)  // padded keys: exactly zero gradient
            for (int s = len[b]; s < S; s++)
                for (int k = 0; k < K; k++) CHECK(dkeys[(b * S + s) * K + k] == 0.0f);
        luong_keys_backward(dhbar.data(), wk ? dWk.data() : nullptr, dkeys.data(), hbar.data(), wk, sc, B, S, H, A);
        testing::check_gradient("h_t", forward, h.data(), dh.data(), dh.size());
        testing::check_gradient("hbar (through the keys)", forward, hbar.data(), dhbar.data(), dhbar.size());
        if (wk) testing::check_gradient("W_a / U_a", forward, Wk.data(), dWk.data(), dWk.size());
        if (sc == LuongScore::concat) {
            testing::check_gradient("W_q", forward, Wq.data(), dWq.data(), dWq.size());
            testing::check_gradient("v_a", forward, v.data(), dv.data(), dv.size());
        }
    }
}

TEST_CASE("ch03 context and attentional layer: gradient checks") {
    const int B = 3, S = 4, H = 5;
    std::vector<int> len = {4, 1, 3};
    Rng rng(5);
    Buf alpha = testing::random_buf(B * S, rng, 0, 1), values = testing::random_buf(B * S * H, rng);
    Buf h = testing::random_buf(B * H, rng), Wc = testing::random_buf(H * 2 * H, rng, -0.5f, 0.5f);
    Buf R = testing::random_buf(B * H, rng);
    Buf c(B * H), cat(B * 2 * H), htil(B * H);
    auto forward = [&] {
        context_forward(c.data(), alpha.data(), values.data(), len.data(), B, S, H);
        attentional_forward(htil.data(), cat.data(), c.data(), h.data(), Wc.data(), B, H, H);
        return testing::dot_double(htil.data(), R.data(), htil.size());
    };
    forward();
    // hand check of one element: h̃ = tanh(W_c [c ; h]) row 1 (len 1: c = α_0 h̄_0)
    double pre = 0;
    for (int j = 0; j < H; j++) pre += Wc[j] * alpha[1 * S] * values[(1 * S) * H + j] + Wc[H + j] * h[1 * H + j];
    CHECK(htil[1 * H] == doctest::Approx(std::tanh(pre)).epsilon(1e-5));
    Buf dc(B * H, 0), dh(B * H, 0), dWc(H * 2 * H, 0), dalpha(B * S, 0), dvalues(B * S * H, 0);
    Buf scr(attentional_scratch_size(B, H, H));
    attentional_backward(dc.data(), dh.data(), dWc.data(), R.data(), htil.data(), cat.data(), Wc.data(), B, H, H,
                         scr.data());
    context_backward(dalpha.data(), dvalues.data(), dc.data(), alpha.data(), values.data(), len.data(), B, S, H);
    testing::check_gradient("h", forward, h.data(), dh.data(), dh.size());
    testing::check_gradient("W_c", forward, Wc.data(), dWc.data(), dWc.size());
    GradCheckOptions zero_ok;
    zero_ok.allow_zero = true;  // padded alphas/values have no influence: their analytic gradient is 0
    testing::check_gradient("alpha", forward, alpha.data(), dalpha.data(), dalpha.size(), zero_ok);
    testing::check_gradient("values", forward, values.data(), dvalues.data(), dvalues.size(), zero_ok);
    CHECK(dalpha[1 * S + 1] == 0.0f);
    CHECK(dalpha[0] != 0.0f);
}

// ---- the whole model ----------------------------------------------------------------------------
static Seq2SeqBatch tiny_batch() {
    std::vector<std::vector<int>> src = {{4, 5, 6, 3}, {7, 3}, {5, 8, 4, 6, 7, 3}};
    std::vector<std::vector<int>> tgt = {{4, 6, 5}, {7}, {8, 4, 5, 6}};
    return make_seq2seq_batch(src, tgt, {0, 1, 2});
}

TEST_CASE("ch03 model: gradient check of the whole Luong model, every score, with and without input feeding") {
    set_threads(1);
    for (LuongScore sc : kScores)
        for (bool feed : {true, false}) {
            INFO("score " << luong_score_name(sc) << ", input feeding " << feed);
            Rng rng(7);
            Luong m;
            LuongConfig cfg{.Vs = 9, .Vt = 9, .E = 4, .H = 6, .A = 3, .score = sc, .feed = feed};
            luong_build(m, cfg, rng);
            LuongActs a;
            Seq2SeqBatch b = tiny_batch();
            luong_reserve(a, cfg, b.B, b.S, b.T);
            luong_forward(m, a, b);
            m.params.zero_grad();
            luong_backward(m, a, b);
            Buf analytic = m.params.grad;
            auto loss = [&] { return (double)luong_forward(m, a, b); };
            // tighter than the defaults: the input-feeding path carries small gradients in a tiny random model,
            // and dropping it must fail this test (it does at these tolerances, not at the defaults)
            GradCheckOptions o;
            o.atol = 2e-4, o.rtol = 1e-2;
            for (const auto& e : m.params.entries())
                testing::check_gradient(e.name, loss, m.params.data(e), analytic.data() + e.offset, e.size, o);
        }
    set_threads(0);
}

TEST_CASE("ch03 model: input feeding changes the decoder input size; odd H is refused") {
    Rng rng(1);
    Luong on, off;
    luong_build(on, {.Vs = 9, .Vt = 9, .E = 4, .H = 6, .A = 3}, rng);
    luong_build(off, {.Vs = 9, .Vt = 9, .E = 4, .H = 6, .A = 3, .feed = false}, rng);
    CHECK(on.dec.W_ih.shape[1] == 10);
    CHECK(off.dec.W_ih.shape[1] == 4);
    Luong bad;
    CHECK_THROWS_AS(luong_build(bad, {.Vs = 9, .Vt = 9, .E = 4, .H = 5}, rng), attn::Error);
}


// ---- the decoder ----------------------------------------------------------------------------------
// The encoder outputs of the source sentences of b, as luong_translate makes them.
static void encode_sources(LuongMemory& mem, const Luong& m, const Seq2SeqBatch& b) {
    TokenBatch tb;
    tb.B = b.B, tb.T = b.S, tb.ids = b.src, tb.lengths = b.src_len;
    luong_encode_sentences(mem, m, tb);
}

TEST_CASE("ch03 decoding: the decoder step reproduces teacher forcing (every score, feeding on/off); greedy = "
          "beam 1; batch = one by one") {
    Seq2SeqData d = small_synthetic(200, 3);
    for (LuongScore sc : kScores)
        for (bool feed : {true, false}) {
            INFO("score " << luong_score_name(sc) << ", input feeding " << feed);
            Rng rng(5);
            Luong m;
            LuongConfig cfg{.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = 8, .H = 8, .A = 6, .score = sc, .feed = feed};
            luong_build(m, cfg, rng);
            // teacher-forced per-token log-probs == the decoder's, fed the same tokens
            std::vector<int> one = {d.split.train[0]};
            Seq2SeqBatch b = make_seq2seq_batch(d.src_ids, d.tgt_ids, one);
            LuongActs a;
            luong_reserve(a, cfg, 1, b.S, b.T);
            luong_forward(m, a, b);
            LuongMemory mem;
            encode_sources(mem, m, b);
            LuongDecoder dec(m, mem, 1);
            int zero = 0;
            dec.start(&zero, 1);
            const int V = cfg.Vt;
            Buf lp(V);
            for (int t = 0; t < b.T; t++) {
                dec.step(lp.data(), &b.dec_in[t], 1);
                const int y = b.dec_out[t];
                CHECK(lp[y] == doctest::Approx(std::log(a.probs[(size_t)t * V + y])).epsilon(1e-4));
            }
            CHECK(dec.t == b.T);
            std::vector<std::string> srcs;
            for (int i = 0; i < 5; i++) srcs.push_back(d.pairs.pairs[d.split.test[i]].src);
            auto greedy = luong_translate(m, d.src_vocab, srcs, 1, 0.0f);
            auto beam = luong_translate(m, d.src_vocab, srcs, 3, 0.0f);
            Alignments att;
            auto single = luong_translate(m, d.src_vocab, srcs, 1, 0.0f, &att);
            REQUIRE(att.size() == srcs.size());
            CHECK(beam.size() == srcs.size());
            LuongMemory all;
            luong_encode_sentences(all, m, source_batch(d.src_vocab, srcs));
            LuongDecoder one_row(m, all, 1);
            for (size_t i = 0; i < srcs.size(); i++) {
                // batched greedy = one sentence at a time (the batch may run longer: its max_len is the batch's)
                REQUIRE(single[i].tokens.size() <= greedy[i].tokens.size());
                CHECK(std::equal(single[i].tokens.begin(), single[i].tokens.end(), greedy[i].tokens.begin()));
                // beam search with k = 1 is greedy search
                const int k = (int)i;
                one_row.start(&k, 1);
                auto b1 = beam_search(one_row, V, 1, max_output_len(all.len[i]), 0.0f);
                CHECK(b1.front().tokens == single[i].tokens);
                CHECK(att[i].size() == single[i].tokens.size());
                double s = 0;
                for (float w : att[i][0]) s += w;
                CHECK(s == doctest::Approx(1.0).epsilon(1e-5));
                CHECK((int)att[i][0].size() == count_tokens(srcs[i]) + 1);  // + <eos>
            }
        }
}

// Beam search's reorder: after rows are copied from their parents, each row continues exactly as a
// decoder that was fed that row's prefix alone (h, the input-feeding h̃, keys and values moved together).
TEST_CASE("ch03 decoding: reorder by parent equals decoding each prefix alone (concat, input feeding)") {
    Seq2SeqData d = small_synthetic(200, 3);
    Rng rng(6);
    Luong m;
    LuongConfig cfg{.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = 6, .H = 8, .A = 5,
                    .score = LuongScore::concat};
    luong_build(m, cfg, rng);
    std::vector<std::string> srcs = {d.pairs.pairs[d.split.test[0]].src, d.pairs.pairs[d.split.test[1]].src};
    LuongMemory mem;
    luong_encode_sentences(mem, m, source_batch(d.src_vocab, srcs));
    seq2seq_testing::check_reorder_equals_alone([&](int n) { return LuongDecoder(m, mem, n); }, cfg.Vt);
}

// ---- training -------------------------------------------------------------------------------------
// train.hpp's epochs at lr with clipping at 1, shuffles from rng; the validation loss before and after.
static seq2seq_testing::ValLoss train_luong(Luong& m, const Seq2SeqData& d, int epochs, int batch, float lr, Rng& rng) {
    LuongActs a;
    luong_reserve(a, m.cfg, batch, longest_source(d), longest_target(d));
    Adam opt = make_adam(m.params, lr);
    auto loss = [&](const Seq2SeqBatch& b) { return luong_forward(m, a, b); };
    return train_for(d, epochs, batch, loss, [&] { train_epoch(m, a, opt, d, batch, 1.0f, rng); });
}

TEST_CASE("ch03 training: the synthetic task is learned in seconds (general score, input feeding)") {
    set_threads(2);
    Seq2SeqData d = small_synthetic(1200, 1, 10);
    Rng rng(1);
    Luong m;
    LuongConfig cfg{.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = 32, .H = 48, .A = 32};
    luong_build(m, cfg, rng);
    auto [first, val] = train_luong(m, d, 8, 32, 1e-2f, rng);
    MESSAGE("val loss " << first << " -> " << val);
    CHECK(first > 4.0);
    CHECK(val < 1.2);  // stated threshold: val cross-entropy per token below 1.2 nats (measured 0.97)
    auto translate = [&](const std::vector<std::string>& s, int k) { return luong_translate(m, d.src_vocab, s, k, 0.0f); };
    double bleu = greedy_val_bleu(d, translate);
    MESSAGE("val BLEU greedy " << bleu);
    CHECK(bleu > 30.0);  // stated threshold: greedy BLEU above 30 (measured 43.9)
    set_threads(0);
}

static Buf train_steps(int threads, LuongScore sc) {
    set_threads(threads);
    Seq2SeqData d = small_synthetic(300, 2);
    Rng rng(9);
    Luong m;
    LuongConfig cfg{.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = 16, .H = 24, .A = 16, .score = sc};
    luong_build(m, cfg, rng);
    train_luong(m, d, 2, 16, 3e-3f, rng);
    return m.params.value;
}

TEST_CASE("ch03 determinism: bit-identical weights on 1, 2 and 3 threads (general and concat)") {
    for (LuongScore sc : {LuongScore::general, LuongScore::concat}) {
        INFO("score " << luong_score_name(sc));
        Buf w1 = train_steps(1, sc), w2 = train_steps(2, sc), w3 = train_steps(3, sc);
        REQUIRE(w1.size() == w2.size());
        REQUIRE(w1.size() == w3.size());
        CHECK(std::memcmp(w1.data(), w2.data(), w1.size() * sizeof(float)) == 0);
        CHECK(std::memcmp(w1.data(), w3.data(), w1.size() * sizeof(float)) == 0);
    }
    set_threads(0);
}

// ---- checkpoints ----------------------------------------------------------------------------------
TEST_CASE("ch03 checkpoint: save -> load restores the score, input feeding and weights; other chapters refused") {
    Seq2SeqData d = small_synthetic(200, 3);
    Rng rng(4);
    Luong m;
    LuongConfig cfg{.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = 8, .H = 8, .A = 5,
                    .score = LuongScore::concat, .feed = false};
    luong_build(m, cfg, rng);
    Adam opt = make_adam(m.params, 1e-3f);
    auto path = (std::filesystem::temp_directory_path() / "attn_ch03_test.ckpt").string();
    save_translation_checkpoint(path, kLuongKind, luong_config_text(m.cfg), m.params, opt, rng, d, 2);
    TranslationCheckpoint ck = load_translation_checkpoint(path, "luong");
    CHECK(ck.epochs == 2);
    Luong m2;
    luong_build(m2, luong_parse_config(ck.config, path), rng);
    ck.ck.restore_params(m2.params);
    CHECK(m2.cfg.score == LuongScore::concat);
    CHECK(m2.cfg.feed == false);
    CHECK(m2.cfg.A == 5);
    CHECK(std::memcmp(m2.params.value.data(), m.params.value.data(), m.params.value.size() * 4) == 0);
    // the same translations from the reloaded model
    std::vector<std::string> srcs = {d.pairs.pairs[d.split.test[0]].src, d.pairs.pairs[d.split.test[1]].src};
    auto t1 = luong_translate(m, d.src_vocab, srcs, 1, 0.0f), t2 = luong_translate(m2, ck.src_vocab, srcs, 1, 0.0f);
    for (size_t i = 0; i < srcs.size(); i++) CHECK(t1[i].tokens == t2[i].tokens);
    CHECK_THROWS_AS(load_translation_checkpoint(path, "bahdanau"), attn::Error);
    CHECK_THROWS_AS(luong_parse_config("9 9 4 6 3 cosine 1", path), attn::Error);
    CHECK_THROWS_AS(luong_parse_config("9 9 4", path), attn::Error);
    // a chapter 02 checkpoint is refused here
    ch02::Bahdanau bm;
    ch02::bahdanau_build(bm, {.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = 4, .H = 4, .A = 4}, rng);
    Adam bopt = make_adam(bm.params, 1e-3f);
    save_translation_checkpoint(path, ch02::kBahdanauKind, ch02::bahdanau_config_text(bm.cfg), bm.params, bopt, rng, d, 1);
    CHECK_THROWS_AS(load_translation_checkpoint(path, "luong"), attn::Error);
    std::remove(path.c_str());
}
