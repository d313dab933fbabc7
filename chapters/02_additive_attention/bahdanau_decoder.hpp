// bahdanau_decoder.hpp — chapter 02's model as the search sees it (chapters/01_seq2seq/decoding.hpp):
// a decoder whose live rows each hold s_{t−1} and point at their sentence's encoder outputs, advanced by
// the very step training uses (bahdanau_step_forward), then the output layer and a log-softmax.
//
// Shape legend: N encoded sentences, n live rows (≤ n_max), S source positions, A attention size,
// H hidden, E embedding, X = E + 2H, Vt target vocabulary.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/02_additive_attention/bahdanau_seq2seq.hpp"

namespace ch02 {

// The encoder's outputs for N sentences (bahdanau_encode), which the decoder reads.
struct BahdanauMemory {
    int N = 0, S = 0;
    std::vector<int> len;  // (N)
    BahdanauActs acts;     // keys (N,S,A), enc_out = the values (N,S,2H), s0 (N,H)
};
inline void bahdanau_encode_sentences(BahdanauMemory& mem, Bahdanau& m, const TokenBatch& tb) {
    mem.N = tb.B, mem.S = tb.T, mem.len = tb.lengths;
    bahdanau_reserve(mem.acts, m.cfg, tb.B, tb.T, 1);  // encoder only: T = 1
    bahdanau_encode(m, mem.acts, tb.ids.data(), tb.lengths.data(), tb.B, tb.T);
}

struct BahdanauDecoder {
    const Bahdanau& m;
    const BahdanauMemory& mem;
    Alignments* attention;  // when set: α of every step, appended to its sentence's rows
    int S;
    // per live row: its sentence, s_{t−1}, that sentence's keys, values and length
    std::vector<int> sent, len;
    Buf s, keys, values;
    // one step's cache and outputs (bahdanau_step_forward), and scratch
    Buf q, th, alpha, scores, ctx, x, gates, ghn, emb, s_new, out, logits, gru_scratch, spare;

    BahdanauDecoder(const Bahdanau& model, const BahdanauMemory& memory, int n_max, Alignments* att = nullptr)
        : m(model), mem(memory), attention(att), S(memory.S) {
        const size_t n = n_max, H = m.cfg.H, A = m.cfg.A, E = m.cfg.E;
        sent.resize(n), len.resize(n), s.resize(n * H), keys.resize(n * S * A), values.resize(n * S * 2 * H);
        q.resize(n * A), th.resize(n * S * A), alpha.resize(n * S), scores.resize(n * S), ctx.resize(n * 2 * H);
        x.resize(n * (E + 2 * H)), gates.resize(n * 3 * H), ghn.resize(n * H), emb.resize(n * E);
        s_new.resize(n * H), out.resize(n * 3 * H), logits.resize(n * m.cfg.Vt);
        gru_scratch.resize(gru_cell_scratch_size(n_max, m.cfg.H));
        if (attention) attention->assign(mem.N, {});
    }
    // Row r translates sentence sentences[r], from s_0.
    void start(const int* sentences, int n) {
        if ((size_t)n > sent.size()) fail("BahdanauDecoder", "at most the n_max rows it was built for");
        const size_t H = m.cfg.H, SA = (size_t)S * m.cfg.A, SD = (size_t)S * 2 * H;
        for (int r = 0; r < n; r++) {
            const int k = sentences[r];
            sent[r] = k, len[r] = mem.len[k];
            std::copy_n(mem.acts.s0.data() + k * H, H, s.data() + r * H);
            std::copy_n(mem.acts.keys.data() + k * SA, SA, keys.data() + r * SA);
            std::copy_n(mem.acts.enc_out.data() + k * SD, SD, values.data() + r * SD);
        }
    }
    void step(float* logp, const int* tokens, int n) {
        const int E = m.cfg.E, H = m.cfg.H, V = m.cfg.Vt;
        embedding_forward(emb.data(), tokens, m.tgt_emb.data, n, E, V);  // E_tgt[y_{t−1}]
        BahdanauStepCache c{q.data(), th.data(), alpha.data(), scores.data(), ctx.data(), x.data(), gates.data(),
                            ghn.data()};
        bahdanau_step_forward(s_new.data(), out.data(), c, m, emb.data(), s.data(), keys.data(), values.data(),
                              len.data(), n, S, 1, gru_scratch.data());
        linear_forward(logits.data(), out.data(), m.W_out.data, m.b_out.data, n, 3 * H, V);  // W_out [s_t ; c_t] + b
        log_softmax_forward(logp, logits.data(), n, V);
        s.swap(s_new);
        if (attention)
            for (int r = 0; r < n; r++)
                (*attention)[sent[r]].emplace_back(alpha.begin() + (size_t)r * S, alpha.begin() + (size_t)r * S + len[r]);
    }
    void reorder(const int* parents, int n) {
        const size_t H = m.cfg.H;
        gather_rows(s, spare, H, parents, n);
        gather_rows(keys, spare, (size_t)S * m.cfg.A, parents, n);
        gather_rows(values, spare, (size_t)S * 2 * H, parents, n);
        gather_rows(sent, parents, n), gather_rows(len, parents, n);
    }
};

// Translate sentences (normalised text): encode them in one batch, then search (decoding.hpp).
// With `attention` (greedy, one sentence at a time), also each sentence's weights α: one row per
// output token, one column per source token incl. <eos>.
inline std::vector<Hypothesis> bahdanau_translate(Bahdanau& m, const Vocab& src_vocab,
                                                  const std::vector<std::string>& srcs, int beam, float alpha,
                                                  Alignments* attention = nullptr) {
    TokenBatch tb = source_batch(src_vocab, srcs);
    if (tb.B == 0) return {};
    BahdanauMemory mem;
    bahdanau_encode_sentences(mem, m, tb);
    BahdanauDecoder dec(m, mem, attention ? 1 : std::max(mem.N, beam), attention);
    return translate_encoded(dec, mem.len, m.cfg.Vt, attention ? 1 : beam, alpha, attention != nullptr);
}

}  // namespace ch02
