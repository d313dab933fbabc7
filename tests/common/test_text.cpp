// Vocabulary, batching, splits and data discovery.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "common/data/batching.hpp"
#include "common/data/corpus.hpp"
#include "common/data/data_find.hpp"
#include "common/core/error.hpp"
#include "common/data/splits.hpp"
#include "common/data/vocab.hpp"

TEST_CASE("vocab: specials, deterministic order, min_freq, max_size, encode/decode round trip") {
    std::vector<std::string> sents = {"the cat sat", "the dog sat", "a cat", "the end"};
    attn::Vocab v = attn::Vocab::build(sents, 1, 0);
    CHECK(v.size() == 4 + 6);
    CHECK(v.token(0) == "<pad>");
    CHECK(v.token(1) == "<unk>");
    CHECK(v.token(2) == "<bos>");
    CHECK(v.token(3) == "<eos>");
    // frequency: the 3, cat 2, sat 2, then a dog end (1 each) — ties by token
    CHECK(v.token(4) == "the");
    CHECK(v.token(5) == "cat");
    CHECK(v.token(6) == "sat");
    CHECK(v.token(7) == "a");
    CHECK(v.token(8) == "dog");
    CHECK(v.token(9) == "end");
    CHECK(v.id("zebra") == attn::Vocab::UNK);
    CHECK_THROWS_AS(v.token(10), attn::Error);
    CHECK_THROWS_AS(v.token(-1), attn::Error);

    std::vector<int> ids = v.encode("the  cat zebra", true, true);
    CHECK(ids == std::vector<int>{2, 4, 5, 1, 3});
    CHECK(v.decode(ids) == "the cat <unk>");
    CHECK(v.decode(ids, false) == "<bos> the cat <unk> <eos>");
    CHECK(v.decode({4, 5, 3, 6, 6}) == "the cat");  // stops at <eos>
    CHECK(v.decode({4, 0, 0}) == "the");

    attn::Vocab f = attn::Vocab::build(sents, 2, 0);
    CHECK(f.size() == 7);
    attn::Vocab m = attn::Vocab::build(sents, 1, 6);
    CHECK(m.size() == 6);
    CHECK(m.token(5) == "cat");

    // every sentence of a corpus survives encode -> decode when all its tokens are known
    std::string s = attn::normalize_sentence("Qu'est-ce que c'est\xE2\x80\xAF? Je ne sais pas.");
    attn::Vocab w = attn::Vocab::build({s}, 1, 0);
    CHECK(w.decode(w.encode(s, true, true)) == s);
}

