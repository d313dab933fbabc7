// holdout_pairs — set sentences aside from a fra-eng corpus, for an evaluation no model has trained on.
//
//   holdout_pairs --in $ATTN_DATA/fra-eng/fra.txt --out heldout/ [--frac 0.03] [--seed 1]
//   -> heldout/fra-eng/fra.txt     the other pairs, lines unchanged: train here with --data-dir heldout
//      heldout/fra-eng-heldout.txt the pairs set aside: evaluate with --eval-file heldout/fra-eng-heldout.txt
//
// A chapter's own test split is held out from its training run, but it changes with --max-len and
// --seed, so two runs (pairs of ≤ 6 and of ≤ 15 tokens, say) are never tested on the same sentences.
// Setting a file aside before any run gives them all one test of every length, long sentences too.
// Like the chapters' splits, the choice is by distinct English sentence (after normalize_sentence):
// all the French translations of one English sentence go to the same side. A sentence is chosen
// when a hash of its normalised text and --seed falls under --frac, so the choice of one sentence
// does not depend on the rest of the file. Exit status: 0, or 2 on a bad command line or input.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/core/error.hpp"
#include "common/core/rng.hpp"
#include "common/data/corpus.hpp"
#include "common/run/cli.hpp"

namespace {

// FNV-1a (64-bit) over the bytes, then splitmix64's finaliser with the seed mixed in: a uniform
// 64-bit value.
uint64_t sentence_hash(const std::string& s, uint64_t seed) {
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return attn::splitmix64_mix(h + seed * 0x9e3779b97f4a7c15ull);
}

bool held_out(const std::string& english, double frac, uint64_t seed) {
    double u = (double)(sentence_hash(attn::normalize_sentence(english), seed) >> 11) * 0x1.0p-53;  // [0,1)
    return u < frac;
}

std::ofstream open_out(const std::string& path) {
    std::ofstream f(path, std::ios::binary);
    if (!f) attn::fail(path, "a writable file", "check that the --out directory can be written");
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    attn::Cli cli("holdout_pairs",
                  "Set aside the pairs of a random share of the distinct English sentences of a fra-eng\n"
                  "corpus: OUT/fra-eng/fra.txt keeps the rest (train with --data-dir OUT), and\n"
                  "OUT/fra-eng-heldout.txt the pairs set aside (evaluate with --eval-file).");
    std::string in, out;
    double frac = 0.03;
    long seed = 1;
    cli.flag("in", &in, "the corpus: English<TAB>French[<TAB>attribution] lines (fra.txt)");
    cli.flag("out", &out, "output directory (created if missing)");
    cli.flag("frac", &frac, "share of the distinct English sentences set aside");
    cli.flag("seed", &seed, "which sentences: another seed, another held-out set");
    cli.range("frac", 0, 1), cli.range("seed", 0, 1e15);
    cli.parse(argc, argv);
    try {
        if (in.empty() || out.empty())
            attn::fail("holdout_pairs", "--in and --out", "holdout_pairs --in fra.txt --out DIR");
        attn::PairSet all = attn::load_pairs(in);  // every line checked (file:line errors) before any writing
        std::ifstream f(in, std::ios::binary);
        std::filesystem::create_directories(out + "/fra-eng");
        std::string kept_path = out + "/fra-eng/fra.txt", held_path = out + "/fra-eng-heldout.txt";
        std::error_code ec;  // no error when an output does not exist yet
        if (std::filesystem::equivalent(in, kept_path, ec) || std::filesystem::equivalent(in, held_path, ec))
            attn::fail(in, "an input apart from the outputs", "give another --out directory");
        std::ofstream kept = open_out(kept_path), held = open_out(held_path);
        long n_kept = 0, n_held = 0;
        for (std::string line; std::getline(f, line);) {
            if (n_kept + n_held == 0 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // a BOM
            bool h = held_out(line.substr(0, line.find('\t')), frac, (uint64_t)seed);
            (h ? held : kept) << line << '\n';
            (h ? n_held : n_kept)++;
        }
        if (!kept || !held) attn::fail(out, "room to write both files", "check the disk space");
        if (n_kept + n_held != (long)all.pairs.size())
            attn::fail(in, "the " + std::to_string(all.pairs.size()) + " pairs it holds written, wrote " +
                               std::to_string(n_kept + n_held));
        std::printf("%s: %zu pairs -> %s: %ld pairs, %s: %ld pairs\n", in.c_str(), all.pairs.size(),
                    kept_path.c_str(), n_kept, held_path.c_str(), n_held);
        std::printf("(the pairs of %g of the distinct English sentences set aside, seed %ld)\n", frac, seed);
    } catch (const attn::Error& e) {
        std::fprintf(stderr, "holdout_pairs: error: %s\n", e.what());
        return 2;
    }
    return 0;
}
