// Chapter 05's tests: the tokenisation (words + character n-grams), the embedding bag, the three
// poolings (hand cases, padding, gradient checks), the whole classifier's gradient for each pooling,
// determinism over 1/2/3 threads, checkpoints, a short training run, and --eval-file's bad inputs.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "chapters/05_attention_classifier/attention_pooling.hpp"
#include "chapters/05_attention_classifier/classifier_model.hpp"
#include "chapters/05_attention_classifier/text_data.hpp"
#include "chapters/05_attention_classifier/train.hpp"
#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "common/data/ngram_vocab.hpp"
#include "common/nn/embedding_bag.hpp"
#include "tests/gradcheck.hpp"
#include "tests/temp_files.hpp"

using namespace attn;
using namespace ch05;

// The message of the attn::Error that f throws ("" when it throws none).
template <class F>
static std::string error_of(F&& f) {
    try {
        f();
    } catch (const attn::Error& e) {
        return e.what();
    }
    return "";
}

// ---- tokenisation -------------------------------------------------------------------------------
TEST_CASE("ch05 tokens: words lower-cased, $ % ! ? kept, links one token, other punctuation splits") {
    std::vector<std::string> w =
        tokenize_words("Oil Hits $50, Up 3%! See http://x.com/a (Reuters) 'quoted' it's");
    std::vector<std::string> want = {"oil", "hits", "$",     "50",      "up",     "3",   "%",
                                     "!",   "see",  "<url>", "reuters", "quoted", "it's"};
    CHECK(w == want);
    CHECK(tokenize_words("...").empty());
    CHECK(tokenize_words("late :( again :-) <3 :D, :dallas") ==
          std::vector<std::string>{"late", ":(", "again", ":-)", "<3", ":d", "dallas"});
    CHECK(text_words("...") == std::vector<std::string>{"<empty>"});
}

TEST_CASE("ch05 tokens: an unseen word shares character n-grams with a seen one") {
    NgramVocab v = NgramVocab::build({{"nextel", "merger", "nextel"}, {"merger"}}, 2, 0, 1000, 3, 5);
    std::vector<int> seen, unseen;
    v.word_ids("nextel", seen);
    v.word_ids("nextel's", unseen);
    CHECK(seen[0] == v.words.id("nextel"));
    CHECK(unseen[0] == Vocab::UNK);
    // "<nextel>" has 6+5+4 = 15 n-grams of 3..5 characters; "<nextel's>" 8+7+6 = 21
    CHECK(seen.size() == 16);
    CHECK(unseen.size() == 22);
    int shared = 0;
    for (size_t i = 1; i < seen.size(); i++)
        shared += std::count(unseen.begin() + 1, unseen.end(), seen[i]) > 0;
    CHECK(shared >= 9);  // "<ne" "nex" "ext" "xte" "tel" "<nex" "next" "exte" "xtel" "<next" ...
    for (int id : unseen) CHECK((id >= 0 && id < v.size()));
    NgramVocab back = NgramVocab::deserialize(v.serialize(), "test");
    std::vector<int> again;
    back.word_ids("nextel's", again);
    CHECK(again == unseen);
    CHECK(error_of([] { NgramVocab::deserialize("nonsense\n", "ckpt"); }).find("attn-ngram-vocab") !=
          std::string::npos);
    // found by `make fuzz`: a first line without a newline threw std::out_of_range (an abort), and
    // nonsense sizes (min_n 0, negative buckets) were accepted
    const std::string words = Vocab().serialize();
    for (const std::string& bad : {std::string("attn-ngram-vocab 1 64 3 5"), "attn-ngram-vocab 1 64 0 5\n" + words,
                                   "attn-ngram-vocab 1 -64 3 5\n" + words, "attn-ngram-vocab 1 64 5 3\n" + words,
                                   "attn-ngram-vocab 1 64 3 99\n" + words, "attn-ngram-vocab 1 64 3 5 x\n" + words}) {
        CAPTURE(bad);
        CHECK(error_of([&] { NgramVocab::deserialize(bad, "ckpt"); }).find("ckpt: expected") == 0);
    }
    CHECK(NgramVocab::deserialize("attn-ngram-vocab 1 0 1 20\n" + words, "ckpt").max_n == 20);
}