TEST_CASE("vocab: serialize / deserialize round trip and malformed input") {
    attn::Vocab v = attn::Vocab::build({"b a c a", "\xC3\xA9t\xC3\xA9 a"}, 1, 0);
    std::string text = v.serialize();
    attn::Vocab r = attn::Vocab::deserialize(text, "ckpt");
    REQUIRE(r.size() == v.size());
    for (int i = 0; i < v.size(); i++) CHECK(r.token(i) == v.token(i));
    CHECK(r.id("\xC3\xA9t\xC3\xA9") == v.id("\xC3\xA9t\xC3\xA9"));

    CHECK_THROWS_WITH_AS(attn::Vocab::deserialize("hello\n", "ckpt"), doctest::Contains("ckpt: expected a vocabulary starting"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::Vocab::deserialize(text.substr(0, text.size() - 3), "ckpt"), doctest::Contains("truncated"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::Vocab::deserialize("attn-vocab 1 5\n<pad>\n<unk>\n<eos>\n<bos>\nx\n", "ckpt"),
                         doctest::Contains("ckpt:token 2: expected the special <bos>"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::Vocab::deserialize("attn-vocab 1 6\n<pad>\n<unk>\n<bos>\n<eos>\nx\nx\n", "ckpt"),
                         doctest::Contains("'x' repeats"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::Vocab::deserialize("attn-vocab 1 x5\n", "ckpt"), doctest::Contains("expected a vocabulary size"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::Vocab::deserialize(text + "extra\n", "ckpt"), doctest::Contains("found more text"), attn::Error);
}

TEST_CASE("batching: padding, mask, lengths; buckets cover every index once") {
    std::vector<std::vector<int>> seqs = {{5, 6, 7}, {8}, {}, {9, 10, 11, 12}};
    attn::TokenBatch b = attn::make_batch(seqs, {1, 3, 0});
    CHECK(b.B == 3);
    CHECK(b.T == 4);
    CHECK(b.ids == std::vector<int>{8, 0, 0, 0, 9, 10, 11, 12, 5, 6, 7, 0});
    CHECK(b.mask == std::vector<uint8_t>{1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0});
    CHECK(b.lengths == std::vector<int>{1, 4, 3});
    attn::TokenBatch e = attn::make_batch(seqs, {2});
    CHECK(e.T == 1);
    CHECK(e.mask == std::vector<uint8_t>{0});
    CHECK_THROWS_AS(attn::make_batch(seqs, {4}), attn::Error);

    std::vector<std::vector<int>> many;
    for (int i = 0; i < 103; i++) many.push_back(std::vector<int>((i * 37) % 23 + 1, 4));
    attn::Rng rng(7);
    auto batches = attn::bucket_batches(many, 10, rng, true);
    CHECK(batches.size() == 11);
    std::vector<int> seen;
    int spread = 0;
    for (const auto& bt : batches) {
        seen.insert(seen.end(), bt.begin(), bt.end());
        size_t lo = 1000, hi = 0;
        for (int i : bt) lo = std::min(lo, many[i].size()), hi = std::max(hi, many[i].size());
        spread = std::max(spread, (int)(hi - lo));
    }
    std::sort(seen.begin(), seen.end());
    for (int i = 0; i < 103; i++) CHECK(seen[i] == i);
    CHECK(spread <= 3);  // similar lengths together (23 lengths over ~10 batches)
    attn::Rng rng2(7);
    CHECK(attn::bucket_batches(many, 10, rng2, true) == batches);  // same seed, same batches
    CHECK_THROWS_AS(attn::bucket_batches(many, 0, rng, false), attn::Error);
}

TEST_CASE("splits: deterministic, disjoint, complete; by source keeps each source in one part") {
    attn::SplitIdx a = attn::split_indices(1000, 0.1f, 0.2f, 3), b = attn::split_indices(1000, 0.1f, 0.2f, 3);
    CHECK(a.train == b.train);
    CHECK(a.test == b.test);
    CHECK(a.test.size() == 200);
    CHECK(a.val.size() == 100);
    CHECK(a.train.size() == 700);
    std::set<int> all(a.train.begin(), a.train.end());
    all.insert(a.val.begin(), a.val.end());
    all.insert(a.test.begin(), a.test.end());
    CHECK(all.size() == 1000);
    CHECK(attn::split_indices(1000, 0.1f, 0.2f, 4).test != a.test);
    CHECK_THROWS_AS(attn::split_indices(10, 0.6f, 0.5f, 1), attn::Error);

    attn::PairSet ps;
    for (int i = 0; i < 600; i++) ps.pairs.push_back({"src" + std::to_string(i % 200), "tgt" + std::to_string(i)});
    attn::SplitIdx s = attn::split_pairs_by_source(ps, 0.1f, 0.1f, 9);
    CHECK(s.train.size() + s.val.size() + s.test.size() == 600);
    CHECK(s.test.size() == 60);  // groups of 3: 60 pairs exactly
    std::set<std::string> tr, va, te;
    for (int i : s.train) tr.insert(ps.pairs[i].src);
    for (int i : s.val) va.insert(ps.pairs[i].src);
    for (int i : s.test) te.insert(ps.pairs[i].src);
    for (const auto& x : te) CHECK((tr.count(x) == 0 && va.count(x) == 0));
    for (const auto& x : va) CHECK(tr.count(x) == 0);
    CHECK(attn::split_pairs_by_source(ps, 0.1f, 0.1f, 9).test == s.test);
}

TEST_CASE("data_find: the flag wins; missing data lists the places looked and the fetch command") {
    auto root = std::filesystem::temp_directory_path() / "attn_test_find";
    std::filesystem::create_directories(root / "fra-eng");
    std::ofstream(root / "fra-eng" / "fra.txt") << "Go.\tVa !\n";
    CHECK(attn::find_data_root("/x/y") == "/x/y");
    std::vector<std::string> looked;
    CHECK(attn::find_dataset("fra-eng", root.string(), &looked) == (root / "fra-eng").string());
    CHECK(attn::find_dataset("mnist", root.string(), &looked) == "");
    REQUIRE(!looked.empty());
    CHECK(looked[0] == (root / "mnist" / "train-images-idx3-ubyte.gz").string());
    const std::string expect = "mnist: dataset not found; looked for: " + (root / "mnist").string();
    CHECK_THROWS_WITH_AS(attn::fail_missing_dataset("mnist", looked), doctest::Contains(expect.c_str()), attn::Error);
    CHECK_THROWS_WITH_AS(attn::fail_missing_dataset("mnist", looked), doctest::Contains("data_tools/fetch_mnist.sh"), attn::Error);
    CHECK(attn::find_dataset("tweets", root.string(), &looked) == "");
    CHECK(looked[0] == (root / "twitter_airline_sentiment" / "Tweets.csv").string());
    std::vector<std::string> fl;
    attn::find_dataset("fashion-mnist", root.string(), &fl);
    CHECK(std::find(fl.begin(), fl.end(), "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") != fl.end());
    CHECK_THROWS_WITH_AS(attn::fail_missing_dataset("fashion-mnist", fl), doctest::Contains("apt-get install dataset-fashion-mnist"),
                         attn::Error);
    CHECK_THROWS_WITH_AS(attn::find_dataset("cifar", root.string(), &looked), doctest::Contains("expected one of mnist"), attn::Error);
}

TEST_CASE("take_images: picks images and labels in the given order; a bad index is an error") {
    attn::ImageSet src;
    src.name = "toy";
    src.count = 3, src.rows = 1, src.cols = 2;
    src.pixels = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
    src.labels = {7, 8, 9};
    attn::ImageSet t = attn::take_images(src, {2, 0});
    CHECK(t.count == 2);
    CHECK(t.name == "toy");
    CHECK(t.labels == std::vector<int>{9, 7});
    CHECK(t.pixels[0] == 0.5f);
    CHECK(t.pixels[3] == 0.2f);
    CHECK_THROWS_AS(attn::take_images(src, {3}), attn::Error);
}
