// incremental_decoder.hpp — chapter 07's model as the search sees it (chapters/01_seq2seq/decoding.hpp),
// in two ways that give the same numbers:
//
//   Cache::On   incremental decoding. Step t feeds ONE new token per row through the decoder stack. Its
//               self-attention needs the keys and values of every earlier position of that row: each
//               layer keeps them (K, V caches (rows, Tmax, C), one position appended per step), so
//               step t costs O(t) instead of recomputing t positions through every layer. The
//               cross-attention's keys and values depend on the source only: computed once per
//               sentence (encode), read by each row through its sentence index.
//   Cache::Off  recomputation: step t runs the training forward (transformer_decode) on the whole
//               prefix <bos> y_1 .. y_t of every row and keeps the last position's logits.
//
// reorder (beam search: a row becomes its parent's copy) moves each row's cache with it: the
// "state that grows by one position per step" that decoding.hpp's interface was shaped for.
// The causal mask makes the two ways equal: position t's output never depended on later positions,
// so the keys and values of positions < t are what they were when those positions were new.
//
// Shapes: N sentences, S source length, n live rows (≤ n_max), C width, NH heads, hs = C/NH, Vt vocabulary.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/07_transformer/transformer.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/softmax.hpp"

namespace ch07 {
using namespace ch01;

enum class Cache { On, Off };

// The encoder's outputs for N sentences, and each decoder layer's cross-attention keys and values.
struct TransformerMemory {
    int N = 0, S = 0;
    std::vector<int> len;            // (N)
    TransformerActs acts;            // acts.mem (N,S,C)
    std::vector<Buf> cross_k, cross_v;  // per decoder layer (N,S,C)
};
inline void transformer_encode_sentences(TransformerMemory& mem, const Transformer& m, const TokenBatch& tb) {
    const int C = m.cfg.C, n = tb.B * tb.T;
    mem.N = tb.B, mem.S = tb.T, mem.len = tb.lengths;
    mem.acts.resize(m.cfg, tb.B, tb.T, 1);
    Rng unused(0);
    transformer_encode(m, mem.acts, tb.ids.data(), tb.lengths.data(), tb.B, tb.T, unused, false);
    mem.cross_k.assign(m.cfg.dec_layers, Buf((size_t)n * C)), mem.cross_v.assign(m.cfg.dec_layers, Buf((size_t)n * C));
    for (int l = 0; l < m.cfg.dec_layers; l++) {  // K = mem W_kᵀ + b_k,  V = mem W_vᵀ + b_v, once
        const MHA& x = m.dec[l].cross_attn;
        linear_forward(mem.cross_k[l].data(), mem.acts.mem.data(), x.Wk.data, x.bk.data, n, C, C);
        linear_forward(mem.cross_v[l].data(), mem.acts.mem.data(), x.Wv.data, x.bv.data, n, C, C);
    }
}

// One query per row against that row's keys: o_r = Σ_j softmax_j(q_r·k_j/√hs) v_j for every head.
// Row r's keys are keys[r] (nkeys[r] positions, C floats apart), its values values[r].
inline void attend_one_query(float* o, const float* q, const float* const* keys, const float* const* values,
                             const int* nkeys, int n, int C, int NH) {
    // BEGIN SOLUTION
    const int hs = C / NH;
    const float scale = 1.0f / std::sqrt((float)hs);
    parallel_for(n, [&](int r0, int r1) {
        std::vector<float> w;
        for (int r = r0; r < r1; r++) {
            const int J = nkeys[r];
            const float *K = keys[r], *V = values[r];
            w.assign(J, 0.0f);
            for (int h = 0; h < NH; h++) {
                const float* qh = q + (size_t)r * C + h * hs;
                float mx = -INFINITY;
                for (int j = 0; j < J; j++) {  // s_j = q·k_j / √hs
                    float s = 0;
                    for (int d = 0; d < hs; d++) s += qh[d] * K[(size_t)j * C + h * hs + d];
                    w[j] = s * scale, mx = std::max(mx, w[j]);
                }
                float sum = 0;
                for (int j = 0; j < J; j++) w[j] = std::exp(w[j] - mx), sum += w[j];
                float* oh = o + (size_t)r * C + h * hs;
                std::fill_n(oh, hs, 0.0f);
                for (int j = 0; j < J; j++)  // o = Σ_j α_j v_j
                    for (int d = 0; d < hs; d++) oh[d] += w[j] / sum * V[(size_t)j * C + h * hs + d];
            }
        }
    });
    // END SOLUTION
}

struct TransformerDecoder {
    const Transformer& m;
    const TransformerMemory& mem;
    Cache cache;
    int n_max, Tmax, t = 0;           // t: positions decoded so far
    std::vector<int> sent, src_len, nself;  // per row: its sentence, that sentence's length, t + 1
    std::vector<const float*> krow, vrow;   // per row: where its keys and values are
    std::vector<Buf> K, V;            // per decoder layer (n_max, Tmax, C)     Cache::On
    std::vector<std::vector<int>> prefix;  // per row <bos> y_1 .. y_t           Cache::Off
    TransformerActs acts;             // Cache::Off: the training forward's buffers
    ResidualCache r1, r2, r3;
    FFNCache ffn;
    Buf x, y, q, kv_k, kv_v, o, a, h1, c, h2, f, z, zm, zr, logits, spare;
    Rng unused{0};