// ---- embedding bag ------------------------------------------------------------------------------
TEST_CASE("ch05 embedding bag: mean of rows, empty positions are zero, gradient check") {
    const int V = 5, C = 3;
    float table[V * C] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    std::vector<int> ids = {0, 2, 4, 1}, offs = {0, 2, 2, 4};  // position 1 is empty
    float out[3 * C];
    embedding_bag_forward(out, ids.data(), offs.data(), table, 3, C, V);
    CHECK(out[0] == doctest::Approx(4.0));  // (1 + 7) / 2
    CHECK(out[3] == 0.0f);
    CHECK(out[6] == doctest::Approx(8.5));  // (13 + 4) / 2
    std::vector<int> bad = {0, 5};
    std::vector<int> boffs = {0, 2};
    CHECK(error_of([&] {
              embedding_bag_forward(out, bad.data(), boffs.data(), table, 1, C, V);
          }).find("[0, 5)") != std::string::npos);
    Rng rng(3);
    Buf t = testing::random_buf(V * C, rng), R = testing::random_buf(3 * C, rng), dt(V * C, 0.0f);
    std::vector<int> rep = {1, 1, 3, 0, 4, 1};  // a row used twice by one position
    std::vector<int> roffs = {0, 3, 3, 6};
    embedding_bag_backward(dt.data(), R.data(), rep.data(), roffs.data(), 3, C);
    Buf o(3 * C);
    auto loss = [&] {
        embedding_bag_forward(o.data(), rep.data(), roffs.data(), t.data(), 3, C, V);
        return testing::dot_double(o.data(), R.data(), o.size());
    };
    testing::check_gradient("embedding_bag table", loss, t.data(), dt.data(), t.size());
}

// ---- pooling ------------------------------------------------------------------------------------
struct PoolProblem {
    int B = 3, T = 5, D = 6, A = 4;
    std::vector<int> len = {5, 1, 3};
    Buf h, U, u, v, R;
};
static PoolProblem pool_problem(Rng& rng) {
    PoolProblem p;
    p.h = testing::random_buf((size_t)p.B * p.T * p.D, rng);
    for (int b = 0; b < p.B; b++)  // the GRU's outputs are 0 on padding
        for (int i = p.len[b]; i < p.T; i++)
            for (int d = 0; d < p.D; d++) p.h[((size_t)b * p.T + i) * p.D + d] = 0;
    p.U = testing::random_buf((size_t)p.A * p.D, rng);
    p.u = testing::random_buf(p.A, rng);
    p.v = testing::random_buf(p.A, rng, -2, 2);
    p.R = testing::random_buf((size_t)p.B * p.D, rng);
    return p;
}

TEST_CASE("ch05 pooling: attention weights sum to 1 over valid words, 0 on padding; one word gets all") {
    Rng rng(1);
    PoolProblem p = pool_problem(rng);
    const int B = p.B, T = p.T, D = p.D, A = p.A;
    // every output followed by a guard of 7 that must stay: nothing is written past B rows
    Buf ctx(B * D + 1), alpha(B * T + 1), scores(B * T + 1), keys(B * T * A + 1), q(B * A + 1), th(B * T * A + 1);
    for (Buf* g : {&ctx, &alpha, &scores, &keys, &q, &th}) g->back() = 7.0f;
    attention_pool_forward(ctx.data(), alpha.data(), scores.data(), keys.data(), q.data(), th.data(),
                           p.h.data(), p.U.data(), p.u.data(), p.v.data(), p.len.data(), B, T, D, A);
    for (Buf* g : {&ctx, &alpha, &scores, &keys, &q, &th}) CHECK(g->back() == 7.0f);
    for (int b = 0; b < B; b++) {
        double s = 0;
        for (int i = 0; i < T; i++) {
            if (i >= p.len[b]) CHECK(alpha[b * T + i] == 0.0f);
            s += alpha[b * T + i];
        }
        CHECK(s == doctest::Approx(1.0).epsilon(1e-6));
    }
    // row 1 has one word: α = 1 and the context is its state
    CHECK(alpha[1 * T] == doctest::Approx(1.0));
    for (int d = 0; d < D; d++) CHECK(ctx[1 * D + d] == doctest::Approx(p.h[(size_t)1 * T * D + d]));
    // the query is the same learned u on every row
    for (int b = 0; b < B; b++)
        for (int a = 0; a < A; a++) CHECK(q[b * A + a] == p.u[a]);
}

