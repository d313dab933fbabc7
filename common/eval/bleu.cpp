#include "common/eval/bleu.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unordered_map>

#include "common/core/error.hpp"

namespace attn {

namespace {

const int kMaxOrder = 4;

// n-gram -> count. The key spells each token as "<length>:<token>", so no two different
// n-grams share a key whatever characters the tokens contain.
using NgramCounts = std::unordered_map<std::string, int>;

NgramCounts count_ngrams(const Tokens& toks, int n) {
    NgramCounts counts;
    for (size_t i = 0; i + n <= toks.size(); i++) {
        std::string key;
        for (int k = 0; k < n; k++) key += std::to_string(toks[i + k].size()) + ":" + toks[i + k];
        counts[key]++;
    }
    return counts;
}

// The reference length closest to the hypothesis length; a tie goes to the shorter one.
long closest_ref_length(const std::vector<Tokens>& refs, long hyp_len) {
    long best = (long)refs[0].size();
    for (const auto& r : refs) {
        long len = (long)r.size();
        long d = std::labs(len - hyp_len), best_d = std::labs(best - hyp_len);
        if (d < best_d || (d == best_d && len < best)) best = len;
    }
    return best;
}

// From the counts to the score. `effective_order`: average only the orders with n-grams in
// the hypothesis (sentence BLEU of short sentences); otherwise an order without any is p_n = 0.
BleuScore combine(const long* matches, const long* totals, long hyp_len, long ref_len,
                  Smoothing smoothing, bool effective_order) {
    BleuScore s;
    s.hyp_len = hyp_len, s.ref_len = ref_len;
    for (int n = 0; n < kMaxOrder; n++) s.matches[n] = matches[n], s.totals[n] = totals[n];

    // BP = 1 if c >= r, else exp(1 - r/c)
    s.bp = hyp_len >= ref_len ? 1.0 : hyp_len > 0 ? std::exp(1.0 - (double)ref_len / (double)hyp_len) : 0.0;
    s.ratio = ref_len > 0 ? (double)hyp_len / (double)ref_len : 0.0;

    double log_sum = 0;
    int orders = 0, zeros_seen = 0;
    bool any_zero = false;
    for (int n = 0; n < kMaxOrder; n++) {
        double m = (double)matches[n], t = (double)totals[n], p = 0;
        if (t == 0 && effective_order) continue;  // the sentence has no n-grams of this order
        if (t == 0) {
            p = 0;
        } else if (smoothing == Smoothing::add_one && n > 0) {
            p = (m + 1) / (t + 1);  // method2: (m+1)/(t+1) for n >= 2, zero or not
        } else if (m > 0) {
            p = m / t;
        } else if (smoothing == Smoothing::epsilon) {
            p = 0.1 / t;  // method1
        } else if (smoothing == Smoothing::geometric) {
            zeros_seen++;
            p = 1.0 / (std::ldexp(1.0, zeros_seen) * t);  // method3: 1 / (2^k t)
        }
        s.precisions[n] = 100.0 * p;
        orders++;
        if (p > 0) log_sum += std::log(p);
        else any_zero = true;
    }
    // BLEU = BP * exp((1/N) sum_n log p_n); no unigram match at all is 0 whatever the smoothing (as NLTK).
    if (orders == 0 || any_zero || matches[0] == 0) s.bleu = 0;
    else s.bleu = 100.0 * s.bp * std::exp(log_sum / orders);
    return s;
}

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(path, "cannot open for reading", "check the path; the file holds one sentence per line");
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(f, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF files
        lines.push_back(std::move(line));
    }
    if (f.bad()) fail(path, "read error after " + std::to_string(lines.size()) + " lines");
    return lines;
}

std::string n_lines(size_t n) { return std::to_string(n) + (n == 1 ? " line" : " lines"); }

}  // namespace

void BleuStats::add(const Tokens& hyp, const std::vector<Tokens>& refs) {
    if (refs.empty()) fail("BleuStats::add", "at least one reference per sentence, got none");
    for (int n = 1; n <= kMaxOrder; n++) {
        NgramCounts h = count_ngrams(hyp, n);
        // Clip against the largest count of each n-gram in any single reference.
        NgramCounts max_ref;
        for (const auto& r : refs)
            for (const auto& [g, c] : count_ngrams(r, n)) max_ref[g] = std::max(max_ref[g], c);
        long match = 0;
        for (const auto& [g, c] : h) {
            auto it = max_ref.find(g);
            if (it != max_ref.end()) match += std::min(c, it->second);
        }
        matches[n - 1] += match;
        totals[n - 1] += std::max(0L, (long)hyp.size() - n + 1);
    }
    hyp_len += (long)hyp.size();
    ref_len += closest_ref_length(refs, (long)hyp.size());
}

BleuScore BleuStats::score() const { return combine(matches, totals, hyp_len, ref_len, Smoothing::none, false); }

BleuScore corpus_bleu(const Hypotheses& hyp, const References& ref) {
    if (hyp.sents.size() != ref.sents.size())
        fail("corpus_bleu", "as many reference lists as hypotheses, got " + std::to_string(hyp.sents.size()) +
                                " hypotheses and " + std::to_string(ref.sents.size()) + " reference lists");
    BleuStats st;
    for (size_t i = 0; i < hyp.sents.size(); i++) st.add(hyp.sents[i], ref.sents[i]);
    return st.score();
}

BleuScore sentence_bleu(const Tokens& hyp, const std::vector<Tokens>& refs, Smoothing smoothing) {
    BleuStats st;
    st.add(hyp, refs);
    return combine(st.matches, st.totals, st.hyp_len, st.ref_len, smoothing, true);
}

std::string BleuScore::str() const {
    char buf[256];
    std::snprintf(buf, sizeof buf, "BLEU = %.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %ld ref_len = %ld)",
                  bleu, precisions[0], precisions[1], precisions[2], precisions[3], bp, ratio, hyp_len, ref_len);
    return buf;
}

std::vector<std::string> split_ws(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
    while (i < s.size()) {
        while (i < s.size() && is_ws(s[i])) i++;
        size_t j = i;
        while (j < s.size() && !is_ws(s[j])) j++;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

BleuFiles read_bleu_files(const std::string& hyp_path, const std::vector<std::string>& ref_paths) {
    if (ref_paths.empty()) fail("bleu", "at least one reference file", "--ref REF.txt (repeat for more references)");
    std::vector<std::string> hyp = read_lines(hyp_path);
    if (hyp.empty()) fail(hyp_path, "expected one sentence per line, found an empty file");
    BleuFiles files;
    files.ref.sents.resize(hyp.size());
    for (const auto& path : ref_paths) {
        std::vector<std::string> lines = read_lines(path);
        if (lines.size() != hyp.size())
            fail(path, "expected " + n_lines(hyp.size()) + " (as many as " + hyp_path + "), found " +
                           std::to_string(lines.size()),
                 "line i of every reference file must translate line i of the hypothesis file");
        for (size_t i = 0; i < lines.size(); i++) files.ref.sents[i].push_back(split_ws(lines[i]));
    }
    for (const auto& line : hyp) files.hyp.sents.push_back(split_ws(line));
    return files;
}

BleuScore bleu_from_files(const std::string& hyp_path, const std::vector<std::string>& ref_paths) {
    BleuFiles f = read_bleu_files(hyp_path, ref_paths);
    return corpus_bleu(f.hyp, f.ref);
}

}  // namespace attn
