// Chapter 01's tests: the whole model's gradient, greedy vs beam search, batching, a short
// training run on the synthetic task, determinism on 1 and 2 threads, checkpoints, --eval-file input.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <filesystem>
#include <fstream>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/gru_seq2seq.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/01_seq2seq/train.hpp"
#include "chapters/01_seq2seq/translation_checkpoint.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/gradcheck.hpp"
#include "tests/seq2seq_testing.hpp"

using namespace attn;
using namespace ch01;
using seq2seq_testing::greedy_val_bleu;
using seq2seq_testing::small_synthetic;
using seq2seq_testing::train_for;

// Three sentences of different lengths over small vocabularies (ids ≥ 4: 0..3 are the specials).
static Seq2SeqBatch tiny_batch() {
    std::vector<std::vector<int>> src = {{4, 5, 6, 3}, {7, 3}, {5, 8, 4, 6, 7, 3}};
    std::vector<std::vector<int>> tgt = {{4, 6, 5}, {7}, {8, 4, 5, 6}};
    return make_seq2seq_batch(src, tgt, {0, 1, 2});
}

TEST_CASE("ch01 batch: teacher-forcing layout, lengths, padding") {
    Seq2SeqBatch b = tiny_batch();
    CHECK(b.B == 3);
    CHECK(b.S == 6);
    CHECK(b.T == 5);
    CHECK(b.src_len == std::vector<int>{4, 2, 6});
    CHECK(b.dec_len == std::vector<int>{4, 2, 5});
    // row 0: dec_in = <bos> 4 6 5 <pad>, dec_out = 4 6 5 <eos> <pad>
    CHECK(std::vector<int>(b.dec_in.begin(), b.dec_in.begin() + 5) == std::vector<int>{2, 4, 6, 5, 0});
    CHECK(std::vector<int>(b.dec_out.begin(), b.dec_out.begin() + 5) == std::vector<int>{4, 6, 5, 3, 0});
    CHECK(b.src_mask[1 * 6 + 1] == 1);
    CHECK(b.src_mask[1 * 6 + 2] == 0);
}

static void check_model_gradient(bool reverse) {
    Rng rng(7);
    GRUSeq2Seq m;
    GRUSeq2SeqConfig cfg;
    cfg.Vs = 9, cfg.Vt = 9, cfg.E = 4, cfg.H = 5, cfg.reverse_source = reverse;
    gru_seq2seq_build(m, cfg, rng);
    GRUSeq2SeqActs a;
    Seq2SeqBatch b = tiny_batch();
    gru_seq2seq_reserve(a, cfg, b.B, b.S, b.T);
    gru_seq2seq_forward(m, a, b);
    m.params.zero_grad();
    gru_seq2seq_backward(m, a, b);
    Buf analytic = m.params.grad;
    // a second backward of the same batch gives the same gradient: each scratch gradient is cleared first
    m.params.zero_grad();
    gru_seq2seq_backward(m, a, b);
    size_t differ = 0;
    for (size_t i = 0; i < analytic.size(); i++) differ += m.params.grad[i] != analytic[i];
    CHECK(differ == 0);
    auto loss = [&] { return (double)gru_seq2seq_forward(m, a, b); };
    for (const auto& e : m.params.entries())
        testing::check_gradient(e.name, loss, m.params.data(e), analytic.data() + e.offset, e.size);
}

TEST_CASE("ch01 model: gradient check of the whole encoder-decoder (forward and reversed source)") {
    check_model_gradient(false);
    check_model_gradient(true);
}

