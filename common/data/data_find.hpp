// data_find.hpp — where real data lives, and what to say when it is not there.
//
// The rule (the same in every chapter):
//   root = --data-dir if given, else $ATTN_DATA if set, else none;
//   mnist          <root>/mnist                 (train-images-idx3-ubyte[.gz] …)
//   fashion-mnist  <root>/fashion-mnist, then /usr/share/datasets/fashion-mnist (Debian package)
//   fra-eng        <root>/fra-eng               (fra.txt)
//   ag_news        <root>/ag_news               (news_madewithml_10k.csv, or train.csv + test.csv)
//   tweets         <root>/twitter_airline_sentiment   (Tweets.csv)
// With no root, ./data is tried too (where the data_tools/fetch_*.sh scripts put files by default).
#pragma once
#include <string>
#include <vector>

namespace attn {

// The data root: data_dir_flag, else $ATTN_DATA, else "".
std::string find_data_root(const std::string& data_dir_flag);

// The dataset's directory, or "" when absent; `looked` (optional) receives the files tried.
// dataset: "mnist", "fashion-mnist", "fra-eng", "ag_news", "tweets" (anything else is an error).
std::string find_dataset(const std::string& dataset, const std::string& data_dir_flag,
                         std::vector<std::string>* looked = nullptr);

// An explicit --data-dir must hold data the chapter can use: for an "auto" choice, call this with the
// datasets that choice could take (e.g. {"mnist", "fashion-mnist"}). Nothing happens without the flag
// ($ATTN_DATA and the Debian location keep their quiet fallbacks); with it, a path that is not a
// directory, or a directory holding none of them, is an error naming --data-dir and what it lacks.
void check_data_dir_flag(const std::string& data_dir_flag, const std::vector<std::string>& datasets);

// The command that fetches a dataset, e.g. "data_tools/fetch_mnist.sh DIR".
std::string fetch_command(const std::string& dataset);

// Throw attn::Error: "<dataset>: not found; looked for: ... (HINT: <fetch command> ...)".
[[noreturn]] void fail_missing_dataset(const std::string& dataset, const std::vector<std::string>& looked);

}  // namespace attn
