// text_data.hpp — chapter 05's data: AG News titles or airline tweets (or the synthetic keyword
// task), split with a seed, tokenised into words, each word into its ids (word + character n-grams,
// common/data/ngram_vocab.hpp), and cut into batches for the model. Also --eval-file: any file in
// either AG News layout or the tweets layout, the layout told by its content.
#pragma once
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "chapters/05_attention_classifier/classifier_model.hpp"
#include "common/core/error.hpp"
#include "common/data/csv.hpp"
#include "common/data/data_find.hpp"
#include "common/data/ngram_vocab.hpp"
#include "common/data/splits.hpp"
#include "common/data/synth_keywords.hpp"
#include "common/data/text_datasets.hpp"

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

inline std::vector<Example> examples(const TextSet& ts, const std::vector<int>& idx) {
    std::vector<Example> out;
    out.reserve(idx.size());
    for (int i : idx)
        out.push_back({ts.items[i].text, text_words(ts.items[i].text), {}, {}, ts.items[i].label});
    return out;
}
inline std::vector<int> all_of(const TextSet& ts) {
    std::vector<int> idx(ts.items.size());
    for (size_t i = 0; i < idx.size(); i++) idx[i] = (int)i;
    return idx;
}

// The texts: --data ag_news | tweets | synthetic | auto (AG News when found, else synthetic).
// AG News: the official train.csv + test.csv when both are in the folder (test = test.csv, val split
// from train.csv), else the Made With ML 10k file split 80/10/10 by seed. Tweets: split 80/10/10.
inline TextData load_text_data(const std::string& which, const std::string& data_dir, uint64_t seed,
                               int synth_n) {
    std::vector<std::string> looked;
    std::string want = which == "auto" ? "ag_news" : which;
    std::string dir = want == "synthetic" ? "" : find_dataset(want, data_dir, &looked);
    TextData d;
    TextSet all, test_set;
    if (dir.empty() && which != "auto" && want != "synthetic") fail_missing_dataset(want, looked);
    if (dir.empty()) {
        if (want != "synthetic")
            std::printf("AG News not found (looked for %s): the synthetic keyword task instead\n",
                        looked.empty() ? "?" : looked.front().c_str());
        SynthKeywordOptions so;
        so.min_len = 6, so.max_len = 24, so.negation = true;
        all = synth_keywords(synth_n, seed + 5, so);
        all.name = "synthetic";
    } else if (want == "tweets") {
        all = load_airline_tweets(dir + "/Tweets.csv");
    } else if (std::filesystem::exists(dir + "/train.csv") && std::filesystem::exists(dir + "/test.csv")) {
        all = load_ag_news_csv(dir + "/train.csv");
        test_set = load_ag_news_csv(dir + "/test.csv");
        std::printf(
            "AG News: the official train.csv (%zu titles) and test.csv (%zu) are present: training on "
            "train.csv, testing on test.csv\n",
            all.items.size(), test_set.items.size());
    } else {
        all = load_ag_news_csv(dir + "/news_madewithml_10k.csv");
    }
    d.name = all.name, d.source = all.source, d.class_names = all.class_names;
    const bool official = !test_set.items.empty();
    SplitIdx s = split_indices((int)all.items.size(), official ? 0.05f : 0.1f, official ? 0.0f : 0.1f, seed);
    d.train = examples(all, s.train), d.val = examples(all, s.val);
    d.test = official ? examples(test_set, all_of(test_set)) : examples(all, s.test);
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
// The layout from the content: a header with `airline_sentiment` -> tweets; a header y,X -> Made
// With ML; three fields with a class 1..4 first -> official AG News. Every text must be non-empty
// and every label one of the model's classes, else an error naming the file and line.
inline std::vector<Example> load_eval_file(const std::string& path, const TextData& model_data) {
    if (!std::filesystem::exists(path)) fail(path, "expected a CSV file to evaluate, found no such file");
    CsvTable raw = read_csv(path, /*has_header=*/false);
    if (raw.rows.empty()) fail(path, "expected a header or AG News rows, found an empty file");
    const auto& h = raw.rows[0];
    const bool tweets = std::find(h.begin(), h.end(), "airline_sentiment") != h.end();
    TextSet ts = tweets ? load_airline_tweets(path) : load_ag_news_csv(path);
    const std::string kind = tweets ? "a tweets file (airline_sentiment negative/neutral/positive)"
                                    : "an AG News file (World/Sports/Business/Sci/Tech)";
    if (ts.class_names != model_data.class_names) {
        std::string classes;
        for (const auto& c : model_data.class_names) classes += (classes.empty() ? "" : ", ") + c;
        fail(path,
             "expected texts with the model's classes (" + model_data.name + ": " + classes + "), found " +
                 kind,
             "this model was trained on " + model_data.name + "; evaluate it on a file of the same dataset");
    }
    const size_t first_row = (tweets || (h.size() == 2 && (h[0] == "y" || h[0] == "X"))) ? 1 : 0;
    std::vector<Example> out = examples(ts, all_of(ts));
    for (size_t r = 0; r < out.size(); r++) {
        const std::string& t = out[r].text;
        if (t.find_first_not_of(" \t\r\n") == std::string::npos)
            fail(path + ":" + std::to_string(raw.line_of_row[first_row + r]),
                 "expected a non-empty text, found an empty one", "every row needs its title or tweet");
        encode(out[r], model_data.vocab);
    }
    return out;
}

}  // namespace ch05