TEST_CASE("ch01 model: padding is ignored (a padded batch gives each sentence's own loss)") {
    Rng rng(3);
    GRUSeq2Seq m;
    GRUSeq2SeqConfig cfg;
    cfg.Vs = 9, cfg.Vt = 9, cfg.E = 4, cfg.H = 5;
    gru_seq2seq_build(m, cfg, rng);
    std::vector<std::vector<int>> src = {{4, 5, 6, 3}, {7, 3}};
    std::vector<std::vector<int>> tgt = {{4, 6, 5}, {7}};
    GRUSeq2SeqActs a;
    gru_seq2seq_reserve(a, cfg, 2, 4, 4);
    float both = gru_seq2seq_forward(m, a, make_seq2seq_batch(src, tgt, {0, 1}));
    float l0 = gru_seq2seq_forward(m, a, make_seq2seq_batch(src, tgt, {0}));
    float l1 = gru_seq2seq_forward(m, a, make_seq2seq_batch(src, tgt, {1}));
    // the loss is a mean over the 4 + 2 target tokens
    CHECK(both == doctest::Approx((4 * l0 + 2 * l1) / 6).epsilon(1e-5));
    // a batch larger than the reserved (2,4,4) is refused, not written past the buffers' ends:
    // a source of 5 tokens (S = 5) by the encoder, a target of 4 words (T = 5) by the whole model
    std::vector<std::vector<int>> long_src = {{4, 5, 6, 7, 3}}, long_tgt = {{4, 6, 5, 7}};
    const Seq2SeqBatch wide_src = make_seq2seq_batch(long_src, tgt, {0});
    CHECK_THROWS_WITH_AS(gru_seq2seq_encode(m, a, wide_src.src.data(), wide_src.src_len.data(), 1, wide_src.S),
                         doctest::Contains("reserved"), attn::Error);
    CHECK_THROWS_WITH_AS(gru_seq2seq_forward(m, a, make_seq2seq_batch(src, long_tgt, {0})),
                         doctest::Contains("reserved"), attn::Error);
}

// A hand-made decoder over V = 5 tokens (0..3 specials, 4 = "a") whose row state is its step count.
// step 0: p(a) = 0.5, p(eos) = 0.4 (greedy takes "a"); after "a": p(eos) = 0.3, p(a) = 0.3 (tie: the
// smaller id, eos=3, wins). Best sequence by total log-prob: "<eos>" alone (0.4) beats "a <eos>" (0.15).
struct ToyDecoder {
    std::vector<int> count = std::vector<int>(8, 0);
    void start(const int*, int n) { std::fill(count.begin(), count.begin() + n, 0); }
    void step(float* logp, const int*, int n) {
        for (int r = 0; r < n; r++) {
            const float p0[5] = {0.02f, 0.04f, 0.04f, 0.4f, 0.5f};
            const float p1[5] = {0.1f, 0.1f, 0.2f, 0.3f, 0.3f};
            const float* p = count[r] == 0 ? p0 : p1;
            for (int v = 0; v < 5; v++) logp[r * 5 + v] = std::log(p[v]);
            count[r]++;
        }
    }
    void reorder(const int* parents, int n) { gather_rows(count, parents, n); }
};

TEST_CASE("ch01 decoding: greedy is myopic, beam search finds the better sequence") {
    ToyDecoder toy;
    int zero = 0;
    auto start = [&]() -> ToyDecoder& { toy.start(&zero, 1); return toy; };
    auto g = greedy_decode(start(), 1, 5, 10);
    CHECK(g[0].tokens == std::vector<int>{4, 3});
    CHECK(g[0].logprob == doctest::Approx(std::log(0.5) + std::log(0.3)));
    CHECK(g[0].finished);
    auto b1 = beam_search(start(), 5, 1, 10);
    CHECK(b1[0].tokens == g[0].tokens);
    CHECK(b1[0].logprob == doctest::Approx(g[0].logprob));
    auto b2 = beam_search(start(), 5, 2, 10);
    CHECK(b2[0].tokens == std::vector<int>{3});
    CHECK(b2[0].logprob == doctest::Approx(std::log(0.4)));
    // with α = 1 (mean log-prob per token) "a <eos>" (−0.95 per token) loses to "<eos>" (−0.92) still;
    // both are among the finished hypotheses, best first
    auto b2n = beam_search(start(), 5, 2, 10, 1.0f);
    REQUIRE(b2n.size() >= 2);
    CHECK(b2n[0].score >= b2n[1].score);
    // max_len cuts unfinished hypotheses
    auto cut = greedy_decode(start(), 1, 5, 1);
    CHECK(cut[0].tokens == std::vector<int>{4});
    CHECK_FALSE(cut[0].finished);
}

