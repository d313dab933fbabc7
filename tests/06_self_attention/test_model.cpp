// Chapter 06's classifier: whole-model gradients (encoder and pooling-only, both norms, both position
// kinds), training determinism on 1/2/3 threads, the synthetic relations task, and --eval-file's
// bad inputs (wrong classes, a tweets file for an AG model, malformed rows, empty titles).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "chapters/06_self_attention/encoder_classifier.hpp"
#include "chapters/06_self_attention/text_data.hpp"
#include "chapters/06_self_attention/train.hpp"
#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "common/data/synth_relations.hpp"
#include "tests/gradcheck.hpp"
#include "tests/temp_files.hpp"

using namespace attn;
using namespace attn::testing;
using namespace ch06;

namespace {
ModelConfig tiny_config(int L, NormPlace norm, PosKind pos) {
    ModelConfig c;
    c.V = 9, c.K = 3, c.C = 8, c.NH = 2, c.F = 12, c.L = L, c.Tmax = 6, c.pos = pos, c.norm = norm, c.dropout = 0.2f;
    return c;
}
}  // namespace

TEST_CASE("classifier: gradient of every parameter matches finite differences (all variants)") {
    const int B = 3, T = 5;
    const std::vector<int> ids = {4, 2, 7, 1, 3, 5, 8, 0, 0, 0, 6, 6, 2, 4, 0};  // padded with 0
    const std::vector<int> len = {5, 2, 4}, y = {0, 2, 1};
    struct Variant { int L; NormPlace norm; PosKind pos; };
    for (Variant v : {Variant{2, NormPlace::Post, PosKind::Sinusoidal}, Variant{1, NormPlace::Pre, PosKind::Learned},
                      Variant{0, NormPlace::Post, PosKind::Learned}}) {
        INFO("L=" << v.L << (v.norm == NormPlace::Pre ? " pre" : " post") << (v.pos == PosKind::Learned ? " learned" : " sin"));
        Classifier m;
        Rng rng(17);
        classifier_init(m, tiny_config(v.L, v.norm, v.pos), rng);
        ClassifierActs a;
        Rng unused(0);
        std::vector<uint8_t> active;  // ReLU pattern of the head and every FFN at the unperturbed weights
        auto relu_pattern = [&] {
            std::vector<uint8_t> p;
            for (int i = 0; i < B * m.cfg.C; i++) p.push_back(a.z1[i] > 0);
            for (int l = 0; l < v.L; l++)
                for (int i = 0; i < B * T * m.cfg.F; i++) p.push_back(a.caches[l].f1[i] > 0);
            return p;
        };
        auto loss = [&]() -> double {
            double L = classifier_forward(m, a, ids.data(), len.data(), y.data(), B, T, unused, false);
            return relu_pattern() == active ? L : NAN;  // crossed a ReLU kink: skip
        };
        classifier_forward(m, a, ids.data(), len.data(), y.data(), B, T, unused, false);
        active = relu_pattern();
        m.params.zero_grad();
        classifier_backward(m, a, ids.data(), y.data(), B, T);
        const Buf grads = m.params.grad;
        for (const auto& e : m.params.entries()) {
            GradCheckOptions opt;
            opt.max_checks = 40;
            opt.allow_zero = e.name.find("b_k") != std::string::npos;  // a shift the softmax ignores
            check_gradient(e.name, loss, m.params.data(e), grads.data() + e.offset, e.size, opt);
        }
    }
}