TEST_CASE("ch05 pooling: mean and last state, hand case") {
    const int B = 1, T = 3, D = 4;  // H = 2: [fwd fwd | bwd bwd]
    float h[T * D] = {1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0};
    int len[1] = {2};
    float c[D];
    mean_pool_forward(c, h, len, B, T, D);
    CHECK(c[0] == doctest::Approx(3.0));
    CHECK(c[3] == doctest::Approx(6.0));
    last_pool_forward(c, h, len, B, T, D);
    CHECK(c[0] == 5.0f);  // forward direction: after the last word (position 1)
    CHECK(c[1] == 6.0f);
    CHECK(c[2] == 3.0f);  // backward direction: after reading back to position 0
    CHECK(c[3] == 4.0f);
}

TEST_CASE("ch05 pooling: gradient checks of attention (h, U, u, v), mean and last pooling") {
    set_threads(1);
    Rng rng(5);
    PoolProblem p = pool_problem(rng);
    const int B = p.B, T = p.T, D = p.D, A = p.A;
    Buf ctx(B * D), alpha(B * T), scores(B * T), keys(B * T * A), q(B * A), th(B * T * A);
    auto att = [&] {
        attention_pool_forward(ctx.data(), alpha.data(), scores.data(), keys.data(), q.data(), th.data(),
                               p.h.data(), p.U.data(), p.u.data(), p.v.data(), p.len.data(), B, T, D, A);
        return testing::dot_double(ctx.data(), p.R.data(), ctx.size());
    };
    att();
    Buf dh(B * T * D, 0.0f), dU(A * D, 0.0f), du(A, 0.0f), dv(A, 0.0f);
    Buf scratch(attention_pool_scratch_size(B, T, A));
    attention_pool_backward(dh.data(), dU.data(), du.data(), dv.data(), p.R.data(), alpha.data(), th.data(),
                            p.h.data(), p.U.data(), p.v.data(), p.len.data(), B, T, D, A, scratch.data());
    for (int b = 0; b < B; b++)  // padding gets exactly zero gradient
        for (int i = p.len[b]; i < T; i++)
            for (int d = 0; d < D; d++) CHECK(dh[((size_t)b * T + i) * D + d] == 0.0f);
    testing::check_gradient("attention dU", att, p.U.data(), dU.data(), dU.size());
    testing::check_gradient("attention du", att, p.u.data(), du.data(), du.size());
    testing::check_gradient("attention dv", att, p.v.data(), dv.data(), dv.size());
    testing::check_gradient("attention dh", att, p.h.data(), dh.data(), dh.size());
    for (Pooling kind : {Pooling::Mean, Pooling::Last}) {
        auto pool = [&] {
            if (kind == Pooling::Mean)
                mean_pool_forward(ctx.data(), p.h.data(), p.len.data(), B, T, D);
            else
                last_pool_forward(ctx.data(), p.h.data(), p.len.data(), B, T, D);
            return testing::dot_double(ctx.data(), p.R.data(), ctx.size());
        };
        Buf g(B * T * D, 0.0f);
        if (kind == Pooling::Mean)
            mean_pool_backward(g.data(), p.R.data(), p.len.data(), B, T, D);
        else
            last_pool_backward(g.data(), p.R.data(), p.len.data(), B, T, D);
        testing::check_gradient(std::string(pooling_name(kind)) + " dh", pool, p.h.data(), g.data(),
                                g.size());
    }
    set_threads(0);
}

