// The real datasets, when present: exact counts from /work/shared/data/README.md.
// Needs ATTN_DATA (CI sets it); without it each case prints a MESSAGE and checks nothing.
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "common/data/corpus.hpp"
#include "common/data/data_find.hpp"
#include "common/data/gzfile.hpp"
#include "common/data/idx.hpp"
#include "common/data/splits.hpp"
#include "common/data/text_datasets.hpp"

namespace {

// The dataset's directory, or "" (with a MESSAGE) when ATTN_DATA is not set.
std::string real_dir(const std::string& dataset) {
    const char* env = std::getenv("ATTN_DATA");
    if (!env || !*env) {
        MESSAGE("ATTN_DATA not set: skipping the real " << dataset << " check");
        return "";
    }
    std::vector<std::string> looked;
    std::string dir = attn::find_dataset(dataset, "", &looked);
    REQUIRE_MESSAGE(!dir.empty(), "ATTN_DATA is set but " << dataset << " is not under it");
    return dir;
}

}  // namespace

TEST_CASE("real data: MNIST 60,000 / 10,000 images, labels 0..9, pixels in [0,1]") {
    std::string dir = real_dir("mnist");
    if (dir.empty()) return;
    attn::ImageSet tr = attn::load_mnist_dir(dir, true, "mnist");
    attn::ImageSet te = attn::load_mnist_dir(dir, false, "mnist");
    CHECK(tr.count == 60000);
    CHECK(te.count == 10000);
    CHECK(tr.rows == 28);
    CHECK(tr.cols == 28);
    std::map<int, int> hist;
    for (int y : tr.labels) hist[y]++;
    CHECK(hist.size() == 10);
    CHECK(hist[1] == 6742);  // the best-known MNIST class count
    float lo = 1, hi = 0;
    for (float p : tr.pixels) lo = p < lo ? p : lo, hi = p > hi ? p : hi;
    CHECK(lo == 0.0f);
    CHECK(hi == 1.0f);
}

TEST_CASE("real data: Fashion-MNIST from the Debian package") {
    const std::string dir = "/usr/share/datasets/fashion-mnist";
    if (!attn::file_exists(dir + "/t10k-images-idx3-ubyte.gz")) {
        MESSAGE("no " << dir << " (apt-get install dataset-fashion-mnist): skipping");
        return;
    }
    attn::ImageSet te = attn::load_mnist_dir(dir, false, "fashion-mnist");
    CHECK(te.count == 10000);
    CHECK(te.class_names[9] == "Ankle boot");
    std::map<int, int> hist;
    for (int y : te.labels) hist[y]++;
    for (int c = 0; c < 10; c++) CHECK(hist[c] == 1000);
    // the training labels only (reading 47 MB of training pixels twice would slow the suite)
    CHECK(attn::read_whole_file(dir + "/train-labels-idx1-ubyte.gz").size() == 8 + 60000);
}

TEST_CASE("real data: fra.txt has 162,191 pairs, normalised, split by source") {
    std::string dir = real_dir("fra-eng");
    if (dir.empty()) return;
    attn::PairSet ps = attn::load_pairs(dir + "/fra.txt");
    CHECK(ps.pairs.size() == 162191);
    CHECK(ps.pairs[0].src == "go .");
    CHECK(ps.pairs[0].tgt == "va !");
    for (const auto& p : ps.pairs) {  // no special spaces, no double spaces survive
        if (p.tgt.find("\xE2\x80\xAF") != std::string::npos || p.tgt.find("  ") != std::string::npos) {
            FAIL("badly normalised: " << p.tgt);
            break;
        }
    }
    attn::PairOptions o;
    o.max_len = 10;
    o.eng_prefixes = true;
    attn::PairSet small = attn::load_pairs(dir + "/fra.txt", o);
    CHECK(small.pairs.size() > 5000);
    CHECK(small.pairs.size() < 20000);
    attn::SplitIdx s = attn::split_pairs_by_source(ps, 0.05f, 0.05f, 1);
    CHECK(s.train.size() + s.val.size() + s.test.size() == ps.pairs.size());
    std::set<std::string> test_src;
    for (int i : s.test) test_src.insert(ps.pairs[i].src);
    int leaked = 0;
    for (int i : s.train) leaked += test_src.count(ps.pairs[i].src) > 0;
    CHECK(leaked == 0);
}

TEST_CASE("real data: AG News Made With ML subset, 10,000 titles with the README's class counts") {
    std::string dir = real_dir("ag_news");
    if (dir.empty()) return;
    attn::TextSet t = attn::load_ag_news_csv(dir + "/news_madewithml_10k.csv");
    CHECK(t.items.size() == 10000);
    std::map<std::string, int> n;
    for (const auto& it : t.items) n[t.class_names[it.label]]++;
    CHECK(n["Sci/Tech"] == 2662);
    CHECK(n["World"] == 2523);
    CHECK(n["Business"] == 2477);
    CHECK(n["Sports"] == 2338);
    int escapes = 0;
    for (const auto& it : t.items) escapes += it.text.find("\\$") != std::string::npos || it.text.find("#39;") != std::string::npos;
    CHECK(escapes == 0);
}

TEST_CASE("real data: airline tweets, 11,712 records") {
    std::string dir = real_dir("tweets");
    if (dir.empty()) return;
    attn::TextSet t = attn::load_airline_tweets(dir + "/Tweets.csv");
    CHECK(t.items.size() == 11712);
    int n[3] = {0, 0, 0};
    for (const auto& it : t.items) n[it.label]++;
    CHECK(n[0] == 7342);  // negative
    CHECK(n[1] == 2503);  // neutral
    CHECK(n[2] == 1867);  // positive
}
