// text_data.hpp — chapter 05's data: AG News titles or airline tweets (or the synthetic keyword
// task), split with a seed, tokenised into words, each word into its ids (word + character n-grams,
// common/data/ngram_vocab.hpp), and cut into batches for the model. Also --eval-file: any file in
// either AG News layout or the tweets layout, the layout told by its content.
#pragma once
#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <vector>

#include "chapters/05_attention_classifier/classifier_model.hpp"
#include "common/core/error.hpp"
#include "common/data/data_find.hpp"
#include "common/data/ngram_vocab.hpp"
#include "common/data/synth_keywords.hpp"
#include "common/data/text_splits.hpp"

namespace ch05 {
using namespace attn;

constexpr int kMaxWords = 64;  // longer texts keep their first 64 words (no title or tweet is that long)

struct Example {
    std::string text;                // as written (for printing)
    std::vector<std::string> words;  // tokenised, at least one ("<empty>" for a text with no word)
    std::vector<int> ids, offsets;   // word w uses ids[offsets[w] .. offsets[w+1])
    int label = 0;
};

struct TextData {
    std::string name, source;  // "ag_news", "tweets", "synthetic-keywords"
    std::vector<std::string> class_names;
    std::vector<Example> train, val, test;
    NgramVocab vocab;
};

inline std::vector<std::string> text_words(const std::string& text) {
    std::vector<std::string> w = tokenize_words(text);
    if (w.size() > (size_t)kMaxWords) w.resize(kMaxWords);
    if (w.empty()) w.push_back("<empty>");
    return w;
}

inline void encode(Example& e, const NgramVocab& v) {
    e.ids.clear(), e.offsets.assign(1, 0);
    for (const std::string& w : e.words) {
        v.word_ids(w, e.ids);
        e.offsets.push_back((int)e.ids.size());
    }
}

inline std::vector<Example> examples(const std::vector<LabeledText>& texts) {
    std::vector<Example> out;
    out.reserve(texts.size());
    for (const LabeledText& t : texts) out.push_back({t.text, text_words(t.text), {}, {}, t.label});
    return out;
}

// The texts: --data ag_news | tweets | synthetic | auto (AG News when found, else synthetic). The
// real data and its split are common/data/text_splits.hpp's (chapter 06 splits alike); the
// synthetic keyword task (with negated decoys) is split 80/10/10 too.
inline TextData load_text_data(const std::string& which, const std::string& data_dir, uint64_t seed,
                               int synth_n) {
    std::string want = which;
    if (which == "auto") check_data_dir_flag(data_dir, {"ag_news"});  // an explicit --data-dir must hold it
    if (which == "auto" && find_dataset("ag_news", data_dir).empty()) {
        std::printf("AG News not found (ATTN_DATA, --data-dir): the synthetic keyword task instead\n");
        want = "synthetic";
    }
    TextSplits t;
    if (want == "synthetic") {
        SynthKeywordOptions so;
        so.min_len = 6, so.max_len = 24, so.negation = true;
        TextSet all = synth_keywords(synth_n, seed + 5, so);
        all.name = "synthetic";
        t = split_texts(all, kTextValFrac, kTextTestFrac, seed);
    } else {
        t = load_text_splits(want == "auto" ? "ag_news" : want, data_dir, seed);
    }
    TextData d;
    d.name = t.name, d.source = t.source, d.class_names = t.class_names;
    d.train = examples(t.train), d.val = examples(t.val), d.test = examples(t.test);
    return d;
}

// Words of the training texts -> the tokenisation (words seen >= 2 times + n-gram buckets).
inline void build_vocab(TextData& d, int buckets, int min_n, int max_n) {
    std::vector<std::vector<std::string>> texts;
    for (const Example& e : d.train) texts.push_back(e.words);
    d.vocab = NgramVocab::build(texts, /*min_freq=*/2, /*max_words=*/0, buckets, min_n, max_n);
}
inline void encode_all(TextData& d) {
    for (auto* set : {&d.train, &d.val, &d.test})
        for (Example& e : *set) encode(e, d.vocab);
}

// The most words of any text of the sets (what the activations are reserved for).
inline int longest_text(std::initializer_list<const std::vector<Example>*> sets) {
    int T = 1;
    for (const auto* set : sets)
        for (const Example& e : *set) T = std::max(T, (int)e.words.size());
    return T;
}

// Examples idx of set as one padded batch (positions past a text's end have no ids: zero rows).
inline void make_text_batch(TextBatch& tb, const std::vector<Example>& set, const std::vector<int>& idx) {
    tb.B = (int)idx.size(), tb.T = 1;
    for (int i : idx) tb.T = std::max(tb.T, (int)set[i].words.size());
    tb.ids.clear(), tb.offsets.assign(1, 0), tb.lengths.clear(), tb.labels.clear();
    for (int i : idx) {
        const Example& e = set[i];
        const int n = (int)e.words.size();
        tb.ids.insert(tb.ids.end(), e.ids.begin(), e.ids.end());
        for (int t = 0; t < tb.T; t++)
            tb.offsets.push_back(tb.offsets.back() + (t < n ? e.offsets[t + 1] - e.offsets[t] : 0));
        tb.lengths.push_back(n), tb.labels.push_back(e.label);
    }
}

// ---- --eval-file ------------------------------------------------------------------------------
// Read and checked by common/data/text_splits.hpp (the layout from the content, the model's classes,
// no empty text); each text then tokenised by the model's own vocabulary.
inline std::vector<Example> load_eval_file(const std::string& path, const TextData& model_data) {
    std::vector<Example> out = examples(load_text_eval_file(path, model_data.class_names, model_data.name).items);
    for (Example& e : out) encode(e, model_data.vocab);
    return out;
}

}  // namespace ch05
