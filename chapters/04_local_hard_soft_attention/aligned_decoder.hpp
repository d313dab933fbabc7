// aligned_decoder.hpp — chapter 04's model as the search sees it (chapters/01_seq2seq/decoding.hpp).
// Its live rows are chapter 03's decoder's (LuongDecoder: h, h̃, the sentence's keys and values, the step
// counter t); a step is that decoder's begin_step → the very step training uses (aligned_step_forward,
// with no sampling: hard attention takes the argmax) → its end_step. Only the variant's own cache is
// held here.
//
// Shape legend: N encoded sentences, n live rows (≤ n_max), S source positions, A local-p predictor size.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/03_multiplicative_attention/luong_decoder.hpp"
#include "chapters/04_local_hard_soft_attention/aligned_luong.hpp"

namespace ch04 {

struct AlignedDecoder {
    const AlignedLuong& m;
    LuongDecoder dec;           // chapter 03's rows, step counter and step buffers (and the α it records)
    Alignments* distribution;   // hard attention, when set: π_t of every step, appended to its sentence's rows
    Buf p, z, soft, bhat;       // the variant's cache for n rows (AlignStepCache)
    std::vector<int> idx;

    AlignedDecoder(const AlignedLuong& model, const LuongMemory& mem, int n_max, Alignments* attention = nullptr,
                   Alignments* dist = nullptr)
        : m(model), dec(model.net, mem, n_max, attention), distribution(dist) {
        const size_t n = n_max;
        p.resize(n), z.resize(n * m.net.cfg.A), soft.resize(n * mem.S), bhat.resize(n), idx.resize(n);
        if (distribution) distribution->assign(mem.N, {});
    }
    void start(const int* sentences, int n) { dec.start(sentences, n); }
    void step(float* logp, const int* tokens, int n) {
        const int S = dec.S;
        dec.begin_step(tokens, n);
        AlignStepCache ac{p.data(), z.data(), soft.data(), idx.data(), bhat.data(), nullptr, nullptr};
        aligned_step_forward(dec.h_new.data(), dec.out.data(), dec.cache(), ac, m, dec.emb.data(), dec.htil.data(),
                             dec.h.data(), dec.keys.data(), dec.values.data(), dec.len.data(), dec.t, n, S, 1,
                             dec.gru_scratch.data(), nullptr);
        if (distribution && m.ac.attention == Attention::hard)
            for (int r = 0; r < n; r++)
                (*distribution)[dec.sent[r]].emplace_back(soft.begin() + (size_t)r * S,
                                                          soft.begin() + (size_t)r * S + dec.len[r]);
        dec.end_step(logp, n);
    }
    void reorder(const int* parents, int n) { dec.reorder(parents, n); }
};

// Translate sentences (normalised text): encode them in one batch, then search (decoding.hpp). With
// `attention` (and, for hard attention, `distribution`): greedy, one sentence at a time, also each
// sentence's weights α (and π): one row per output token, one column per source token incl. <eos>.
inline std::vector<Hypothesis> aligned_translate(const AlignedLuong& m, const Vocab& src_vocab,
                                                 const std::vector<std::string>& srcs, int beam, float alpha,
                                                 Alignments* attention = nullptr, Alignments* distribution = nullptr) {
    TokenBatch tb = source_batch(src_vocab, srcs);
    if (tb.B == 0) return {};
    LuongMemory mem;
    luong_encode_sentences(mem, m.net, tb);
    const bool alone = attention || distribution;
    AlignedDecoder dec(m, mem, alone ? 1 : std::max(mem.N, beam), attention, distribution);
    return translate_encoded(dec, mem.len, m.net.cfg.Vt, alone ? 1 : beam, alpha, alone);
}

}  // namespace ch04
