// decoding.hpp — turning a trained decoder into sentences: greedy search and beam search.
//
// Shared by every translation chapter (01–04, 07), so it knows nothing about the model. A model
// plugs in through a STEP FUNCTION that advances n hypotheses by one token:
//
//   step(float* logp, float* state_out, const int* tokens, const float* state_in, int n)
//     tokens    (n)     the token each hypothesis just emitted (<bos> at the first step)
//     state_in  (n,SD)  each hypothesis' decoder state before reading that token
//     state_out (n,SD)  its state after reading it
//     logp      (n,V)   log p(next token | everything so far), a log-softmax row per hypothesis
//
// The state is an opaque row of SD floats (a GRU's h; h and an attentional vector for input
// feeding; ...). Whatever the decoder reads that does not change while decoding — the encoder
// outputs of the sentence being translated — the step function holds itself (a lambda capture).
//
// Scores. A hypothesis y_1..y_L (y_L = <eos> when it finished) has
//   logprob = Σ_t log p(y_t | y_<t, x)                                    (the model's own score)
//   score   = logprob / L^α                                               (length normalisation)
// α = 0 ranks by raw log-probability, which favours short outputs (every token costs a
// negative log-prob); α = 1 ranks by the mean log-prob per token. Wu et al. (2016) use ≈ 0.6–1.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/data/vocab.hpp"

namespace s2s {
using attn::Vocab;

struct Hypothesis {
    std::vector<int> tokens;  // y_1..y_L, without <bos>; ends with <eos> when finished
    double logprob = 0;       // Σ log p(y_t | ...)
    double score = 0;         // logprob / L^alpha
    bool finished = false;    // ended with <eos> (false: cut at max_len)
};

// length-normalised score of a hypothesis of L tokens (L counts the <eos>)
inline double normalized_score(double logprob, int L, float alpha) {
    return alpha == 0.0f ? logprob : logprob / std::pow((double)std::max(L, 1), (double)alpha);
}

// ---- greedy: at each step take the most probable token ---------------------------------------
// n sentences at once. init_state (n,SD). Each row stops at its <eos> or after max_len tokens.
// Returns one hypothesis per row (score with alpha, like beam search, so they compare).
template <class StepFn>
std::vector<Hypothesis> greedy_decode(StepFn&& step, const float* init_state, int n, int SD, int V, int max_len,
                                      float alpha = 0.0f) {
    // BEGIN SOLUTION
    std::vector<Hypothesis> out(n);
    Buf state(init_state, init_state + (size_t)n * SD), next((size_t)n * SD), logp((size_t)n * V);
    std::vector<int> tokens(n, Vocab::BOS);
    std::vector<int> alive(n);  // rows still decoding; finished rows are dropped from the batch
    for (int i = 0; i < n; i++) alive[i] = i;
    for (int t = 0; t < max_len && !alive.empty(); t++) {
        int m = (int)alive.size();
        step(logp.data(), next.data(), tokens.data(), state.data(), m);
        std::vector<int> still;
        int w = 0;  // compact the surviving rows to the front of tokens/state
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
            still.push_back(alive[r]);
            tokens[w] = best;
            std::copy(next.data() + (size_t)r * SD, next.data() + (size_t)(r + 1) * SD, state.data() + (size_t)w * SD);
            w++;
        }
        alive.swap(still);
    }
    for (auto& h : out) h.score = normalized_score(h.logprob, (int)h.tokens.size(), alpha);
    return out;
    // END SOLUTION
}

// ---- beam search: keep the k best partial translations ----------------------------------------
// One sentence; its k live hypotheses are the n rows of each step call. At every step each live
// hypothesis is extended by every token; of the k·V candidates we keep the best 2k by logprob
// (the sum of log-probs so far — normalising partial hypotheses by their equal length changes
// nothing). Walking them best first: a candidate ending in <eos> is FINISHED (kept aside, with
// its length-normalised score) if it is among the first k; the others become the next live
// hypotheses, at most k. Search stops when k hypotheses have finished or after max_len tokens
// (the live ones are then returned unfinished). Returns every finished (and cut) hypothesis,
// best score first. With k = 1 this is exactly greedy search.
template <class StepFn>
std::vector<Hypothesis> beam_search(StepFn&& step, const float* init_state, int SD, int V, int k, int max_len,
                                    float alpha = 0.0f) {
    // BEGIN SOLUTION
    struct Cand {
        double logprob;
        int beam, token;
    };
    std::vector<Hypothesis> live(1), finished;
    Buf state(init_state, init_state + SD), next((size_t)k * SD), logp((size_t)k * V);
    std::vector<int> tokens(1, Vocab::BOS);
    std::vector<Cand> cands;
    for (int t = 0; t < max_len && !live.empty() && (int)finished.size() < k; t++) {
        int n = (int)live.size();
        next.resize((size_t)n * SD);
        step(logp.data(), next.data(), tokens.data(), state.data(), n);
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
        Buf new_state;
        std::vector<int> new_tokens;
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
            new_state.insert(new_state.end(), next.data() + (size_t)c.beam * SD,
                             next.data() + (size_t)(c.beam + 1) * SD);
            new_tokens.push_back(c.token);
            new_live.push_back(std::move(h));
        }
        live.swap(new_live);
        state.swap(new_state);
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

// The tokens of a hypothesis as text, without <eos> (<unk> stays visible).
inline std::string hypothesis_text(const Hypothesis& h, const Vocab& vocab) { return vocab.decode(h.tokens, true); }

}  // namespace s2s
