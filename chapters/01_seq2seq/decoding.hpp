// decoding.hpp — turning a trained decoder into sentences: greedy search, beam search, and the one
// translate routine every translation chapter uses (01–04, and 07's transformer).
//
// The search knows nothing about the model. A model plugs in through a DECODER: an object that holds
// the decoder state of every LIVE hypothesis, one row each, and answers three calls:
//
//   dec.start(sentences, n)         n live rows at t = 0, row i translating encoded sentence sentences[i]
//   dec.step(logp, tokens, n)       advance the n live rows by one token each:
//                                     tokens (n)   the token each row just emitted (<bos> at t = 0)
//                                     logp   (n,V) log p(next token | everything so far), per row
//   dec.reorder(parents, n)         the live rows become the old rows parents[0..n), in that order; a
//                                   row may be copied several times (beam search), others dropped
//
// What a row holds is the decoder's business: a GRU's h (chapter 01), h and the attentional vector
// h̃ for input feeding (chapter 03), a key/value cache that grows by one position per step (chapter
// 07's transformer). The search only says which rows survive, through reorder. Whatever does not
// change while decoding — the encoder outputs of each sentence — the decoder holds itself, and each
// row knows its sentence by its (integer) index.
//
// Scores. A hypothesis y_1..y_L (y_L = <eos> when it finished) has
//   logprob = Σ_t log p(y_t | y_<t, x)                                    (the model's own score)
//   score   = logprob / L^α                                               (length normalisation)
// α = 0 ranks by raw log-probability, which favours short outputs (every token costs a
// negative log-prob); α = 1 ranks by the mean log-prob per token. Wu et al. (2016) use ≈ 0.6–1.
#pragma once
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/data/batching.hpp"
#include "common/data/vocab.hpp"

