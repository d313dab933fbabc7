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
#include "chapters/01_seq2seq/translation_driver.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/gradcheck.hpp"
#include "tests/seq2seq_testing.hpp"

using namespace attn;
using namespace s2s;
using s2s::test_data::greedy_val_bleu;
using s2s::test_data::small_synthetic;
using s2s::test_data::train_for;

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
}

// A hand-made decoder over V = 5 tokens (0..3 specials, 4 = "a") whose state is the step count.
// step 0: p(a) = 0.5, p(eos) = 0.4 (greedy takes "a"); after "a": p(eos) = 0.3, p(a) = 0.3 (tie: the
// smaller id, eos=3, wins). Best sequence by total log-prob: "<eos>" alone (0.4) beats "a <eos>" (0.15).
static void toy_step(float* logp, float* state_out, const int* tokens, const float* state_in, int n) {
    for (int r = 0; r < n; r++) {
        float* lp = logp + r * 5;
        const float p0[5] = {0.02f, 0.04f, 0.04f, 0.4f, 0.5f};
        const float p1[5] = {0.1f, 0.1f, 0.2f, 0.3f, 0.3f};
        const float* p = state_in[r] == 0 ? p0 : p1;
        for (int v = 0; v < 5; v++) lp[v] = std::log(p[v]);
        state_out[r] = state_in[r] + 1;
        (void)tokens;
    }
}

TEST_CASE("ch01 decoding: greedy is myopic, beam search finds the better sequence") {
    float s0 = 0;
    auto g = greedy_decode(toy_step, &s0, 1, 1, 5, 10);
    CHECK(g[0].tokens == std::vector<int>{4, 3});
    CHECK(g[0].logprob == doctest::Approx(std::log(0.5) + std::log(0.3)));
    CHECK(g[0].finished);
    auto b1 = beam_search(toy_step, &s0, 1, 5, 1, 10);
    CHECK(b1[0].tokens == g[0].tokens);
    CHECK(b1[0].logprob == doctest::Approx(g[0].logprob));
    auto b2 = beam_search(toy_step, &s0, 1, 5, 2, 10);
    CHECK(b2[0].tokens == std::vector<int>{3});
    CHECK(b2[0].logprob == doctest::Approx(std::log(0.4)));
    // with α = 1 (mean log-prob per token) "a <eos>" (−0.95 per token) loses to "<eos>" (−0.92) still;
    // both are among the finished hypotheses, best first
    auto b2n = beam_search(toy_step, &s0, 1, 5, 2, 10, 1.0f);
    REQUIRE(b2n.size() >= 2);
    CHECK(b2n[0].score >= b2n[1].score);
    // max_len cuts unfinished hypotheses
    auto cut = greedy_decode(toy_step, &s0, 1, 1, 5, 1);
    CHECK(cut[0].tokens == std::vector<int>{4});
    CHECK_FALSE(cut[0].finished);
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
    Buf init = testing::random_buf((size_t)n * H, rng, -0.9f, 0.9f);
    GRUDecoderStep step(m, 8);
    auto greedy = greedy_decode(step, init.data(), n, H, V, max_len);
    for (int r = 0; r < n; r++) {
        auto beam1 = beam_search(step, init.data() + r * H, H, V, 1, max_len);
        CHECK(beam1[0].tokens == greedy[r].tokens);
        CHECK(beam1[0].logprob == doctest::Approx(greedy[r].logprob).epsilon(1e-6));
        for (int k : {3, 5}) {
            auto hyps = beam_search(step, init.data() + r * H, H, V, k, max_len);
            for (const auto& h : hyps) {
                // replay the tokens through the decoder: the score is Σ log p of those tokens
                Buf s(init.data() + r * H, init.data() + (r + 1) * H), s2(H), lp(V);
                int prev = Vocab::BOS;
                double sum = 0;
                for (int tok : h.tokens) {
                    step(lp.data(), s2.data(), &prev, s.data(), 1);
                    sum += lp[tok];
                    prev = tok;
                    s.swap(s2);
                }
                CHECK(h.logprob == doctest::Approx(sum).epsilon(1e-5));
                CHECK(h.score == doctest::Approx(h.logprob));  // α = 0
            }
            for (size_t i = 1; i < hyps.size(); i++) CHECK(hyps[i - 1].score >= hyps[i].score);
        }
    }
}