TEST_CASE("classifier: training is bit-identical on 1, 2 and 3 threads, and learns the relations task") {
    TextData d;
    const TextSet all = synth_relations(600, 5);
    d.flag = "relations", d.class_names = all.class_names;
    d.train_raw.assign(all.items.begin(), all.items.begin() + 500);
    d.val_raw.assign(all.items.begin() + 500, all.items.end());
    d.vocab = build_vocab(d.train_raw, 1);
    ModelConfig cfg = tiny_config(1, NormPlace::Post, PosKind::Sinusoidal);
    cfg.V = d.vocab.size(), cfg.K = 2, cfg.Tmax = 24, cfg.C = 16;
    encode_all(d, cfg.Tmax);
    std::vector<Buf> weights;
    std::vector<double> losses;
    for (int threads : {1, 2, 3}) {
        set_threads(threads);
        Classifier m;
        Rng rng(3);
        classifier_init(m, cfg, rng);
        Adam opt = make_adam(m.params, 3e-3f);
        EpochStats st;
        for (int e = 0; e < 2; e++) st = train_epoch(m, opt, d.train, 32, 1.0f, rng, [](long) { return 3e-3f; }, nullptr);
        weights.push_back(m.params.value), losses.push_back(st.loss);
    }
    set_threads(0);
    CHECK(weights[1] == weights[0]);
    CHECK(weights[2] == weights[0]);
    CHECK(losses[1] == losses[0]);
    CHECK(losses[2] == losses[0]);
}

TEST_CASE("synth_relations: deterministic, balanced, and the label is 'same word after x and after y'") {
    const TextSet a = synth_relations(400, 9), b = synth_relations(400, 9);
    REQUIRE(a.items.size() == 400);
    int same = 0;
    for (size_t i = 0; i < a.items.size(); i++) {
        CHECK(a.items[i].text == b.items[i].text);
        std::vector<std::string> w;
        std::string tok;
        for (std::istringstream in(a.items[i].text); in >> tok;) w.push_back(tok);
        int ix = -1, iy = -1, nx = 0, ny = 0;
        for (size_t t = 0; t < w.size(); t++) {
            if (w[t] == "x") ix = (int)t, nx++;
            if (w[t] == "y") iy = (int)t, ny++;
        }
        REQUIRE(nx == 1);
        REQUIRE(ny == 1);
        REQUIRE(ix + 1 < (int)w.size());
        REQUIRE(iy + 1 < (int)w.size());
        CHECK((w[ix + 1] == w[iy + 1]) == (a.items[i].label == 1));
        CHECK((w.size() >= 8 && w.size() <= 20));
        same += a.items[i].label;
    }
    CHECK(same > 160);
    CHECK(same < 240);
    SynthRelationOptions bal;
    bal.balance_counts = true;
    for (const LabeledText& t : synth_relations(200, 4, bal).items) {  // every text repeats a marked word
        std::vector<std::string> w;
        std::string tok;
        for (std::istringstream in(t.text); in >> tok;) w.push_back(tok);
        int ix = 0;
        while (w[ix] != "x") ix++;
        int copies = 0, copies_y = 0;
        int iy = 0;
        while (w[iy] != "y") iy++;
        for (const std::string& s : w) copies += s == w[ix + 1], copies_y += s == w[iy + 1];
        CHECK(std::max(copies, copies_y) >= 2);
    }
    CHECK_THROWS_AS(synth_relations(10, 1, {4, 8, 16}), attn::Error);
}

// ---- --eval-file: bad inputs are clear errors naming the file (and line) ----------------------