    TransformerDecoder(const Transformer& model, const TransformerMemory& memory, int rows, int max_len, Cache mode)
        : m(model), mem(memory), cache(mode), n_max(rows), Tmax(max_len + 1) {
        const size_t n = rows, C = m.cfg.C;
        sent.resize(n), src_len.resize(n), nself.resize(n), prefix.resize(n), krow.resize(n), vrow.resize(n);
        if (cache == Cache::On) K.assign(m.cfg.dec_layers, Buf(n * Tmax * C)), V = K;
        else presize_recomputation();
        for (Buf* b : {&x, &y, &q, &kv_k, &kv_v, &o, &a, &h1, &c, &h2, &f, &z}) b->resize(n * C);
        zm.resize(n), zr.resize(n), logits.resize(n * m.cfg.Vt);
        if (Tmax > m.cfg.Tmax) fail("TransformerDecoder", "outputs of at most Tmax=" + std::to_string(m.cfg.Tmax) + " tokens");
    }
    // Cache::Off: every buffer of the training forward at its size for the last step, once (grown step by
    // step instead, reallocating and first-touching them costs as much as the steps themselves).
    void presize_recomputation() {
        const int C = m.cfg.C, N = n_max * Tmax;
        acts.resize(m.cfg, n_max, mem.S, Tmax);
        for (DecoderCache& k : acts.dec_c) {
            k.resize(N, C), k.ffn.resize(N, m.cfg.F);
            for (ResidualCache* r : {&k.r1, &k.r2, &k.r3}) r->resize(N, C);
            k.self.resize(n_max, Tmax, Tmax, C, m.cfg.NH), k.cross.resize(n_max, Tmax, mem.S, C, m.cfg.NH);
        }
    }
    void start(const int* sentences, int n) {
        if (n > n_max) fail("TransformerDecoder", "at most the n_max rows it was built for");
        t = 0;
        for (int r = 0; r < n; r++) sent[r] = sentences[r], src_len[r] = mem.len[sentences[r]], prefix[r].clear();
    }
    void step(float* logp, const int* tokens, int n) {
        if (t + 1 > Tmax) fail("TransformerDecoder", "at most " + std::to_string(Tmax) + " steps");
        if (cache == Cache::On) step_cached(tokens, n);
        else step_recomputed(tokens, n);
        log_softmax_forward(logp, logits.data(), n, m.cfg.Vt);
        t++;
    }
    void reorder(const int* parents, int n) {
        gather_rows(sent, parents, n), gather_rows(src_len, parents, n);
        if (cache == Cache::Off) {
            std::vector<std::vector<int>> old = prefix;
            for (int r = 0; r < n; r++) prefix[r] = old[parents[r]];
            return;
        }
        const size_t C = m.cfg.C, row = (size_t)Tmax * C, used = (size_t)t * C;
        for (std::vector<Buf>* kv : {&K, &V})
            for (Buf& b : *kv) {  // the live part of each row moves with it (a parent may be read twice)
                spare.resize((size_t)n * used);
                for (int r = 0; r < n; r++) std::copy_n(b.data() + parents[r] * row, used, spare.data() + r * used);
                for (int r = 0; r < n; r++) std::copy_n(spare.data() + r * used, used, b.data() + r * row);
            }
    }

