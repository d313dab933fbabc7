// bleu.hpp — BLEU (Papineni et al. 2002), the translation metric of chapters 01–04 and 07.
//
// Corpus BLEU, by the standard definition (as multi-bleu.perl, and sacreBLEU with tokenize='none'):
//
//   p_n  = sum over sentences of  sum_{g in n-grams(hyp)} min(count_hyp(g), max_r count_r(g))
//          ----------------------------------------------------------------------------------    n = 1..4
//          sum over sentences of  number of n-grams in hyp
//   c    = total hypothesis length,  r = sum over sentences of the reference length closest to
//          that hypothesis' length (a tie goes to the shorter reference)
//   BP   = 1 if c >= r, else exp(1 - r/c)           (0 when c = 0)
//   BLEU = 100 * BP * exp( (1/4) * sum_n log p_n )   (0 when any p_n is 0: no smoothing)
//
// The counts are summed over the corpus *before* dividing, so corpus BLEU is not the mean of
// sentence BLEUs. Hypotheses and references have different types, so swapping them does not
// compile:
//
//   attn::Hypotheses hyp;  attn::References ref;
//   hyp.sents.push_back(attn::split_ws("the cat sat on the mat"));
//   ref.sents.push_back({attn::split_ws("the cat sat on a mat"), attn::split_ws("a cat was on the mat")});
//   std::cout << attn::corpus_bleu(hyp, ref).str() << "\n";
//   // BLEU = 34.56 65.1/40.2/27.3/18.9 (BP = 0.987 ratio = 0.987 hyp_len = 1234 ref_len = 1250)
#pragma once
#include <string>
#include <vector>

namespace attn {

using Tokens = std::vector<std::string>;

struct Hypotheses {
    std::vector<Tokens> sents;  // one tokenised system output per sentence
};
struct References {
    std::vector<std::vector<Tokens>> sents;  // sents[i]: every reference translation of sentence i
};

struct BleuScore {
    double bleu = 0;               // 0..100
    double precisions[4] = {};     // p_1..p_4 in percent (after smoothing, for sentence BLEU)
    double bp = 0, ratio = 0;      // brevity penalty; hyp_len / ref_len
    long hyp_len = 0, ref_len = 0;
    long matches[4] = {}, totals[4] = {};  // clipped n-gram matches and hypothesis n-grams
    // sacreBLEU style: "BLEU = 34.56 65.1/40.2/27.3/18.9 (BP = 0.987 ratio = 0.987 hyp_len = 1234 ref_len = 1250)"
    std::string str() const;
};

// The sufficient statistics of BLEU: add sentences one at a time (e.g. batch by batch during
// evaluation), then score(). Throws attn::Error when a sentence has no references.
struct BleuStats {
    long matches[4] = {}, totals[4] = {};
    long hyp_len = 0, ref_len = 0;
    void add(const Tokens& hyp, const std::vector<Tokens>& refs);
    BleuScore score() const;  // corpus BLEU, unsmoothed
};

// Throws attn::Error when hyp and ref hold different numbers of sentences.
BleuScore corpus_bleu(const Hypotheses& hyp, const References& ref);

// Sentence BLEU, for showing single examples (Chen & Cherry 2014 smoothing, as NLTK's
// SmoothingFunction().method0..3). An unsmoothed sentence BLEU is 0 for most short sentences.
enum class Smoothing {
    none,       // method0: a zero p_n makes BLEU 0
    epsilon,    // method1: a zero count becomes 0.1:          p_n = 0.1 / total_n
    add_one,    // method2: add 1 to matches and totals for n >= 2 (Lin & Och 2004)
    geometric,  // method3: the k-th zero p_n becomes 1 / (2^k total_n)  (NIST mteval; sacreBLEU 'exp')
};
// Default `geometric`, sacreBLEU's sentence default. When the hypothesis is shorter than 4 tokens,
// only the orders it has n-grams for are averaged (sacreBLEU's "effective order"), so a correct
// two-word sentence scores 100 instead of 0. As NLTK, no unigram match at all gives 0.
BleuScore sentence_bleu(const Tokens& hyp, const std::vector<Tokens>& refs,
                        Smoothing smoothing = Smoothing::geometric);

// Split on ASCII whitespace (space, tab, CR, LF, VT, FF); no empty tokens.
std::vector<std::string> split_ws(const std::string& s);

// Read the `bleu` program's files: one whitespace-tokenised sentence per line in each file,
// line i of every reference file is a reference for line i of the hypothesis file. Throws
// attn::Error (naming the file) on an unreadable file, an empty hypothesis file, or a line-count mismatch.
struct BleuFiles {
    Hypotheses hyp;
    References ref;
};
BleuFiles read_bleu_files(const std::string& hyp_path, const std::vector<std::string>& ref_paths);
// What the `bleu` program computes: corpus_bleu of read_bleu_files.
BleuScore bleu_from_files(const std::string& hyp_path, const std::vector<std::string>& ref_paths);

}  // namespace attn
