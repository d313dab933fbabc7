// text_splits.hpp — the labelled texts of a text-classification run, split by seed: one home for
// the chapters that classify text (05, 06), so a seed gives every chapter the same split of the same
// data, and one reader for `--eval-file`.
//
//   ag_news   AG News: the official train.csv + test.csv when both are in the folder (test = test.csv,
//             5 % of train.csv for validation), else the Made With ML 10k file split 80 / 10 / 10
//   tweets    Twitter US Airline Sentiment (Tweets.csv), split 80 / 10 / 10
// (the loaders and the label orders: text_datasets.hpp; the split: splits.hpp's split_indices).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/data/data_types.hpp"

namespace attn {

constexpr float kTextValFrac = 0.1f, kTextTestFrac = 0.1f;  // of the one file, when no test file is given

struct TextSplits {
    std::string name, source;              // "ag_news", "tweets", or a synthetic task's name
    std::vector<std::string> class_names;  // label i is class_names[i]
    std::vector<LabeledText> train, val, test;
};

// Any set of texts, split by seed: test = round(n·test_frac), val = round(n·val_frac), train the rest.
TextSplits split_texts(const TextSet& all, float val_frac, float test_frac, uint64_t seed);

// `which` = ag_news | tweets, found in data_dir (else ATTN_DATA); a clear error when absent.
TextSplits load_text_splits(const std::string& which, const std::string& data_dir, uint64_t seed);

// --eval-file FILE.csv: an AG News file (either layout) or a tweets file, told apart by its first row.
// Its classes must be model_classes (the checkpoint's; model_name says which dataset they came from),
// and every text non-empty: else an error naming the file (and line).
TextSet load_text_eval_file(const std::string& path, const std::vector<std::string>& model_classes,
                            const std::string& model_name);

}  // namespace attn