// A decoder whose next-token distribution depends only on the previous token (so it keeps no state):
// after <bos>: a = 0.5, b = 0.3, <eos> = 0.1; after a: <eos> = 0.6, a = 0.3; after b: <eos> = 0.4,
// b = 0.3, a = 0.2; every other token 0.01 (V = 6: 0..3 specials, a = 4, b = 5; rows need not sum to 1).
struct PrevTokenDecoder {
    void step(float* logp, const int* prev, int n) {
        const float after_bos[6] = {0.01f, 0.01f, 0.01f, 0.1f, 0.5f, 0.3f};
        const float after_a[6] = {0.01f, 0.01f, 0.01f, 0.6f, 0.3f, 0.01f};
        const float after_b[6] = {0.01f, 0.01f, 0.01f, 0.4f, 0.2f, 0.3f};
        for (int r = 0; r < n; r++) {
            const float* p = prev[r] == Vocab::BOS ? after_bos : prev[r] == 4 ? after_a : after_b;
            for (int v = 0; v < 6; v++) logp[r * 6 + v] = std::log(p[v]);
        }
    }
    void reorder(const int*, int) {}
};

// A decoder that gives every token the same probability: every candidate ties with every other.
struct UniformDecoder {
    int V;
    void step(float* logp, const int*, int n) { std::fill(logp, logp + (size_t)n * V, -std::log((float)V)); }
    void reorder(const int*, int) {}
};

TEST_CASE("ch01 decoding: beam search keeps <eos> only among the first k, breaks ties by beam then token") {
    PrevTokenDecoder dec;
    // k = 2, step 2's candidates best first: a<eos> 0.30, a a 0.15, b<eos> 0.12, b b 0.09, ...
    // a<eos> (1st) is finished; b<eos> is 3rd, not among the first k = 2, so it is dropped: after
    // max_len = 2 the one finished hypothesis is returned (the live a a and b b are not: cut ones come
    // back only when nothing finished)
    auto two = beam_search(dec, 6, 2, 2);
    REQUIRE(two.size() == 1);
    CHECK(two[0].tokens == std::vector<int>{4, 3});
    CHECK(two[0].finished);
    CHECK(two[0].logprob == doctest::Approx(std::log(0.5) + std::log(0.6)));
    // k = 3: <eos> alone (3rd at step 1) and b<eos> (3rd at step 2) are among the first k now: finished
    auto three = beam_search(dec, 6, 3, 2);
    REQUIRE(three.size() == 3);
    CHECK(three[0].tokens == std::vector<int>{4, 3});
    CHECK(three[1].tokens == std::vector<int>{5, 3});
    CHECK(three[1].logprob == doctest::Approx(std::log(0.3) + std::log(0.4)));
    CHECK(three[2].tokens == std::vector<int>{3});
    // k larger than the vocabulary: every candidate is kept, the best (a<eos>) still first
    auto wide = beam_search(dec, 6, 9, 2);
    REQUIRE(!wide.empty());
    CHECK(wide[0].tokens == std::vector<int>{4, 3});
    // all ties: the earlier beam wins, then the smaller token id; nothing finishes (<eos> = 3 never
    // makes the first k = 2), so the two cut hypotheses come back in that order
    UniformDecoder uni{8};
    auto ties = beam_search(uni, 8, 2, 3);
    REQUIRE(ties.size() == 2);
    CHECK(ties[0].tokens == std::vector<int>{0, 0, 0});
    CHECK(ties[1].tokens == std::vector<int>{0, 0, 1});
    CHECK_FALSE(ties[0].finished);
    CHECK(ties[1].logprob == doctest::Approx(-3 * std::log(8.0)));
}

TEST_CASE("ch01 decoding: beam k=1 equals greedy on a random model; scores are sums of log-probs") {
    Rng rng(11);
    GRUSeq2Seq m;
    GRUSeq2SeqConfig cfg;
    cfg.Vs = 12, cfg.Vt = 10, cfg.E = 6, cfg.H = 8;
    gru_seq2seq_build(m, cfg, rng);
    // sharpen the output layer so sequences end within max_len
    for (size_t i = 0; i < m.W_out.size; i++) m.W_out.data[i] *= 4;
    const int n = 6, H = cfg.H, V = cfg.Vt, max_len = 12;
    Buf init = testing::random_buf((size_t)n * H, rng, -0.9f, 0.9f);  // the rows' d_0, as if encoded
    GRUDecoder dec(m, init.data(), 8);
    std::vector<int> all = {0, 1, 2, 3, 4, 5};
    dec.start(all.data(), n);
    auto greedy = greedy_decode(dec, n, V, max_len);
    for (int r = 0; r < n; r++) {
        dec.start(&r, 1);
        auto beam1 = beam_search(dec, V, 1, max_len);
        CHECK(beam1[0].tokens == greedy[r].tokens);
        CHECK(beam1[0].logprob == doctest::Approx(greedy[r].logprob).epsilon(1e-6));
        for (int k : {3, 5}) {
            dec.start(&r, 1);
            auto hyps = beam_search(dec, V, k, max_len);
            for (const auto& h : hyps) {
                // replay the tokens through a fresh decoder: the score is Σ log p of those tokens
                GRUDecoder replay(m, init.data(), 1);
                replay.start(&r, 1);
                Buf lp(V);
                int prev = Vocab::BOS;
                double sum = 0;
                for (int tok : h.tokens) {
                    replay.step(lp.data(), &prev, 1);
                    sum += lp[tok];
                    prev = tok;
                }
                CHECK(h.logprob == doctest::Approx(sum).epsilon(1e-5));
                CHECK(h.score == doctest::Approx(h.logprob));  // α = 0
            }
            for (size_t i = 1; i < hyps.size(); i++) CHECK(hyps[i - 1].score >= hyps[i].score);
        }
    }
    (void)H;
}

