// Chapter 07's decoding: the incremental decoder (key/value cache) gives the log-probabilities of
// recomputing the whole prefix at every step, of greedy and beam search alike; it reproduces teacher
// forcing; reorder moves each row's cache; greedy = beam 1; a batch of greedy rows = one at a time.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chapters/07_transformer/incremental_decoder.hpp"
#include "tests/07_transformer/tiny_transformer.hpp"
#include "tests/seq2seq_testing.hpp"

using namespace attn;
using namespace ch07;
using namespace ch07_testing;

namespace {
// Both decoders in step: every call goes to each, and each step's log-probabilities are compared.
struct TwinDecoder {
    TransformerDecoder on, off;
    double max_diff = 0;
    int steps = 0, reorders = 0;
    Buf other;
    TwinDecoder(const Transformer& m, const TransformerMemory& mem, int rows, int max_len)
        : on(m, mem, rows, max_len, Cache::On), off(m, mem, rows, max_len, Cache::Off) {}
    void start(const int* sentences, int n) { on.start(sentences, n), off.start(sentences, n); }
    void step(float* logp, const int* tokens, int n) {
        const size_t nv = (size_t)n * on.m.cfg.Vt;
        other.resize(nv);
        on.step(logp, tokens, n), off.step(other.data(), tokens, n);
        for (size_t i = 0; i < nv; i++) max_diff = std::max(max_diff, (double)std::fabs(logp[i] - other[i]));
        steps++;
    }
    void reorder(const int* parents, int n) { on.reorder(parents, n), off.reorder(parents, n), reorders++; }
};

std::vector<std::string> val_sources(const ch01::Seq2SeqData& d, int n) {
    std::vector<std::string> srcs;
    for (int i = 0; i < n; i++) srcs.push_back(d.pairs.pairs[d.split.val[i]].src);
    return srcs;
}
int longest_output(const TransformerMemory& mem) {
    int longest = 0;
    for (int L : mem.len) longest = std::max(longest, ch01::max_output_len(L));
    return longest;
}
}  // namespace

TEST_CASE("incremental decoding: the key/value cache gives the recomputed log-probabilities at every step") {
    const SyntheticModel& t = trained_on_synthetic();
    const int V = t.m.cfg.Vt;
    const std::vector<std::string> srcs = val_sources(t.d, 8);
    TransformerMemory mem;
    transformer_encode_sentences(mem, t.m, ch01::source_batch(t.d.src_vocab, srcs));
    SUBCASE("greedy, 8 sentences at once (rows leave as they finish)") {
        TwinDecoder twin(t.m, mem, mem.N, longest_output(mem));
        std::vector<int> all(mem.N);
        for (int i = 0; i < mem.N; i++) all[i] = i;
        twin.start(all.data(), mem.N);
        auto hyps = ch01::greedy_decode(twin, mem.N, V, longest_output(mem));
        MESSAGE("greedy: " << twin.steps << " steps, " << twin.reorders << " reorders, max |Δ log p| " << twin.max_diff);
        CHECK(twin.steps >= 4);
        CHECK(twin.reorders >= 1);  // some rows finished before others
        CHECK(twin.max_diff < 1e-4);
        for (const auto& h : hyps) CHECK(h.finished);
    }
    SUBCASE("beam search (beam 3), one sentence at a time") {
        TwinDecoder twin(t.m, mem, 3, longest_output(mem));
        for (int r = 0; r < 3; r++) {
            twin.start(&r, 1);
            ch01::beam_search(twin, V, 3, ch01::max_output_len(mem.len[r]), 1.0f);
        }
        MESSAGE("beam 3: " << twin.steps << " steps, " << twin.reorders << " reorders, max |Δ log p| " << twin.max_diff);
        CHECK(twin.reorders >= 3);
        CHECK(twin.max_diff < 1e-4);
    }
}