    // Step t, Cache::On: the decoder layer's three sublayers for one new position per row.
    void step_cached(const int* tokens, int n) {
        // BEGIN SOLUTION
        const TransformerConfig& cf = m.cfg;
        const int C = cf.C;
        embedding_forward(x.data(), tokens, m.tgt_emb.data, n, C, cf.Vt);
        const float scale = std::sqrt((float)C);
        for (int r = 0; r < n; r++)  // x = E[y_t]·√C + PE[t]
            for (int j = 0; j < C; j++) x[(size_t)r * C + j] = x[(size_t)r * C + j] * scale + m.pe[(size_t)t * C + j];
        for (int r = 0; r < n; r++) nself[r] = t + 1;
        const size_t row = (size_t)Tmax * C;
        for (int l = 0; l < cf.dec_layers; l++) {
            const DecoderLayer& L = m.dec[l];
            // 1. self-attention: this position's key and value join the row's cache, its query reads them all
            const float* in1 = residual_in(r1, x.data(), L.ln1, L.norm, n, C);
            const MHA& s = L.self_attn;
            linear_forward(q.data(), in1, s.Wq.data, s.bq.data, n, C, C);
            linear_forward(kv_k.data(), in1, s.Wk.data, s.bk.data, n, C, C);
            linear_forward(kv_v.data(), in1, s.Wv.data, s.bv.data, n, C, C);
            for (int r = 0; r < n; r++) {
                std::copy_n(kv_k.data() + (size_t)r * C, C, K[l].data() + r * row + (size_t)t * C);
                std::copy_n(kv_v.data() + (size_t)r * C, C, V[l].data() + r * row + (size_t)t * C);
            }
            for (int r = 0; r < n; r++) krow[r] = K[l].data() + r * row, vrow[r] = V[l].data() + r * row;
            attend_one_query(o.data(), q.data(), krow.data(), vrow.data(), nself.data(), n, C, L.NH);
            linear_forward(a.data(), o.data(), s.Wo.data, s.bo.data, n, C, C);
            residual_out(h1.data(), r1, x.data(), a.data(), L.ln1, L.norm, 0, unused, false, n, C);
            // 2. cross-attention: keys and values of the row's sentence, computed at encode time
            const float* in2 = residual_in(r2, h1.data(), L.ln2, L.norm, n, C);
            const MHA& x2 = L.cross_attn;
            linear_forward(q.data(), in2, x2.Wq.data, x2.bq.data, n, C, C);
            cross_attend(o.data(), l, n);
            linear_forward(c.data(), o.data(), x2.Wo.data, x2.bo.data, n, C, C);
            residual_out(h2.data(), r2, h1.data(), c.data(), L.ln2, L.norm, 0, unused, false, n, C);
            // 3. feed-forward
            const float* in3 = residual_in(r3, h2.data(), L.ln3, L.norm, n, C);
            ffn_forward(f.data(), ffn, L.ffn, in3, n);
            residual_out(y.data(), r3, h2.data(), f.data(), L.ln3, L.norm, 0, unused, false, n, C);
            x.swap(y);
        }
        final_norm_forward(z.data(), zm.data(), zr.data(), x.data(), m.dec_ln, cf.norm, n, C);
        linear_forward(logits.data(), z.data(), m.out_weight(), m.b_out.data, n, C, cf.Vt);
        // END SOLUTION
    }
    // The rows' queries against their sentences' cross-attention keys (one sentence may serve several rows).
    void cross_attend(float* out, int l, int n) {
        const size_t SC = (size_t)mem.S * m.cfg.C;
        for (int r = 0; r < n; r++)
            krow[r] = mem.cross_k[l].data() + sent[r] * SC, vrow[r] = mem.cross_v[l].data() + sent[r] * SC;
        attend_one_query(out, q.data(), krow.data(), vrow.data(), src_len.data(), n, m.cfg.C, m.dec[l].NH);
    }

    // Step t, Cache::Off: the whole prefix of every row through transformer_decode, the last position kept.
    void step_recomputed(const int* tokens, int n) {
        const TransformerConfig& cf = m.cfg;
        const int C = cf.C, T = t + 1, S = mem.S;
        acts.resize(cf, n, S, T);
        std::vector<int> dec_in((size_t)n * T);
        for (int r = 0; r < n; r++) {
            prefix[r].push_back(tokens[r]);
            std::copy(prefix[r].begin(), prefix[r].end(), dec_in.begin() + (size_t)r * T);
            std::copy_n(mem.acts.mem.data() + (size_t)sent[r] * S * C, (size_t)S * C, acts.mem.data() + (size_t)r * S * C);
        }
        transformer_decode(m, acts, dec_in.data(), src_len.data(), n, T, S, unused, false);
        for (int r = 0; r < n; r++)
            std::copy_n(acts.logits.data() + ((size_t)r * T + t) * cf.Vt, cf.Vt, logits.data() + (size_t)r * cf.Vt);
    }
};

// Translate sentences (normalised text): encode them in one batch, then search (decoding.hpp).
inline std::vector<Hypothesis> transformer_translate(const Transformer& m, const Vocab& src_vocab,
                                                     const std::vector<std::string>& srcs, int beam, float alpha,
                                                     Cache cache = Cache::On) {
    TokenBatch tb = source_batch(src_vocab, srcs);
    if (tb.B == 0) return {};
    TransformerMemory mem;
    transformer_encode_sentences(mem, m, tb);
    int longest = 0;
    for (int L : mem.len) longest = std::max(longest, max_output_len(L));
    TransformerDecoder dec(m, mem, std::max(mem.N, beam), longest, cache);
    return translate_encoded(dec, mem.len, m.cfg.Vt, beam, alpha);
}

}  // namespace ch07
