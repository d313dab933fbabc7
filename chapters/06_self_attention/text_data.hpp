// text_data.hpp — chapter 06's data: the texts, their split and their tokens (--eval-file files are read
// by common/data/text_splits.hpp's load_text_eval_file).
//
//   --data ag_news    AG News titles, split exactly as chapter 05 splits them (common/data/text_splits.hpp:
//                     the Made With ML 10k file 80 / 10 / 10 by seed; with the official train.csv +
//                     test.csv there, test.csv is the test set)
//   --data tweets     Twitter US Airline Sentiment (3 classes), split 80 / 10 / 10 the same way
//   --data keywords   the synthetic keyword task (common/data/synth_keywords.hpp)
//   --data relations  the synthetic relations task (common/data/synth_relations.hpp): the headline
//   --data auto       AG News when found, else the keyword task (the default)
// Tokens: normalize_sentence() (lower case, punctuation split off), one id per word of the training
// split seen at least min_freq times, <unk> for the rest; texts longer than Tmax tokens are cut.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/data/corpus.hpp"
#include "common/data/data_find.hpp"
#include "common/data/synth_keywords.hpp"
#include "common/data/synth_relations.hpp"
#include "common/data/text_splits.hpp"
#include "common/data/vocab.hpp"

namespace ch06 {
using namespace attn;

constexpr float kValFrac = 0.15f, kTestFrac = 0.15f;  // the synthetic tasks' split

// One split, tokenised: ids per text (at most Tmax), labels, and the raw texts for printing.
struct TextSplit {
    std::vector<std::vector<int>> ids;
    std::vector<int> labels;
    std::vector<std::string> texts;
    int count() const { return (int)labels.size(); }
};

struct TextData {
    std::string flag;                      // the --data it was loaded by: ag_news, tweets, keywords, relations
    std::string name, source;              // "ag_news", "tweets", "synthetic-keywords", ...
    std::vector<std::string> class_names;  // label i is class_names[i]
    std::vector<LabeledText> train_raw, val_raw, test_raw;
    Vocab vocab;
    TextSplit train, val, test;
};

// The texts of the run, split (no tokens yet: the vocabulary may come from a checkpoint). AG News and
// the tweets come split by common/data/text_splits.hpp, exactly as chapter 05 splits them (so the two
// chapters' numbers sit side by side); the synthetic tasks (synth_n texts; the relations task of
// min_len..max_len tokens) are split 70 / 15 / 15.
inline TextData load_texts(const std::string& data, const std::string& data_dir, uint64_t seed, int synth_n,
                           int min_len = 8, int max_len = 20, bool balance_counts = false) {
    std::string which = data;
    if (which == "auto") {
        check_data_dir_flag(data_dir, {"ag_news"});  // an explicit --data-dir must hold it
        which = find_dataset("ag_news", data_dir).empty() ? "keywords" : "ag_news";
        if (which == "keywords") std::printf("AG News not found (ATTN_DATA, --data-dir): the synthetic keyword task\n");
    }
    TextSplits t;
    if (which == "ag_news" || which == "tweets") t = load_text_splits(which, data_dir, seed);
    else if (which == "keywords") t = split_texts(synth_keywords(synth_n, seed + 101), kValFrac, kTestFrac, seed);
    else if (which == "relations")
        t = split_texts(synth_relations(synth_n, seed + 202, {min_len, max_len, 16, balance_counts}), kValFrac,
                        kTestFrac, seed);
    else fail("--data", "one of auto, ag_news, tweets, keywords, relations, got '" + which + "'");
    TextData d;
    d.flag = which, d.name = t.name, d.source = t.source, d.class_names = t.class_names;
    d.train_raw = std::move(t.train), d.val_raw = std::move(t.val), d.test_raw = std::move(t.test);
    return d;
}

inline std::vector<int> encode_text(const Vocab& v, const std::string& text, int Tmax) {
    std::vector<int> ids = v.encode(normalize_sentence(text), false, false);
    if ((int)ids.size() > Tmax) ids.resize(Tmax);
    return ids;
}

inline TextSplit encode_split(const Vocab& v, const std::vector<LabeledText>& items, int Tmax) {
    TextSplit s;
    for (const LabeledText& t : items) {
        s.ids.push_back(encode_text(v, t.text, Tmax));
        s.labels.push_back(t.label);
        s.texts.push_back(t.text);
    }
    return s;
}

// The vocabulary of the training split (words seen at least min_freq times).
inline Vocab build_vocab(const std::vector<LabeledText>& train, int min_freq) {
    std::vector<std::string> sentences;
    for (const LabeledText& t : train) sentences.push_back(normalize_sentence(t.text));
    return Vocab::build(sentences, min_freq, 0);
}

inline void encode_all(TextData& d, int Tmax) {
    d.train = encode_split(d.vocab, d.train_raw, Tmax);
    d.val = encode_split(d.vocab, d.val_raw, Tmax);
    d.test = encode_split(d.vocab, d.test_raw, Tmax);
}

}  // namespace ch06