// ---- training ------------------------------------------------------------------------------------
// train.hpp's epochs at lr with clipping at 1, shuffles from rng; the validation loss before and after.
static seq2seq_testing::ValLoss train_gru(GRUSeq2Seq& m, const Seq2SeqData& d, int epochs, int batch, float lr,
                                          Rng& rng) {
    GRUSeq2SeqActs a;
    gru_seq2seq_reserve(a, m.cfg, batch, longest_source(d), longest_target(d));
    Adam opt = make_adam(m.params, lr);
    auto loss = [&](const Seq2SeqBatch& b) { return gru_seq2seq_forward(m, a, b); };
    return train_for(d, epochs, batch, loss, [&] { train_epoch(m, a, opt, d, batch, 1.0f, rng); });
}
TEST_CASE("ch01 data: synthetic split is disjoint by source, vocabularies from train") {
    Seq2SeqData d = small_synthetic(600, 5);
    CHECK(d.dataset == "synthetic");
    CHECK(d.split.train.size() + d.split.val.size() + d.split.test.size() == 600);
    std::set<std::string> train_src;
    for (int i : d.split.train) train_src.insert(d.pairs.pairs[i].src);
    for (int i : d.split.test) CHECK(train_src.count(d.pairs.pairs[i].src) == 0);
    CHECK(d.src_vocab.size() > 10);
    CHECK(d.src_ids.size() == 600);
    CHECK(d.src_ids[0].back() == Vocab::EOS);
}

TEST_CASE("ch01 training: short sentences of the synthetic task are learned in seconds") {
    set_threads(2);
    Seq2SeqData d = small_synthetic(1200, 1);
    Rng rng(1);
    GRUSeq2Seq m;
    GRUSeq2SeqConfig cfg;
    cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size(), cfg.E = 32, cfg.H = 64;
    gru_seq2seq_build(m, cfg, rng);
    auto [first, val] = train_gru(m, d, 10, 32, 1e-2f, rng);
    MESSAGE("val loss " << first << " -> " << val);
    CHECK(first > 4.0);
    CHECK(val < 1.2);  // stated threshold: val cross-entropy per token below 1.2 nats
    auto translate = [&](const std::vector<std::string>& s, int k) { return gru_seq2seq_translate(m, d.src_vocab, s, k, 0.0f); };
    double bleu = greedy_val_bleu(d, translate, 2);
    MESSAGE("val BLEU greedy " << bleu);
    CHECK(bleu > 25.0);  // stated threshold: greedy BLEU above 25
}

// a few training steps; returns the final parameters
static Buf train_steps(int threads, int epochs) {
    set_threads(threads);
    Seq2SeqData d = small_synthetic(300, 2);
    Rng rng(9);
    GRUSeq2Seq m;
    GRUSeq2SeqConfig cfg;
    cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size(), cfg.E = 16, cfg.H = 24;
    gru_seq2seq_build(m, cfg, rng);
    train_gru(m, d, epochs, 16, 3e-3f, rng);
    return m.params.value;
}