TEST_CASE("eval file: AG layouts and tweets detected; wrong classes, wrong dataset, malformed rows refused") {
    auto file = [](const std::string& name, const std::string& bytes) { return write_temp_file("ch06", name, bytes); };
    const std::vector<std::string> ag = {"World", "Sports", "Business", "Sci/Tech"};
    const std::string mwml = file("mwml.csv", "y,X\nSports,Team wins again\nWorld,\"Talks, in Geneva\"\n");
    TextSet s = load_text_eval_file(mwml, ag, "ag_news");
    REQUIRE(s.items.size() == 2);
    CHECK(s.items[1].text == "Talks, in Geneva");
    // an empty title is a malformed row (chapter 05 refuses it the same way: one reader for both)
    const std::string empty_title = file("empty.csv", "y,X\nSports,Team wins again\nBusiness,\n");
    CHECK_THROWS_WITH_AS(load_text_eval_file(empty_title, ag, "ag_news"), doctest::Contains("empty.csv:3"), attn::Error);
    const std::string official = file("test.csv", "\"3\",\"Stocks up\",\"desc\"\n\"4\",\"New chip\",\"d\"\n");
    CHECK(load_text_eval_file(official, ag, "ag_news").items[1].label == 3);
    const std::string wrong_class = file("bad.csv", "\"3\",\"Stocks up\",\"desc\"\n\"7\",\"New chip\",\"d\"\n");
    CHECK_THROWS_WITH_AS(load_text_eval_file(wrong_class, ag, "ag_news"), doctest::Contains("bad.csv:2"), attn::Error);
    const std::string bad_name = file("bad2.csv", "y,X\nSport,Team wins\n");
    CHECK_THROWS_WITH_AS(load_text_eval_file(bad_name, ag, "ag_news"), doctest::Contains("bad2.csv:2"), attn::Error);
    const std::string tweets = file("tweets.csv", "tweet_id,airline_sentiment,text\n1,negative,late again\n");
    CHECK_THROWS_WITH_AS(load_text_eval_file(tweets, ag, "ag_news"), doctest::Contains("tweets file"), attn::Error);
    CHECK(load_text_eval_file(tweets, {"negative", "neutral", "positive"}, "tweets").items.size() == 1);
    CHECK_THROWS_WITH_AS(load_text_eval_file(mwml, {"negative", "neutral", "positive"}, "tweets"), doctest::Contains("AG News file"),
                         attn::Error);
    CHECK_THROWS_AS(load_text_eval_file(temp_path("ch06", "missing.csv"), ag, "ag_news"), attn::Error);
}

TEST_CASE("eval file: a text with no known word (or no word at all) is classified, not a crash") {
    Classifier m;
    Rng rng(1);
    classifier_init(m, tiny_config(1, NormPlace::Post, PosKind::Sinusoidal), rng);
    TextSplit s;
    s.ids = {{}, {1, 1}, {4, 5, 6}};
    s.labels = {0, 1, 2};
    std::vector<int> pred;
    const EpochStats st = evaluate(m, s, 8, &pred);
    CHECK(std::isfinite(st.loss));
    CHECK(pred.size() == 3);
}