// The backwards ADD into dh (a layer below may have put its share there first): started from a
// buffer already holding 0.25 everywhere, each ends at 0.25 + the gradient it gives from zero.
TEST_CASE("ch05 pooling: the backwards add into dh, they do not overwrite it") {
    set_threads(1);
    Rng rng(6);
    PoolProblem p = pool_problem(rng);
    const int B = p.B, T = p.T, D = p.D, A = p.A;
    Buf ctx(B * D), alpha(B * T), scores(B * T), keys(B * T * A), q(B * A), th(B * T * A);
    attention_pool_forward(ctx.data(), alpha.data(), scores.data(), keys.data(), q.data(), th.data(), p.h.data(),
                           p.U.data(), p.u.data(), p.v.data(), p.len.data(), B, T, D, A);
    Buf scratch(attention_pool_scratch_size(B, T, A));
    for (Pooling kind : {Pooling::Attention, Pooling::Mean, Pooling::Last}) {
        const std::string pooling = pooling_name(kind);
        CAPTURE(pooling);
        auto backward = [&](float start) {
            Buf dh(B * T * D, start), dU(A * D, start), du(A, start), dv(A, start);
            if (kind == Pooling::Attention)
                attention_pool_backward(dh.data(), dU.data(), du.data(), dv.data(), p.R.data(), alpha.data(), th.data(),
                                        p.h.data(), p.U.data(), p.v.data(), p.len.data(), B, T, D, A, scratch.data());
            else if (kind == Pooling::Mean)
                mean_pool_backward(dh.data(), p.R.data(), p.len.data(), B, T, D);
            else
                last_pool_backward(dh.data(), p.R.data(), p.len.data(), B, T, D);
            Buf all = dh;
            for (const Buf* g : {&dU, &du, &dv}) all.insert(all.end(), g->begin(), g->end());
            return all;
        };
        const Buf from0 = backward(0.0f), from_quarter = backward(0.25f);
        for (size_t i = 0; i < from0.size(); i++) CHECK(from_quarter[i] == doctest::Approx(from0[i] + 0.25f).epsilon(1e-5));
    }
    set_threads(0);
}

// ---- the whole model ----------------------------------------------------------------------------
static std::vector<Example> tiny_examples(const NgramVocab& v) {
    std::vector<Example> ex = {{"", {"stocks", "fall", "again"}, {}, {}, 2},
                               {"", {"team"}, {}, {}, 1},
                               {"", {"new", "chip", "unseen", "words", "here"}, {}, {}, 3}};
    for (Example& e : ex) encode(e, v);
    return ex;
}
static NgramVocab tiny_vocab() {
    return NgramVocab::build({{"stocks", "team", "chip", "stocks", "team", "chip"}}, 2, 0, 7, 2, 3);
}

TEST_CASE("ch05 model: gradient check of the whole classifier, each pooling (mixed lengths)") {
    set_threads(1);
    NgramVocab v = tiny_vocab();
    std::vector<Example> ex = tiny_examples(v);
    TextBatch tb;
    make_text_batch(tb, ex, {0, 1, 2});
    CHECK(tb.T == 5);
    for (Pooling kind : {Pooling::Attention, Pooling::Mean, Pooling::Last}) {
        INFO("pooling " << std::string(pooling_name(kind)));
        ClassifierConfig c;
        c.Vi = v.size(), c.V = 4, c.E = 4, c.H = 3, c.A = 3, c.M = 5, c.pooling = kind;
        Rng rng(12);
        Classifier m;
        classifier_build(m, c, rng);
        for (size_t i = 0; i < m.emb.size; i++) m.emb.data[i] *= 5;  // larger activations: a sharper check
        // no ReLU unit of fc1 within a step of its kink (where finite differences are wrong, not the
        // backward)
        for (int k = 0; k < c.M; k++) m.b1.data[k] = 0.3f;
        ClassifierActs a;
        classifier_reserve(a, c, 3, 5);
        classifier_forward(m, a, tb, rng, false);
        m.params.zero_grad();
        classifier_backward(m, a, tb);
        Buf analytic = m.params.grad;
        auto loss = [&] { return (double)classifier_forward(m, a, tb, rng, false); };
        GradCheckOptions o;
        o.eps = 1e-3;  // small steps: a step of 1e-2 crosses the kink of a ReLU unit near 0
        for (const auto& e : m.params.entries())
            testing::check_gradient(e.name, loss, m.params.data(e), analytic.data() + e.offset, e.size, o);
    }
    set_threads(0);
}