TEST_CASE("ch01 determinism: bit-identical weights on 1, 2 and 3 threads") {
    Buf w1 = train_steps(1, 2), w2 = train_steps(2, 2), w3 = train_steps(3, 2);
    set_threads(0);
    REQUIRE(w1.size() == w2.size());
    CHECK(std::memcmp(w1.data(), w2.data(), w1.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(w1.data(), w3.data(), w1.size() * sizeof(float)) == 0);
}

TEST_CASE("ch01 eval: --eval-file with unknown words gives <unk>, never a crash; bad file is an error") {
    Seq2SeqData d = small_synthetic(200, 3);
    Rng rng(4);
    GRUSeq2Seq m;
    GRUSeq2SeqConfig cfg;
    cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size(), cfg.E = 8, cfg.H = 8;
    gru_seq2seq_build(m, cfg, rng);
    auto dir = std::filesystem::temp_directory_path() / "attn_ch01_test";
    std::filesystem::create_directories(dir);
    std::string good = (dir / "pairs.tsv").string(), bad = (dir / "bad.tsv").string();
    std::ofstream(good) << "Zyzzyva quokka!\tBonjour.\nthe dog sleeps .\tlo hundo dormat .\n";
    std::ofstream(bad) << "only one column here\n";
    auto translate = [&](const std::vector<std::string>& s, int k) { return gru_seq2seq_translate(m, d.src_vocab, s, k, 0.0f); };
    std::vector<TranslationEval> evs;
    CHECK_NOTHROW(evs = evaluate_file(good, "en-fr", translate, d.tgt_vocab, 3, 5));
    CHECK(evs.size() == 2);
    CHECK(evs[0].outputs.size() == 2);
    CHECK(d.src_vocab.encode(normalize_sentence("Zyzzyva quokka!"), false, true)[0] == Vocab::UNK);
    CHECK_THROWS_AS(evaluate_file(bad, "en-fr", translate, d.tgt_vocab, 3, 5), attn::Error);
    CHECK_THROWS_AS(evaluate_file((dir / "missing.tsv").string(), "en-fr", translate, d.tgt_vocab, 3, 5), attn::Error);
    std::filesystem::remove_all(dir);
}

TEST_CASE("ch01 checkpoint: save -> load gives the same translations") {
    Seq2SeqData d = small_synthetic(200, 3);
    Rng rng(4);
    GRUSeq2Seq m;
    GRUSeq2SeqConfig cfg;
    cfg.Vs = d.src_vocab.size(), cfg.Vt = d.tgt_vocab.size(), cfg.E = 8, cfg.H = 8;
    gru_seq2seq_build(m, cfg, rng);
    Adam opt = make_adam(m.params, 1e-3f);
    auto path = (std::filesystem::temp_directory_path() / "attn_ch01_test.ckpt").string();
    save_translation_checkpoint(path, kGRUSeq2SeqKind, gru_seq2seq_config_text(m.cfg), m.params, opt, rng, d, 3);
    TranslationCheckpoint ck = load_translation_checkpoint(path, "gru_seq2seq");
    CHECK(ck.epochs == 3);
    GRUSeq2Seq m2;
    gru_seq2seq_build(m2, gru_seq2seq_parse_config(ck.config, path), rng);
    ck.ck.restore_params(m2.params);
    CHECK(m2.cfg.H == 8);
    CHECK(ck.src_vocab.size() == d.src_vocab.size());
    CHECK(std::memcmp(m2.params.value.data(), m.params.value.data(), m.params.value.size() * 4) == 0);
    CHECK_THROWS_AS(load_translation_checkpoint(path, "bahdanau"), attn::Error);
    std::remove(path.c_str());
}

TEST_CASE("ch01 eval: BLEU per length bucket with hand-made translators (perfect = 100, empty = 0)") {
    PairSet ps;
    ps.pairs = {{"a b c d .", "w x y z ."}, {"a b c d .", "w x y z v ."}, {"e f g h i j k .", "p q r s t u v w ."},
                {"a .", "z ."}};
    std::vector<EvalItem> items = group_by_source(ps, {0, 1, 2, 3});
    REQUIRE(items.size() == 3);  // "a b c d ." has two references
    CHECK(items[0].refs.size() == 2);
    CHECK(items[0].src_len == 5);
    std::vector<std::string> all_tgt;
    for (const auto& p : ps.pairs) all_tgt.push_back(p.tgt);
    Vocab tv = Vocab::build(all_tgt, 1, 0);
    auto perfect = [&](const std::vector<std::string>& srcs, int) {
        std::vector<Hypothesis> out;
        for (const auto& s : srcs)
            for (const auto& it : items)
                if (it.src == s) out.push_back({tv.encode(it.refs.back(), false, true), -1.0, -1.0, true});
        return out;
    };
    auto empty = [&](const std::vector<std::string>& srcs, int) {
        return std::vector<Hypothesis>(srcs.size(), Hypothesis{{Vocab::EOS}, -1.0, -1.0, true});
    };
    TranslationEval ev = evaluate_translations(items, perfect, tv, 1, 4);
    CHECK(ev.corpus.bleu == doctest::Approx(100.0));
    REQUIRE(ev.buckets.size() == 2);  // lengths 2 and 5 -> 1-4 and 5-8; length 8 -> 5-8
    CHECK(ev.buckets[0].lo == 1);
    CHECK(ev.buckets[0].n == 1);
    CHECK(ev.buckets[1].n == 2);
    CHECK(ev.buckets[1].bleu == doctest::Approx(100.0));
    CHECK(evaluate_translations(items, empty, tv, 1, 4).corpus.bleu == 0.0);
}

// Resuming: a run stopped after epoch 1, saved, loaded into a new model and trained one more epoch
// equals the uninterrupted run, bit for bit (weights, Adam's moments and the shuffles all continue).
TEST_CASE("ch01 checkpoint: stop after epoch 1, save, load, continue == the uninterrupted run") {
    Seq2SeqData d = small_synthetic(300, 2, 8);
    GRUSeq2SeqConfig cfg{.Vs = d.src_vocab.size(), .Vt = d.tgt_vocab.size(), .E = 8, .H = 12};
    TranslationSettings s;
    s.f.epochs = 2, s.f.load = (std::filesystem::temp_directory_path() / "attn_ch01_resume.ckpt").string();
    auto run_epochs = [&](GRUSeq2Seq& m, Adam& opt, Rng& rng, int epochs) {
        GRUSeq2SeqActs a;
        gru_seq2seq_reserve(a, cfg, 16, longest_source(d), longest_target(d));
        std::vector<double> losses;
        for (int e = 0; e < epochs; e++) losses.push_back(train_epoch(m, a, opt, d, 16, 1.0f, rng).loss);
        return losses;
    };
    Rng rng_a(42);
    GRUSeq2Seq whole;
    gru_seq2seq_build(whole, cfg, rng_a);
    Adam opt_a = make_adam(whole.params, 2e-3f);
    std::vector<double> la = run_epochs(whole, opt_a, rng_a, 2);

    Rng rng_b(42);
    GRUSeq2Seq first;
    gru_seq2seq_build(first, cfg, rng_b);
    Adam opt_b = make_adam(first.params, 2e-3f);
    std::vector<double> lb1 = run_epochs(first, opt_b, rng_b, 1);
    TrainingLog log1;
    log1.epochs_done = 1, log1.train_loss = lb1;
    TranslationSettings save = s;
    save.f.save = s.f.load;
    save_if_asked(save, kGRUSeq2SeqKind, gru_seq2seq_config_text(cfg), first.params, opt_b, rng_b, d, log1);

    Seq2SeqData d2 = small_synthetic(300, 2, 8);
    auto ck = checkpoint_to_load(s, kGRUSeq2SeqKind, d2);
    REQUIRE(ck);
    Rng rng_c(7);  // overwritten by the checkpoint's stream
    GRUSeq2Seq second;
    gru_seq2seq_build(second, gru_seq2seq_parse_config(ck->config, "test"), rng_c);
    ck->ck.restore_params(second.params);
    Adam opt_c = make_adam(second.params, 2e-3f);
    TrainingLog log2 = resume_training(ck, opt_c, rng_c, s);
    CHECK(log2.epochs_done == 1);
    std::vector<double> lb2 = run_epochs(second, opt_c, rng_c, 1);
    CHECK(lb1[0] == la[0]);
    CHECK(lb2[0] == la[1]);
    CHECK(std::memcmp(second.params.value.data(), whole.params.value.data(), whole.params.value.size() * 4) == 0);
    // a checkpoint of another model kind is refused, naming both
    CHECK_THROWS_WITH_AS(checkpoint_to_load(s, "bahdanau", d2), doctest::Contains("gru_seq2seq"), attn::Error);
    std::remove(s.f.load.c_str());
}
