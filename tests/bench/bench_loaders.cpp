// bench_loaders — how fast the real datasets load (from ATTN_DATA). Targets on a laptop core:
// MNIST train (60,000 images, gunzip + IDX + uint8 -> float) < 1 s;
// fra.txt (162k pairs, 11 MB: read + UTF-8 check + normalise + tokenise) < 2 s.
#include <chrono>
#include <cstdio>
#include <string>

#include "common/data/corpus.hpp"
#include "common/data/data_find.hpp"
#include "common/core/error.hpp"
#include "common/data/gzfile.hpp"
#include "common/data/idx.hpp"
#include "common/data/text_datasets.hpp"
#include "common/data/vocab.hpp"

using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

int main() {
    try {
        std::string root = attn::find_data_root("");
        if (root.empty()) {
            std::printf("bench_loaders: ATTN_DATA not set, nothing to time (set it to the data folder)\n");
            return 0;
        }
        std::string mnist = attn::find_dataset("mnist", "", nullptr);
        if (!mnist.empty()) {
            auto t0 = Clock::now();
            attn::ImageSet tr = attn::load_mnist_dir(mnist, true, "mnist");
            double s = since(t0);
            std::printf("MNIST train   %6d images   %.3f s   %9.0f images/s   (target < 1 s)%s\n", tr.count, s,
                        tr.count / s, s < 1 ? "" : "  SLOWER THAN TARGET");
        }
        std::string fra = attn::find_dataset("fra-eng", "", nullptr);
        if (!fra.empty()) {
            auto t0 = Clock::now();
            attn::PairSet ps = attn::load_pairs(fra + "/fra.txt");
            long tokens = 0;
            for (const auto& p : ps.pairs) tokens += attn::count_tokens(p.src) + attn::count_tokens(p.tgt);
            double s = since(t0);
            std::printf("fra.txt       %6zu pairs    %.3f s   %9.0f pairs/s    (target < 2 s; %ld tokens)%s\n",
                        ps.pairs.size(), s, ps.pairs.size() / s, tokens, s < 2 ? "" : "  SLOWER THAN TARGET");
            std::vector<std::string> src;
            for (const auto& p : ps.pairs) src.push_back(p.src);
            t0 = Clock::now();
            attn::Vocab v = attn::Vocab::build(src, 1, 0);
            std::printf("English vocab %6d tokens   %.3f s\n", v.size(), since(t0));
        }
        std::string ag = attn::find_dataset("ag_news", "", nullptr);
        if (!ag.empty() && attn::file_exists(ag + "/news_madewithml_10k.csv")) {
            auto t0 = Clock::now();
            attn::TextSet t = attn::load_ag_news_csv(ag + "/news_madewithml_10k.csv");
            std::printf("AG News       %6zu titles   %.3f s\n", t.items.size(), since(t0));
        }
        std::string tw = attn::find_dataset("tweets", "", nullptr);
        if (!tw.empty()) {
            auto t0 = Clock::now();
            attn::TextSet t = attn::load_airline_tweets(tw + "/Tweets.csv");
            std::printf("Tweets        %6zu tweets   %.3f s\n", t.items.size(), since(t0));
        }
    } catch (const attn::Error& e) {
        std::fprintf(stderr, "bench_loaders: %s\n", e.what());
        return 1;
    }
    return 0;
}