// A small synthetic keyword task, encoded.
static TextData small_synthetic(int n) {
    TextData d = load_text_data("synthetic", "", 3, n);
    build_vocab(d, 500, 3, 4);
    encode_all(d);
    return d;
}

static Buf train_weights(int threads, int epochs, const TextData& d, double* val_acc = nullptr) {
    set_threads(threads);
    ClassifierConfig c;
    c.Vi = d.vocab.size(), c.V = 4, c.E = 16, c.H = 16, c.A = 8, c.M = 16;
    Rng rng(9);
    Classifier m;
    classifier_build(m, c, rng);
    ClassifierActs a;
    classifier_reserve(a, c, 64, longest_text({&d.train, &d.val}));
    Adam opt = make_adam(m.params, 5e-3f);
    for (int e = 0; e < epochs; e++)
        train_epoch(
            m, a, opt, d.train, 32, 5.0f, 0.1f, rng, [](long) { return 5e-3f; }, nullptr);
    if (val_acc) *val_acc = evaluate(m, a, d.val, 64).acc;
    set_threads(0);
    return m.params.value;
}

TEST_CASE("ch05 determinism: the same weights after training on 1, 2 and 3 threads") {
    TextData d = small_synthetic(400);
    Buf w1 = train_weights(1, 1, d), w2 = train_weights(2, 1, d), w3 = train_weights(3, 1, d);
    REQUIRE(w1.size() == w2.size());
    CHECK(std::memcmp(w1.data(), w2.data(), w1.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(w1.data(), w3.data(), w1.size() * sizeof(float)) == 0);
}

TEST_CASE("ch05 training: attention pooling finds the keyword of the synthetic task") {
    TextData d = small_synthetic(1500);
    double acc = 0;
    train_weights(2, 6, d, &acc);
    CHECK(acc > 0.6);  // chance is 0.25; a bag of words, fooled by the negated decoys, reaches about 0.75
}

TEST_CASE("ch05 checkpoint: tokenisation, classes, dataset and weights come back") {
    TextData d = small_synthetic(300);
    ClassifierConfig c;
    c.Vi = d.vocab.size(), c.V = 4, c.E = 8, c.H = 4, c.A = 4, c.M = 4, c.pooling = Pooling::Mean;
    Rng rng(2);
    Classifier m;
    classifier_build(m, c, rng);
    Adam opt = make_adam(m.params, 1e-3f);
    const std::string path = testing::temp_path("05", "model.ckpt");
    save_checkpoint(path, m, opt, rng, 3, d);
    CheckpointInfo info = read_checkpoint_info(path);
    CHECK(info.dataset == "synthetic");
    CHECK(info.class_names == d.class_names);
    CHECK(info.pooling == Pooling::Mean);
    CHECK((info.E == 8 && info.H == 4 && info.A == 4 && info.M == 4));
    CHECK(info.vocab.serialize() == d.vocab.serialize());
    Classifier m2;
    Rng rng2(99);
    classifier_build(m2, c, rng2);
    Adam opt2 = make_adam(m2.params, 1e-3f);
    CHECK(load_checkpoint(path, m2, opt2, rng2) == 3);
    CHECK(std::memcmp(m.params.value.data(), m2.params.value.data(), m.params.value.size() * sizeof(float)) ==
          0);
    ClassifierConfig other = c;
    other.pooling = Pooling::Attention;
    Classifier m3;
    classifier_build(m3, other, rng2);
    Adam opt3 = make_adam(m3.params, 1e-3f);
    CHECK(error_of([&] { load_checkpoint(path, m3, opt3, rng2); }).find("a checkpoint of this model") !=
          std::string::npos);
}

// ---- --eval-file bad inputs -----------------------------------------------------------------------
static TextData ag_model_data() {
    TextData d;
    d.name = "ag_news";
    d.class_names = {"World", "Sports", "Business", "Sci/Tech"};
    d.vocab = NgramVocab::build({{"stocks", "stocks"}}, 2, 0, 50, 3, 4);
    return d;
}
static std::string eval_error(const std::string& name, const std::string& content) {
    const std::string path = testing::write_temp_file("05", name, content);
    TextData d = ag_model_data();
    return error_of([&] { load_eval_file(path, d); });
}

TEST_CASE("ch05 --eval-file: both AG layouts read, unseen words encoded") {
    TextData d = ag_model_data();
    auto a = load_eval_file(
        testing::write_temp_file("05", "mwml.csv", "y,X\nBusiness,Stocks rally\nWorld,Qwzx vote\n"), d);
    REQUIRE(a.size() == 2);
    CHECK(a[1].label == 0);
    CHECK(a[1].ids.size() > 1);  // <unk> + n-grams
    auto b = load_eval_file(
        testing::write_temp_file("05", "off.csv", "\"3\",\"Stocks #39;s rally\",\"desc\"\n"), d);
    REQUIRE(b.size() == 1);
    CHECK(b[0].label == 2);
    CHECK(b[0].text == "Stocks's rally");
}

TEST_CASE("ch05 --eval-file: wrong class numbers, class names, empty titles name the file and line") {
    std::string e = eval_error("class5.csv", "\"3\",\"a\",\"b\"\n\"5\",\"c\",\"d\"\n");
    CHECK(e.find("class5.csv:2") != std::string::npos);
    CHECK(e.find("1..4") != std::string::npos);
    e = eval_error("name.csv", "y,X\nBusiness,fine\nFinance,bad\n");
    CHECK(e.find("name.csv:3") != std::string::npos);
    e = eval_error("empty.csv", "y,X\nBusiness,fine\nWorld,\"  \"\n");
    CHECK(e.find("empty.csv:3") != std::string::npos);
    CHECK(e.find("non-empty") != std::string::npos);
    e = eval_error("empty_off.csv", "\"1\",\"\",\"desc\"\n");
    CHECK(e.find("empty_off.csv:1") != std::string::npos);
}

TEST_CASE("ch05 --eval-file: a tweets file given to an AG News model is refused") {
    std::string e = eval_error("tw.csv", "tweet_id,airline_sentiment,text\n1,negative,@united late again\n");
    CHECK(e.find("tw.csv") != std::string::npos);
    CHECK(e.find("a tweets file") != std::string::npos);
    CHECK(e.find("ag_news") != std::string::npos);
}

TEST_CASE("ch05 --eval-file: malformed and missing files are clear errors") {
    std::string e = eval_error("quote.csv", "y,X\nBusiness,\"never closed\nWorld,x\n");
    CHECK(e.find("quote.csv:2") != std::string::npos);
    e = eval_error("fields.csv", "y,X\nBusiness,a,b\n");
    CHECK(e.find("fields.csv:2") != std::string::npos);
    e = eval_error("one.csv", "just one field\n");
    CHECK(e.find("one.csv:1") != std::string::npos);
    e = eval_error("empty_file.csv", "");
    CHECK(e.find("empty_file.csv") != std::string::npos);
    TextData d = ag_model_data();
    CHECK(error_of([&] { load_eval_file("/nonexistent/x.csv", d); }).find("no such file") !=
          std::string::npos);
}
