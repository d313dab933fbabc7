// text_data.hpp — chapter 06's data: the texts, their split, their tokens, and --eval-file.
//
//   --data ag_news    AG News titles: the Made With ML 10k file (ATTN_DATA/ag_news/), split with the seed
//                     into train / val / test (70 / 15 / 15 %, common/data/splits.hpp's split_indices —
//                     the same function and fractions for chapter 05 and 06, so a seed gives both the
//                     same split); with the official train.csv + test.csv there: train.csv split
//                     85 / 15 into train / val, test.csv the test set
//   --data tweets     Twitter US Airline Sentiment (3 classes), split like the 10k titles
//   --data keywords   the synthetic keyword task (common/data/synth_keywords.hpp)
//   --data relations  the synthetic relations task (common/data/synth_relations.hpp): the headline
//   --data auto       AG News when found, else the keyword task (the default)
// Tokens: normalize_sentence() (lower case, punctuation split off), one id per word of the training
// split seen at least min_freq times, <unk> for the rest; texts longer than Tmax tokens are cut.
#pragma once
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/data/corpus.hpp"
#include "common/data/data_find.hpp"
#include "common/data/splits.hpp"
#include "common/data/synth_keywords.hpp"
#include "common/data/synth_relations.hpp"
#include "common/data/text_datasets.hpp"
#include "common/data/vocab.hpp"

namespace ch06 {
using namespace attn;

constexpr float kValFrac = 0.15f, kTestFrac = 0.15f;

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

inline std::vector<LabeledText> take_texts(const TextSet& s, const std::vector<int>& idx) {
    std::vector<LabeledText> out;
    for (int i : idx) out.push_back(s.items[i]);
    return out;
}

// The texts of the run, split (no tokens yet: the vocabulary may come from a checkpoint).
// synth_n texts for the synthetic tasks (the relations task: min_len..max_len tokens).
inline TextData load_texts(const std::string& data, const std::string& data_dir, uint64_t seed, int synth_n,
                           int min_len = 8, int max_len = 20, bool balance_counts = false) {
    std::string which = data;
    std::vector<std::string> looked;
    if (which == "auto") {
        which = find_dataset("ag_news", data_dir).empty() ? "keywords" : "ag_news";
        if (which == "keywords") std::printf("AG News not found (ATTN_DATA, --data-dir): the synthetic keyword task\n");
    }
    TextData d;
    TextSet all, test_file;
    if (which == "ag_news" || which == "tweets") {
        const std::string dir = find_dataset(which, data_dir, &looked);
        if (dir.empty()) fail_missing_dataset(which, looked);
        namespace fs = std::filesystem;
        if (which == "tweets") all = load_airline_tweets(dir + "/Tweets.csv");
        else if (fs::exists(dir + "/train.csv") && fs::exists(dir + "/test.csv")) {
            all = load_ag_news_csv(dir + "/train.csv"), test_file = load_ag_news_csv(dir + "/test.csv");
            std::printf("official AG News train.csv / test.csv found: training on train.csv, testing on test.csv\n");
        } else all = load_ag_news_csv(dir + "/news_madewithml_10k.csv");
        all.name = which;
    } else if (which == "keywords") all = synth_keywords(synth_n, seed + 101);  // its own lengths, 8..40
    else if (which == "relations") all = synth_relations(synth_n, seed + 202, {min_len, max_len, 16, balance_counts});
    else fail("--data", "one of auto, ag_news, tweets, keywords, relations, got '" + which + "'");
    d.flag = which, d.name = all.name, d.source = all.source, d.class_names = all.class_names;
    if (test_file.items.empty()) {
        const SplitIdx s = split_indices((int)all.items.size(), kValFrac, kTestFrac, seed);
        d.train_raw = take_texts(all, s.train), d.val_raw = take_texts(all, s.val), d.test_raw = take_texts(all, s.test);
    } else {
        const SplitIdx s = split_indices((int)all.items.size(), kValFrac, 0.0f, seed);
        d.train_raw = take_texts(all, s.train), d.val_raw = take_texts(all, s.val), d.test_raw = test_file.items;
    }
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

// --eval-file FILE.csv: an AG News file (either layout) or a tweets file, told apart by its header.
// Its classes must be the model's (saved in the checkpoint): else a clear error.
inline TextSet load_eval_file(const std::string& path, const std::vector<std::string>& model_classes) {
    std::ifstream in(path);
    if (!in) fail(path, "a readable CSV file", "check the path given to --eval-file");
    std::string first;
    std::getline(in, first);
    const bool tweets = first.find("airline_sentiment") != std::string::npos;
    TextSet s = tweets ? load_airline_tweets(path) : load_ag_news_csv(path);
    if (s.class_names != model_classes) {
        std::string want, got;
        for (const auto& c : model_classes) want += (want.empty() ? "" : ", ") + c;
        for (const auto& c : s.class_names) got += (got.empty() ? "" : ", ") + c;
        fail(path, "the model's classes (" + want + "), found a " + (tweets ? "tweets" : "AG News") + " file with " + got,
             "evaluate a model trained on the same dataset (the checkpoint decides the labels)");
    }
    if (s.items.empty()) fail(path, "at least one labelled text", "is the file empty?");
    return s;
}

}  // namespace ch06