namespace ch01 {
using namespace attn;

struct Hypothesis {
    std::vector<int> tokens;  // y_1..y_L, without <bos>; ends with <eos> when finished
    double logprob = 0;       // Σ log p(y_t | ...)
    double score = 0;         // logprob / L^alpha
    bool finished = false;    // ended with <eos> (false: cut at max_len)
};

// The attention weights of translated sentences, for the heatmaps: per sentence, one row per output
// token, one column per source token incl. <eos>.
using Alignments = std::vector<std::vector<std::vector<float>>>;

// length-normalised score of a hypothesis of L tokens (L counts the <eos>)
inline double normalized_score(double logprob, int L, float alpha) {
    return alpha == 0.0f ? logprob : logprob / std::pow((double)std::max(L, 1), (double)alpha);
}

// ---- greedy: at each step take the most probable token ---------------------------------------
// The decoder has been started on n rows. Each row stops at its <eos> or after max_len tokens;
// finished rows leave the batch (reorder keeps the others). Returns one hypothesis per row, scored
// with alpha like beam search, so the two compare.
template <class Decoder>
std::vector<Hypothesis> greedy_decode(Decoder& dec, int n, int V, int max_len, float alpha = 0.0f) {
    // BEGIN SOLUTION
    std::vector<Hypothesis> out(n);
    Buf logp((size_t)n * V);
    std::vector<int> tokens(n, Vocab::BOS);
    std::vector<int> alive(n);  // which hypothesis each live row is
    std::iota(alive.begin(), alive.end(), 0);
    for (int t = 0; t < max_len && !alive.empty(); t++) {
        const int m = (int)alive.size();
        dec.step(logp.data(), tokens.data(), m);
        std::vector<int> keep, still;  // the surviving rows, and their hypotheses
        for (int r = 0; r < m; r++) {
            const float* lp = logp.data() + (size_t)r * V;
            int best = (int)(std::max_element(lp, lp + V) - lp);  // the first maximum on ties
            Hypothesis& h = out[alive[r]];
            h.tokens.push_back(best);
            h.logprob += lp[best];
            if (best == Vocab::EOS) {
                h.finished = true;
                continue;
            }
            tokens[keep.size()] = best;
            keep.push_back(r), still.push_back(alive[r]);
        }
        if ((int)keep.size() < m && !keep.empty()) dec.reorder(keep.data(), (int)keep.size());
        alive.swap(still);
    }
    for (auto& h : out) h.score = normalized_score(h.logprob, (int)h.tokens.size(), alpha);
    return out;
    // END SOLUTION
}

// ---- beam search: keep the k best partial translations ----------------------------------------
// The decoder has been started on ONE row (one sentence); its k live hypotheses are the rows of each
// step. At every step each live hypothesis is extended by every token; of the k·V candidates we keep
// the best 2k by logprob (the sum of log-probs so far — normalising partial hypotheses by their equal
// length changes nothing). Walking them best first: a candidate ending in <eos> is FINISHED (kept
// aside, with its length-normalised score) if it is among the first k; the others become the next
// live hypotheses, at most k, and their rows are their parents' (reorder). Search stops when k
// hypotheses have finished or after max_len tokens (the live ones are then returned unfinished).
// Returns every finished (and cut) hypothesis, best score first. With k = 1 this is greedy search.
template <class Decoder>
std::vector<Hypothesis> beam_search(Decoder& dec, int V, int k, int max_len, float alpha = 0.0f) {
    // BEGIN SOLUTION
    struct Cand {
        double logprob;
        int beam, token;
    };
    std::vector<Hypothesis> live(1), finished;
    Buf logp((size_t)k * V);
    std::vector<int> tokens(1, Vocab::BOS);
    std::vector<Cand> cands;
    for (int t = 0; t < max_len && !live.empty() && (int)finished.size() < k; t++) {
        const int n = (int)live.size();
        dec.step(logp.data(), tokens.data(), n);
        // every (hypothesis, token) extension, scored by its total log-prob
        cands.clear();
        for (int b = 0; b < n; b++) {
            const float* lp = logp.data() + (size_t)b * V;
            for (int v = 0; v < V; v++) cands.push_back({live[b].logprob + lp[v], b, v});
        }
        int keep = std::min((int)cands.size(), 2 * k);
        // ties: the earlier beam, then the smaller token id (as greedy's first maximum)
        auto better = [](const Cand& a, const Cand& c) {
            if (a.logprob != c.logprob) return a.logprob > c.logprob;
            if (a.beam != c.beam) return a.beam < c.beam;
            return a.token < c.token;
        };
        std::partial_sort(cands.begin(), cands.begin() + keep, cands.end(), better);
        std::vector<Hypothesis> new_live;
        std::vector<int> parents, new_tokens;
        for (int i = 0; i < keep && (int)new_live.size() < k; i++) {
            const Cand& c = cands[i];
            Hypothesis h = live[c.beam];
            h.tokens.push_back(c.token);
            h.logprob = c.logprob;
            if (c.token == Vocab::EOS) {
                if (i < k) {
                    h.finished = true;
                    h.score = normalized_score(h.logprob, (int)h.tokens.size(), alpha);
                    finished.push_back(std::move(h));
                }
                continue;
            }
            parents.push_back(c.beam), new_tokens.push_back(c.token);
            new_live.push_back(std::move(h));
        }
        if (!parents.empty()) dec.reorder(parents.data(), (int)parents.size());
        live.swap(new_live);
        tokens.swap(new_tokens);
    }
    if (finished.empty())  // nothing reached <eos> within max_len: return the cut hypotheses
        for (auto& h : live) {
            h.score = normalized_score(h.logprob, (int)h.tokens.size(), alpha);
            finished.push_back(std::move(h));
        }
    std::stable_sort(finished.begin(), finished.end(),
                     [](const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; });
    return finished;
    // END SOLUTION
}

// ---- the one translate routine ----------------------------------------------------------------
// Sentences (normalised text) as the encoder's batch: ids (B,S) with <eos> appended, unknown words
// -> <unk>, and their lengths.
inline TokenBatch source_batch(const Vocab& src_vocab, const std::vector<std::string>& srcs) {
    std::vector<std::vector<int>> ids;
    for (const auto& s : srcs) ids.push_back(src_vocab.encode(s, false, true));
    std::vector<int> idx(ids.size());
    std::iota(idx.begin(), idx.end(), 0);
    return make_batch(ids, idx);
}

// The output may be twice the source and ten tokens more: max_len = 2·(source tokens) + 10.
inline int max_output_len(int src_len) { return 2 * src_len + 10; }

// The best hypothesis per encoded sentence (src_len (N): their lengths):
//   beam ≤ 1  greedy search over all N sentences at once, up to the longest one's max_len;
//   beam > 1  beam search, one sentence at a time (its k hypotheses are the decoder's rows);
//   alone     greedy, one sentence at a time (the heatmaps: each row's weights are its own).
// The decoder must have room for max(N, beam) rows (1 when alone).
template <class Decoder>
std::vector<Hypothesis> translate_encoded(Decoder& dec, const std::vector<int>& src_len, int V, int beam, float alpha,
                                          bool alone = false) {
    const int N = (int)src_len.size();
    std::vector<Hypothesis> out;
    if (N == 0) return out;
    if (beam <= 1 && !alone) {
        std::vector<int> all(N);
        std::iota(all.begin(), all.end(), 0);
        int max_len = 0;
        for (int L : src_len) max_len = std::max(max_len, max_output_len(L));
        dec.start(all.data(), N);
        return greedy_decode(dec, N, V, max_len, alpha);
    }
    for (int r = 0; r < N; r++) {
        dec.start(&r, 1);
        if (beam <= 1) out.push_back(greedy_decode(dec, 1, V, max_output_len(src_len[r]), alpha)[0]);
        else out.push_back(beam_search(dec, V, beam, max_output_len(src_len[r]), alpha).front());
    }
    return out;
}

// rows <- rows[parents[0..n)], each row `width` floats: what a decoder's reorder does to each of its
// per-row buffers (scratch: the old rows are copied out first, since a parent may be read twice).
inline void gather_rows(Buf& rows, Buf& scratch, size_t width, const int* parents, int n) {
    const size_t used = (size_t)(*std::max_element(parents, parents + n) + 1) * width;
    scratch.assign(rows.begin(), rows.begin() + used);
    for (int i = 0; i < n; i++)
        std::copy_n(scratch.data() + (size_t)parents[i] * width, width, rows.data() + (size_t)i * width);
}
inline void gather_rows(std::vector<int>& rows, const int* parents, int n) {
    const std::vector<int> old = rows;
    for (int i = 0; i < n; i++) rows[i] = old[parents[i]];
}

// The tokens of a hypothesis as text, without <eos> (<unk> stays visible).
inline std::string hypothesis_text(const Hypothesis& h, const Vocab& vocab) { return vocab.decode(h.tokens, true); }

}  // namespace ch01
