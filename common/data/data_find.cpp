#include "common/data/data_find.hpp"

#include <cstdlib>
#include <filesystem>

#include "common/core/error.hpp"
#include "common/data/gzfile.hpp"

namespace attn {

std::string find_data_root(const std::string& data_dir_flag) {
    if (!data_dir_flag.empty()) return data_dir_flag;
    const char* env = std::getenv("ATTN_DATA");
    if (env && *env) return env;
    return "";
}

// Does dir hold the dataset? Records the file(s) checked in looked.
static bool has_dataset(const std::string& dataset, const std::string& dir, std::vector<std::string>& looked) {
    auto any = [&](std::initializer_list<std::string> files) {
        for (const auto& f : files) {
            looked.push_back(dir + "/" + f);
            if (file_exists(dir + "/" + f)) return true;
        }
        return false;
    };
    if (dataset == "mnist" || dataset == "fashion-mnist")
        return any({"train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"});
    if (dataset == "fra-eng") return any({"fra.txt"});
    if (dataset == "ag_news") return any({"news_madewithml_10k.csv", "train.csv"});
    if (dataset == "tweets") return any({"Tweets.csv"});
    fail("dataset", "expected one of mnist, fashion-mnist, fra-eng, ag_news, tweets, found '" + dataset + "'");
}

static std::string subdir(const std::string& dataset) {
    if (dataset == "tweets") return "twitter_airline_sentiment";
    return dataset;  // mnist, fashion-mnist, fra-eng, ag_news
}

std::string find_dataset(const std::string& dataset, const std::string& data_dir_flag, std::vector<std::string>* looked) {
    std::vector<std::string> tried;
    std::vector<std::string> dirs;
    std::string root = find_data_root(data_dir_flag);
    if (!root.empty()) dirs.push_back(root + "/" + subdir(dataset));
    else dirs.push_back("data/" + subdir(dataset));
    if (dataset == "fashion-mnist") dirs.push_back("/usr/share/datasets/fashion-mnist");
    std::string found;
    for (const auto& d : dirs)
        if (has_dataset(dataset, d, tried)) {
            found = d;
            break;
        }
    if (found.empty() && root.empty()) tried.insert(tried.begin(), "(no --data-dir, ATTN_DATA not set)");
    if (looked) *looked = tried;
    return found;
}

void check_data_dir_flag(const std::string& data_dir_flag, const std::vector<std::string>& datasets) {
    if (data_dir_flag.empty()) return;
    std::error_code ec;
    if (!std::filesystem::is_directory(data_dir_flag, ec))
        fail("--data-dir " + data_dir_flag, "expected a directory", "the directory that holds mnist/, fashion-mnist/, fra-eng/, ...");
    std::vector<std::string> looked;
    std::string wanted;
    for (const std::string& ds : datasets) {
        if (has_dataset(ds, data_dir_flag + "/" + subdir(ds), looked)) return;
        if (!wanted.empty()) wanted += " or ";
        wanted += subdir(ds), wanted += "/";
    }
    std::string places;
    for (const std::string& p : looked) places += places.empty() ? p : ", " + p;
    fail("--data-dir " + data_dir_flag, "expected a directory holding " + wanted + " (looked for: " + places + ")",
         "fetch the data there (" + fetch_command(datasets.front()) + "), or leave --data-dir out to use the fallbacks");
}

std::string fetch_command(const std::string& dataset) {
    if (dataset == "mnist") return "data_tools/fetch_mnist.sh DIR";
    if (dataset == "fashion-mnist") return "sudo apt-get install dataset-fashion-mnist";
    if (dataset == "fra-eng") return "data_tools/fetch_fra_eng.sh DIR";
    if (dataset == "ag_news") return "data_tools/fetch_ag_news.sh DIR";
    if (dataset == "tweets")
        return "download Tweets.csv (Kaggle: crowdflower/twitter-airline-sentiment) into DIR/twitter_airline_sentiment/";
    return "";
}

void fail_missing_dataset(const std::string& dataset, const std::vector<std::string>& looked) {
    std::string places;
    for (const auto& p : looked) places += (places.empty() ? "" : ", ") + p;
    std::string hint = fetch_command(dataset);
    if (dataset != "fashion-mnist") hint += ", then pass --data-dir DIR or export ATTN_DATA=DIR";
    fail(dataset, "dataset not found; looked for: " + (places.empty() ? std::string("(nothing)") : places), hint);
}

}  // namespace attn