// ---- training ------------------------------------------------------------------------------------
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
    GRUSeq2SeqActs a;
    TranslationModel tm = gru_seq2seq_model(m, a);
    auto [first, val] = train_for(tm, d, 10, 32, 1e-2f, rng);
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
    GRUSeq2SeqActs a;
    TranslationModel tm = gru_seq2seq_model(m, a);
    train_for(tm, d, epochs, 16, 3e-3f, rng);
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
    GRUSeq2SeqActs a;
    save_translation_checkpoint(path, gru_seq2seq_model(m, a), opt, rng, d.src_vocab, d.tgt_vocab, 3);
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

// The shared driver (translation_driver.hpp) on a tiny synthetic task: a run stopped after epoch 1,
// saved, and resumed with --load must equal the uninterrupted run, bit for bit.
static TranslationSettings tiny_settings(const std::string& out) {
    TranslationSettings s;
    s.chapter = "01_seq2seq", s.model_kind = "gru_seq2seq";
    s.f.data = s.data.data = "synthetic";
    s.data.synth_pairs = 300, s.data.synth_max_len = 8;
    s.E = 8, s.H = 12, s.f.epochs = 2, s.f.batch = 16, s.f.out = out;
    s.beam = 2, s.bleu_val = 20, s.examples = 1;
    return s;
}

TEST_CASE("ch01 driver: --stop-after 1 --save, then --load, equals the uninterrupted run") {
    auto dir = std::filesystem::temp_directory_path() / "attn_ch01_driver";
    std::filesystem::create_directories(dir);
    std::unique_ptr<GRUSeq2Seq> net;
    GRUSeq2SeqActs acts;
    const TranslationSettings* cur = nullptr;
    auto make_model = [&](int Vs, int Vt, const std::string& config, Rng& rng) {
        GRUSeq2SeqConfig c{.Vs = Vs, .Vt = Vt, .E = cur->E, .H = cur->H};
        if (!config.empty()) c = gru_seq2seq_parse_config(config, "test");
        net = std::make_unique<GRUSeq2Seq>();
        gru_seq2seq_build(*net, c, rng);
        return gru_seq2seq_model(*net, acts);
    };
    TranslationSettings whole = tiny_settings((dir / "whole").string());
    cur = &whole;
    TranslationRun a = run_translation_chapter(whole, make_model);
    Buf w_whole = net->params.value;

    std::string ck = (dir / "half.ckpt").string();
    TranslationSettings first = tiny_settings((dir / "first").string());
    first.stop_after = 1, first.f.save = ck;
    cur = &first;
    TranslationRun b1 = run_translation_chapter(first, make_model);
    CHECK(b1.epochs_done == 1);
    TranslationSettings second = tiny_settings((dir / "second").string());
    second.f.load = ck;
    cur = &second;
    TranslationRun b2 = run_translation_chapter(second, make_model);

    REQUIRE(a.train_loss.size() == 2);
    REQUIRE(b2.train_loss.size() == 1);
    CHECK(b1.train_loss[0] == a.train_loss[0]);
    CHECK(b2.train_loss[0] == a.train_loss[1]);
    CHECK(b2.test_loss == a.test_loss);
    CHECK(b2.evs.back().corpus.bleu == a.evs.back().corpus.bleu);
    CHECK(std::memcmp(net->params.value.data(), w_whole.data(), w_whole.size() * sizeof(float)) == 0);
    CHECK(std::filesystem::exists(dir / "whole" / "metrics.json"));
    CHECK(std::filesystem::exists(dir / "whole" / "01_seq2seq_synthetic_bleu_by_length.png"));

    // a checkpoint of another model kind is refused, naming both
    TranslationSettings wrong = tiny_settings((dir / "wrong").string());
    wrong.model_kind = "bahdanau", wrong.f.load = ck;
    cur = &wrong;
    CHECK_THROWS_WITH_AS(run_translation_chapter(wrong, make_model), doctest::Contains("gru_seq2seq"), attn::Error);
    std::filesystem::remove_all(dir);
}
