// luong_decoder.hpp — chapter 03's model as the search sees it (chapters/01_seq2seq/decoding.hpp): a
// decoder whose live rows each hold h_{t−1} and h̃_{t−1} (input feeding) and their sentence's keys and
// values, advanced by the very step training uses (luong_step_forward), then the output layer and a
// log-softmax.
//
// A step is begin_step (the embeddings of the tokens) → the model's step → end_step (output layer,
// the weights for the heatmaps, the rows move on). Chapter 04's decoder keeps this one's rows and runs
// its own step between the same two pieces.
//
// Shape legend: N encoded sentences, n live rows (≤ n_max), S source positions, K key size, H hidden,
// E embedding, A concat attention size, Vt target vocabulary.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/03_multiplicative_attention/luong_seq2seq.hpp"

namespace ch03 {

// The encoder's outputs for N sentences (luong_encode), which the decoder reads.
struct LuongMemory {
    int N = 0, S = 0;
    std::vector<int> len;  // (N)
    LuongActs acts;        // keys (N,S,K), hbar = the values (N,S,H), h[0] = h_0 (N,H)
};
inline void luong_encode_sentences(LuongMemory& mem, const Luong& m, const TokenBatch& tb) {
    mem.N = tb.B, mem.S = tb.T, mem.len = tb.lengths;
    luong_reserve(mem.acts, m.cfg, tb.B, tb.T, 1);  // encoder only: T = 1
    luong_encode(m, mem.acts, tb.ids.data(), tb.lengths.data(), tb.B, tb.T);
}

struct LuongDecoder {
    const Luong& m;
    const LuongMemory& mem;
    Alignments* attention;  // when set: α of every step, appended to its sentence's rows
    int S;
    int t = 0;  // the step every live row is at (0 after start): chapter 04's local-m centres its window on it
    // per live row: its sentence, h_{t−1}, h̃_{t−1}, that sentence's keys, values and length
    std::vector<int> sent, len;
    Buf h, htil, keys, values;
    // one step's cache (luong_step_forward), its outputs, scratch
    Buf x, gates, ghn, e, th, q, alpha, ctx, cat, emb, h_new, htil_new, out, logits, gru_scratch, spare;

    LuongDecoder(const Luong& model, const LuongMemory& memory, int n_max, Alignments* att = nullptr)
        : m(model), mem(memory), attention(att), S(memory.S) {
        const size_t n = n_max, H = m.cfg.H, A = m.cfg.A, K = m.cfg.K();
        sent.resize(n), len.resize(n), h.resize(n * H), htil.resize(n * H), keys.resize(n * S * K);
        values.resize(n * S * H), x.resize(n * m.cfg.X()), gates.resize(n * 3 * H), ghn.resize(n * H);
        e.resize(n * S), th.resize(m.cfg.score == LuongScore::concat ? n * S * A : 0), q.resize(n * A);
        alpha.resize(n * S), ctx.resize(n * H), cat.resize(n * 2 * H), emb.resize(n * m.cfg.E);
        h_new.resize(n * H), htil_new.resize(n * H), out.resize(n * H), logits.resize(n * m.cfg.Vt);
        gru_scratch.resize(gru_cell_scratch_size(n_max, m.cfg.H));
        if (attention) attention->assign(mem.N, {});
    }
    // Row r translates sentence sentences[r], from h_0 and h̃_0 = 0.
    void start(const int* sentences, int n) {
        if ((size_t)n > sent.size()) fail("LuongDecoder", "at most the n_max rows it was built for");
        const size_t H = m.cfg.H, SK = (size_t)S * m.cfg.K(), SH = (size_t)S * H;
        for (int r = 0; r < n; r++) {
            const int k = sentences[r];
            sent[r] = k, len[r] = mem.len[k];
            std::copy_n(mem.acts.h.data() + k * H, H, h.data() + r * H);
            std::fill_n(htil.data() + r * H, H, 0.0f);
            std::copy_n(mem.acts.keys.data() + k * SK, SK, keys.data() + r * SK);
            std::copy_n(mem.acts.hbar.data() + k * SH, SH, values.data() + r * SH);
        }
        t = 0;
    }
    void step(float* logp, const int* tokens, int n) {
        begin_step(tokens, n);
        luong_step_forward(h_new.data(), out.data(), cache(), m, emb.data(), htil.data(), h.data(), keys.data(),
                           values.data(), len.data(), n, S, 1, gru_scratch.data());
        end_step(logp, n);
    }
    void reorder(const int* parents, int n) {
        const size_t H = m.cfg.H;
        gather_rows(h, spare, H, parents, n), gather_rows(htil, spare, H, parents, n);
        gather_rows(keys, spare, (size_t)S * m.cfg.K(), parents, n);
        gather_rows(values, spare, (size_t)S * H, parents, n);
        gather_rows(sent, parents, n), gather_rows(len, parents, n);
    }

    // ---- the pieces of a step, around the model's step function ----
    LuongStepCache cache() {
        return {x.data(),     gates.data(), ghn.data(), e.data(),   th.empty() ? nullptr : th.data(),
                q.data(),     alpha.data(), ctx.data(), cat.data(), htil_new.data()};
    }
    void begin_step(const int* tokens, int n) {  // E_tgt[y_{t−1}] of each row
        embedding_forward(emb.data(), tokens, m.tgt_emb.data, n, m.cfg.E, m.cfg.Vt);
    }
    // After the step wrote h_new, htil_new, out and alpha: log p(y_t | ...) = log softmax(W_s h̃_t + b_s).
    void end_step(float* logp, int n) {
        const int H = m.cfg.H, V = m.cfg.Vt;
        linear_forward(logits.data(), out.data(), m.W_out.data, m.b_out.data, n, H, V);
        log_softmax_forward(logp, logits.data(), n, V);
        if (attention)
            for (int r = 0; r < n; r++)
                (*attention)[sent[r]].emplace_back(alpha.begin() + (size_t)r * S, alpha.begin() + (size_t)r * S + len[r]);
        h.swap(h_new), htil.swap(htil_new);
        t++;
    }
};

// Translate sentences (normalised text): encode them in one batch, then search (decoding.hpp).
// With `attention` (greedy, one sentence at a time), also each sentence's weights α: one row per
// output token, one column per source token incl. <eos>.
inline std::vector<Hypothesis> luong_translate(const Luong& m, const Vocab& src_vocab,
                                               const std::vector<std::string>& srcs, int beam, float alpha,
                                               Alignments* attention = nullptr) {
    TokenBatch tb = source_batch(src_vocab, srcs);
    if (tb.B == 0) return {};
    LuongMemory mem;
    luong_encode_sentences(mem, m, tb);
    LuongDecoder dec(m, mem, attention ? 1 : std::max(mem.N, beam), attention);
    return translate_encoded(dec, mem.len, m.cfg.Vt, attention ? 1 : beam, alpha, attention != nullptr);
}

}  // namespace ch03
