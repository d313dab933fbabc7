// text_splits.cpp — see text_splits.hpp.
#include "common/data/text_splits.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common/core/error.hpp"
#include "common/data/csv.hpp"
#include "common/data/data_find.hpp"
#include "common/data/splits.hpp"
#include "common/data/text_datasets.hpp"

namespace attn {

static std::vector<LabeledText> take_texts(const TextSet& s, const std::vector<int>& idx) {
    std::vector<LabeledText> out;
    out.reserve(idx.size());
    for (int i : idx) out.push_back(s.items[i]);
    return out;
}

TextSplits split_texts(const TextSet& all, float val_frac, float test_frac, uint64_t seed) {
    TextSplits d;
    d.name = all.name, d.source = all.source, d.class_names = all.class_names;
    const SplitIdx s = split_indices((int)all.items.size(), val_frac, test_frac, seed);
    d.train = take_texts(all, s.train), d.val = take_texts(all, s.val), d.test = take_texts(all, s.test);
    return d;
}

TextSplits load_text_splits(const std::string& which, const std::string& data_dir, uint64_t seed) {
    if (which != "ag_news" && which != "tweets") fail("--data", "ag_news or tweets, found '" + which + "'");
    std::vector<std::string> looked;
    const std::string dir = find_dataset(which, data_dir, &looked);
    if (dir.empty()) fail_missing_dataset(which, looked);
    namespace fs = std::filesystem;
    if (which == "tweets") return split_texts(load_airline_tweets(dir + "/Tweets.csv"), kTextValFrac, kTextTestFrac, seed);
    if (!fs::exists(dir + "/train.csv") || !fs::exists(dir + "/test.csv"))
        return split_texts(load_ag_news_csv(dir + "/news_madewithml_10k.csv"), kTextValFrac, kTextTestFrac, seed);
    TextSet train = load_ag_news_csv(dir + "/train.csv"), test = load_ag_news_csv(dir + "/test.csv");
    std::printf("AG News: the official train.csv (%zu titles) and test.csv (%zu) are present: training on "
                "train.csv, testing on test.csv\n",
                train.items.size(), test.items.size());
    TextSplits d = split_texts(train, 0.05f, 0.0f, seed);
    d.test = test.items;
    return d;
}

TextSet load_text_eval_file(const std::string& path, const std::vector<std::string>& model_classes,
                            const std::string& model_name) {
    if (!std::filesystem::exists(path)) fail(path, "expected a CSV file to evaluate, found no such file");
    CsvTable raw = read_csv(path, /*has_header=*/false);
    if (raw.rows.empty()) fail(path, "expected a header or AG News rows, found an empty file");
    const auto& h = raw.rows[0];
    const bool tweets = std::find(h.begin(), h.end(), "airline_sentiment") != h.end();
    TextSet ts = tweets ? load_airline_tweets(path) : load_ag_news_csv(path);
    if (ts.class_names != model_classes) {
        std::string classes;
        for (const auto& c : model_classes) classes += (classes.empty() ? "" : ", ") + c;
        fail(path,
             "expected texts with the model's classes (" + model_name + ": " + classes + "), found " +
                 (tweets ? "a tweets file (airline_sentiment negative/neutral/positive)"
                         : "an AG News file (World/Sports/Business/Sci/Tech)"),
             "this model was trained on " + model_name + "; evaluate it on a file of the same dataset");
    }
    const size_t first_row = (tweets || (h.size() == 2 && (h[0] == "y" || h[0] == "X"))) ? 1 : 0;
    for (size_t r = 0; r < ts.items.size(); r++)
        if (ts.items[r].text.find_first_not_of(" \t\r\n") == std::string::npos)
            fail(path + ":" + std::to_string(raw.line_of_row[first_row + r]),
                 "expected a non-empty text, found an empty one", "every row needs its title or tweet");
    return ts;
}

}  // namespace attn
