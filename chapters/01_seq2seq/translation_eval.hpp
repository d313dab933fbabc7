// translation_eval.hpp — how good are the translations? Corpus BLEU on a split, BLEU per source
// length, printed examples, and evaluation of any file of pairs (--eval-file). Model-agnostic:
// a model is a TRANSLATE FUNCTION
//
//   std::vector<Hypothesis> translate(const std::vector<std::string>& sources, int beam)
//
// (normalised source sentences in, one best hypothesis per sentence out; beam = 1 is greedy).
// Every distinct source is one test sentence and ALL its translations in the split are its
// references (Tatoeba often has several), so BLEU does not punish a correct alternative.
#pragma once
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/decoding.hpp"
#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "common/eval/bleu.hpp"
#include "common/data/corpus.hpp"

namespace ch01 {

struct LengthBucket {
    int lo = 0, hi = 0;  // source lengths lo..hi tokens
    int n = 0;           // sentences
    double bleu = 0;     // corpus BLEU of the bucket
};

struct TranslationEval {
    int beam = 1;
    BleuScore corpus;
    std::vector<LengthBucket> buckets;
    std::vector<Hypothesis> outputs;  // one per item
};

// Translate items in chunks of `chunk` sentences and score them. Buckets are source lengths
// [1..w], [w+1..2w], ...; empty buckets are left out.
template <class TranslateFn>
TranslationEval evaluate_translations(const std::vector<EvalItem>& items, TranslateFn&& translate,
                                      const Vocab& tgt_vocab, int beam, int bucket_width, int chunk = 256) {
    TranslationEval ev;
    ev.beam = beam;
    for (size_t i0 = 0; i0 < items.size(); i0 += chunk) {
        std::vector<std::string> srcs;
        for (size_t i = i0; i < std::min(items.size(), i0 + chunk); i++) srcs.push_back(items[i].src);
        std::vector<Hypothesis> hyps = translate(srcs, beam);
        for (auto& h : hyps) ev.outputs.push_back(std::move(h));
    }
    BleuStats all;
    std::vector<BleuStats> per;
    std::vector<int> count;
    for (size_t i = 0; i < items.size(); i++) {
        Tokens hyp = split_ws(hypothesis_text(ev.outputs[i], tgt_vocab));
        std::vector<Tokens> refs;
        for (const auto& r : items[i].refs) refs.push_back(split_ws(r));
        all.add(hyp, refs);
        int k = std::max(0, (items[i].src_len - 1) / bucket_width);
        if ((int)per.size() <= k) per.resize(k + 1), count.resize(k + 1, 0);
        per[k].add(hyp, refs);
        count[k]++;
    }
    ev.corpus = all.score();
    for (size_t k = 0; k < per.size(); k++)
        if (count[k] > 0)
            ev.buckets.push_back({(int)k * bucket_width + 1, (int)(k + 1) * bucket_width, count[k], per[k].score().bleu});
    return ev;
}

// The per-length table, one column per evaluation (e.g. greedy and beam):
//   src len | sentences | BLEU beam=1 | BLEU beam=5
inline void print_length_table(const std::vector<TranslationEval>& evs) {
    if (evs.empty()) return;
    std::printf("  src len | sentences");
    for (const auto& e : evs) std::printf(" | BLEU beam=%d", e.beam);
    std::printf("\n");
    for (size_t k = 0; k < evs[0].buckets.size(); k++) {
        const LengthBucket& b = evs[0].buckets[k];
        std::printf("  %3d-%-3d | %9d", b.lo, b.hi, b.n);
        for (const auto& e : evs) std::printf(" | %11.2f", k < e.buckets.size() ? e.buckets[k].bleu : 0.0);
        std::printf("\n");
    }
}

// Examples in the course's format:
//   what do you want to tell us ? (expected: qu'est-ce que vous voulez nous dire ?)
//   -> sentence BLEU 42.3 | beam=1 score=-3.12 -> que veux-tu nous dire ?
// (sentence BLEU, smoothed, on the same 0–100 scale as corpus BLEU; score = the hypothesis'
// length-normalised log-prob)
template <class TranslateFn>
void print_examples(const std::vector<EvalItem>& items, TranslateFn&& translate, const Vocab& tgt_vocab,
                    const std::vector<int>& beams) {
    std::vector<std::string> srcs;
    for (const auto& it : items) srcs.push_back(it.src);
    std::vector<std::vector<Hypothesis>> per_beam;
    for (int k : beams) per_beam.push_back(translate(srcs, k));
    for (size_t i = 0; i < items.size(); i++) {
        std::printf("%s (expected: %s)\n", items[i].src.c_str(), items[i].refs[0].c_str());
        std::vector<Tokens> refs;
        for (const auto& r : items[i].refs) refs.push_back(split_ws(r));
        for (size_t j = 0; j < beams.size(); j++) {
            std::string text = hypothesis_text(per_beam[j][i], tgt_vocab);
            double b = sentence_bleu(split_ws(text), refs).bleu;
            std::printf("-> sentence BLEU %5.1f | beam=%d score=%.2f -> %s\n", b, beams[j], per_beam[j][i].score,
                        text.c_str());
        }
    }
}

// `count` items spread evenly over the set (short to long when it is sorted by length).
inline std::vector<EvalItem> pick_examples(const std::vector<EvalItem>& items, int count) {
    std::vector<EvalItem> sorted = items, out;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const EvalItem& a, const EvalItem& b) { return a.src_len < b.src_len; });
    for (int i = 0; i < count && !sorted.empty(); i++)
        out.push_back(sorted[(size_t)((i + 0.5) * sorted.size() / count) % sorted.size()]);
    return out;
}

// --eval-file: evaluate on any file of pairs in the fra-eng format (2 or 3 tab-separated columns),
// normalised as the training data. Unknown words become <unk>. Prints corpus BLEU greedy and beam
// and the per-length table, then the first `examples` sentences; returns the two evaluations.
template <class TranslateFn>
std::vector<TranslationEval> evaluate_file(const std::string& path, const std::string& direction,
                                           TranslateFn&& translate, const Vocab& tgt_vocab, int beam,
                                           int bucket_width, int examples = 0) {
    PairOptions po;
    po.direction = direction == "fr-en" ? "fr-en" : "en-fr";
    PairSet ps = load_pairs(path, po);
    std::vector<int> all(ps.pairs.size());
    for (size_t i = 0; i < all.size(); i++) all[i] = (int)i;
    std::vector<EvalItem> items = group_by_source(ps, all);
    std::vector<TranslationEval> evs;
    evs.push_back(evaluate_translations(items, translate, tgt_vocab, 1, bucket_width));
    if (beam > 1) evs.push_back(evaluate_translations(items, translate, tgt_vocab, beam, bucket_width));
    std::printf("eval file %s: %zu pairs, %zu distinct sources\n", path.c_str(), ps.pairs.size(), items.size());
    for (const auto& e : evs) std::printf("  BLEU beam=%d: %s\n", e.beam, e.corpus.str().c_str());
    print_length_table(evs);
    if (examples > 0) {
        std::vector<EvalItem> first(items.begin(), items.begin() + std::min((size_t)examples, items.size()));
        std::vector<int> beams = {1};
        if (beam > 1) beams.push_back(beam);
        print_examples(first, translate, tgt_vocab, beams);
    }
    return evs;
}

}  // namespace ch01