TEST_CASE("attention pooling: equal scores average the valid positions; gradients of h and its weights") {
    Classifier m;
    Rng rng(2);
    ModelConfig cfg = tiny_config(0, NormPlace::Post, PosKind::Sinusoidal);
    classifier_init(m, cfg, rng);
    const int B = 2, T = 4, C = cfg.C;
    const std::vector<int> len = {4, 2};
    ClassifierActs a;
    a.resize(B, T, cfg);
    Buf h = random_buf((size_t)B * T * C, rng), ctx((size_t)B * C), R = random_buf(ctx.size(), rng);
    // v = 0: every score is 0, so α is uniform over the valid positions and ctx is their mean
    Buf v_saved(m.va.data, m.va.data + C);
    std::fill_n(m.va.data, C, 0.0f);
    attention_pool_forward(ctx.data(), a.alpha.data(), a.upre.data(), a.u.data(), a.e.data(), h.data(), len.data(), m, B, T);
    CHECK(a.alpha[T + 2] == 0.0f);  // padding of sequence 1
    CHECK(a.alpha[T + 1] == doctest::Approx(0.5));
    CHECK(ctx[C + 3] == doctest::Approx((h[(size_t)T * C + 3] + h[(size_t)(T + 1) * C + 3]) / 2));
    std::copy(v_saved.begin(), v_saved.end(), m.va.data);
    {
        // by hand, into buffers of their own pre-filled with NaN, each followed by a guard of 7 that must
        // stay: e_n = vᵀ u_n, α = softmax of e over t < len, ctx = Σ_t α_t h_t
        const int N = B * T;
        Buf gctx((size_t)B * C + 1, NAN), galpha(N + 1, NAN), gupre((size_t)N * C + 1, NAN), gu(gupre), ge(N + 1, NAN);
        for (Buf* g : {&gctx, &galpha, &gupre, &gu, &ge}) g->back() = 7.0f;
        attention_pool_forward(gctx.data(), galpha.data(), gupre.data(), gu.data(), ge.data(), h.data(), len.data(), m,
                               B, T);
        size_t wrong = 0;
        auto near = [](double got, double want) { return std::fabs(got - want) <= 1e-5 * (1 + std::fabs(want)); };
        for (int n = 0; n < N; n++) {
            double e = 0;
            for (int c = 0; c < C; c++) e += (double)m.va.data[c] * gu[(size_t)n * C + c];
            wrong += !near(ge[n], e);
        }
        for (int b = 0; b < B; b++) {
            double mx = -INFINITY, z = 0;
            for (int t = 0; t < len[b]; t++) mx = std::max(mx, (double)ge[b * T + t]);
            for (int t = 0; t < len[b]; t++) z += std::exp(ge[b * T + t] - mx);
            for (int t = 0; t < T; t++)
                wrong += !near(galpha[b * T + t], t < len[b] ? std::exp(ge[b * T + t] - mx) / z : 0.0);
            for (int c = 0; c < C; c++) {
                double want = 0;
                for (int t = 0; t < T; t++) want += (double)galpha[b * T + t] * h[((size_t)b * T + t) * C + c];
                wrong += !near(gctx[(size_t)b * C + c], want);
            }
        }
        CHECK(wrong == 0);
        for (Buf* g : {&gctx, &galpha, &gupre, &gu, &ge}) CHECK(g->back() == 7.0f);
    }
    auto loss = [&] {
        attention_pool_forward(ctx.data(), a.alpha.data(), a.upre.data(), a.u.data(), a.e.data(), h.data(), len.data(), m,
                               B, T);
        return dot_double(ctx.data(), R.data(), ctx.size());
    };
    loss();
    m.params.zero_grad();
    Buf dh(h.size());
    attention_pool_backward(dh.data(), m, a, R.data(), h.data(), B, T);
    const Buf grads = m.params.grad;
    check_gradient("pool dh", loss, h.data(), dh.data(), h.size());
    for (const char* n : {"pool.W_a", "pool.b_a", "pool.v"}) {
        const auto* e = m.params.find(n);
        check_gradient(n, loss, m.params.data(*e), grads.data() + e->offset, e->size);
    }
}

// A checkpoint's model config is read with every size range-checked (it used to go through std::stoi:
// "abc" aborted the program, "-7" built a model of negative size).
TEST_CASE("ch06 checkpoint: the model config round-trips; nonsense sizes are refused by name") {
    ModelConfig c;
    c.V = 50, c.K = 2, c.C = 16, c.NH = 2, c.F = 32, c.L = 0, c.Tmax = 20, c.dropout = 0.1f;
    const ModelConfig back = parse_config(config_str(c), "x.ckpt");
    CHECK(back.V == 50);
    CHECK(back.L == 0);
    CHECK(back.Tmax == 20);
    CHECK(back.dropout == doctest::Approx(0.1));
    std::string text = config_str(c);
    for (const char* bad : {"C=abc", "C=-7", "C=99999999999", "NH=0", "L=-1", "dropout=1.5", "dropout=nan"}) {
        CAPTURE(bad);
        const std::string key = std::string(bad).substr(0, std::string(bad).find('='));
        std::string t = text;
        const size_t at = t.find(" " + key + "=") + 1, end = t.find(' ', at);
        t.replace(at, end == std::string::npos ? std::string::npos : end - at, bad);
        CHECK_THROWS_WITH_AS(parse_config(t, "x.ckpt"), doctest::Contains(("x.ckpt: expected the model config's " + key).c_str()),
                             attn::Error);
    }
}