TEST_CASE("incremental decoding: transformer_translate with and without the cache gives the same hypotheses") {
    const SyntheticModel& t = trained_on_synthetic();
    const std::vector<std::string> srcs = val_sources(t.d, 6);
    for (int beam : {1, 3}) {
        INFO("beam " << beam);
        const auto on = transformer_translate(t.m, t.d.src_vocab, srcs, beam, 1.0f, Cache::On);
        const auto off = transformer_translate(t.m, t.d.src_vocab, srcs, beam, 1.0f, Cache::Off);
        REQUIRE(on.size() == srcs.size());
        REQUIRE(off.size() == srcs.size());
        for (size_t i = 0; i < srcs.size(); i++) {
            CHECK(on[i].tokens == off[i].tokens);
            CHECK(on[i].score == doctest::Approx(off[i].score).epsilon(1e-4));
            CHECK(on[i].logprob == doctest::Approx(off[i].logprob).epsilon(1e-4));
        }
    }
}

TEST_CASE("incremental decoding: the step function reproduces teacher forcing") {
    const SyntheticModel& t = trained_on_synthetic();
    for (int k = 0; k < 3; k++) {
        const std::vector<int> one = {t.d.split.val[k]};
        const Seq2SeqBatch b = ch01::make_seq2seq_batch(t.d.src_ids, t.d.tgt_ids, one);
        TransformerActs a;
        Rng unused(0);
        const float loss = transformer_forward(t.m, a, b, unused, false);  // no smoothing in evaluation
        ch01::TokenBatch tb;
        tb.B = 1, tb.T = b.S, tb.ids = b.src, tb.lengths = b.src_len;
        TransformerMemory mem;
        transformer_encode_sentences(mem, t.m, tb);
        for (Cache cache : {Cache::On, Cache::Off}) {
            TransformerDecoder dec(t.m, mem, 1, b.T, cache);
            int zero = 0;
            dec.start(&zero, 1);
            Buf lp(t.m.cfg.Vt);
            double sum = 0;
            for (int s = 0; s < b.T; s++) {
                dec.step(lp.data(), &b.dec_in[s], 1);
                sum -= lp[b.dec_out[s]];
            }
            INFO("sentence " << k << std::string(cache == Cache::On ? ", cache on" : ", cache off"));
            CHECK(loss == doctest::Approx(sum / b.T).epsilon(1e-5));
        }
    }
}

TEST_CASE("incremental decoding: reorder by parent equals decoding each prefix alone (cache on and off)") {
    const SyntheticModel& t = trained_on_synthetic();
    TransformerMemory mem;
    transformer_encode_sentences(mem, t.m, ch01::source_batch(t.d.src_vocab, val_sources(t.d, 2)));
    for (Cache cache : {Cache::On, Cache::Off}) {
        INFO(std::string(cache == Cache::On ? "cache on" : "cache off"));
        seq2seq_testing::check_reorder_equals_alone([&](int n) { return TransformerDecoder(t.m, mem, n, 4, cache); },
                                                    t.m.cfg.Vt);
    }
}

TEST_CASE("decoding: greedy = beam 1; a batch of greedy rows = each sentence alone") {
    const SyntheticModel& t = trained_on_synthetic();
    const int V = t.m.cfg.Vt;
    const std::vector<std::string> srcs = val_sources(t.d, 8);
    TransformerMemory mem;
    transformer_encode_sentences(mem, t.m, ch01::source_batch(t.d.src_vocab, srcs));
    TransformerDecoder dec(t.m, mem, 1, longest_output(mem), Cache::On);
    std::vector<ch01::Hypothesis> single;
    for (int r = 0; r < mem.N; r++) {
        const int max_len = ch01::max_output_len(mem.len[r]);
        dec.start(&r, 1);
        single.push_back(ch01::greedy_decode(dec, 1, V, max_len)[0]);
        dec.start(&r, 1);
        const auto beam1 = ch01::beam_search(dec, V, 1, max_len);
        CHECK(beam1[0].tokens == single[r].tokens);
        CHECK(beam1[0].logprob == doctest::Approx(single[r].logprob).epsilon(1e-6));
    }
    const auto batch = transformer_translate(t.m, t.d.src_vocab, srcs, 1, 0.0f);  // greedy, every row at once
    REQUIRE(batch.size() == single.size());
    for (size_t i = 0; i < single.size(); i++) {
        // the batch may run longer than one sentence alone: its max_len is its longest source's
        REQUIRE(single[i].tokens.size() <= batch[i].tokens.size());
        CHECK(std::equal(single[i].tokens.begin(), single[i].tokens.end(), batch[i].tokens.begin()));
        if (single[i].finished) CHECK(batch[i].tokens.size() == single[i].tokens.size());
    }
}
