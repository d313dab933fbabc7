// Tests for common/data/text_splits: the split chapters 05 and 06 share, and its bad inputs.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

#include "common/core/error.hpp"
#include "common/data/text_splits.hpp"
#include "tests/temp_files.hpp"

using namespace attn;
using attn::testing::write_temp_file;

namespace {
TextSet numbered_texts(int n) {
    TextSet ts;
    ts.name = "toy", ts.class_names = {"a", "b"};
    for (int i = 0; i < n; i++) ts.items.push_back({"text " + std::to_string(i), i % 2});
    return ts;
}
}  // namespace

TEST_CASE("text splits: sizes by fraction, deterministic by seed, every text in exactly one part") {
    const TextSet all = numbered_texts(100);
    TextSplits a = split_texts(all, kTextValFrac, kTextTestFrac, 7), b = split_texts(all, kTextValFrac, kTextTestFrac, 7);
    CHECK(a.train.size() == 80);
    CHECK(a.val.size() == 10);
    CHECK(a.test.size() == 10);
    CHECK(a.name == "toy");
    CHECK(a.class_names == all.class_names);
    for (size_t i = 0; i < a.test.size(); i++) CHECK(a.test[i].text == b.test[i].text);
    std::set<std::string> seen;
    for (const auto* part : {&a.train, &a.val, &a.test})
        for (const LabeledText& t : *part) CHECK(seen.insert(t.text).second);
    CHECK(seen.size() == 100);
    TextSplits c = split_texts(all, kTextValFrac, kTextTestFrac, 8);
    bool differs = false;
    for (size_t i = 0; i < c.test.size(); i++) differs = differs || c.test[i].text != a.test[i].text;
    CHECK(differs);
}

TEST_CASE("text splits: the official AG News train.csv + test.csv win over the 10k file; bad names are errors") {
    const std::string root = attn::testing::temp_path("text_splits", "");
    const std::string dir = root + "ag_news";  // the data root is `root` (--data-dir wins over ATTN_DATA)
    std::filesystem::remove_all(dir), std::filesystem::create_directories(dir);
    write_temp_file("text_splits", "ag_news/news_madewithml_10k.csv", "y,X\nSports,Team wins\nWorld,Talks\n");
    TextSplits mwml = load_text_splits("ag_news", root, 1);
    CHECK(mwml.train.size() + mwml.val.size() + mwml.test.size() == 2);
    std::string train;
    for (int i = 0; i < 40; i++) {  // "class","title i","d"
        train += '"';
        train += std::to_string(1 + i % 4);
        train += "\",\"title ";
        train += std::to_string(i);
        train += "\",\"d\"\n";
    }
    write_temp_file("text_splits", "ag_news/train.csv", train);
    write_temp_file("text_splits", "ag_news/test.csv", "\"3\",\"Stocks up\",\"d\"\n\"4\",\"New chip\",\"d\"\n");
    TextSplits off = load_text_splits("ag_news", root, 1);
    REQUIRE(off.test.size() == 2);
    CHECK(off.test[0].text.find("Stocks up") == 0);
    CHECK(off.train.size() + off.val.size() == 40);
    CHECK(off.val.size() == 2);  // 5 % of train.csv
    CHECK_THROWS_WITH_AS(load_text_splits("imdb", root, 1), doctest::Contains("ag_news or tweets"), Error);
    CHECK_THROWS_WITH_AS(load_text_splits("tweets", root, 1), doctest::Contains("Tweets.csv"), Error);  // names where it looked
}
