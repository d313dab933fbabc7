// translation_flags.hpp — the flags every translation chapter (01–04, 07) has, and its three run sizes
// (default, --quick, --full). A chapter's main.cpp declares these, then its own flags:
//
//   TranslationSettings s;  s.chapter = "02_additive_attention";
//   Cli cli(s.chapter, "...");
//   add_translation_flags(cli, s);  cli.flag("attn", &A, "attention size");  cli.parse(argc, argv);
//   finish_translation_flags(cli, s);  if (s.f.quick) size_default(cli, "attn", &A, 128);
#pragma once
#include <filesystem>
#include <string>

#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "common/core/error.hpp"
#include "common/run/cli.hpp"

namespace ch01 {

struct TranslationSettings {
    std::string chapter;       // "02_additive_attention": the program, the figure names, metrics.json
    std::string compare_with;  // a previous chapter whose run (OUT/../<it>/metrics.json) is drawn beside
    CommonFlags f;
    DataOptions data;
    int E = 128, H = 256;
    int beam = 5;
    float alpha = 1.0f;        // length normalisation of the search: log p / length^alpha
    float clip = 1.0f;         // global gradient-norm clip (0 = off)
    int bleu_val = 300;        // validation sentences translated (greedy) after each epoch
    int bucket = 0;            // source-length bucket width (0: about 8 buckets, at least 2 tokens wide)
    int examples = 5;
    int stop_after = 0;        // stop after this epoch (to --save and resume later with --load)
    bool full = false;
    int full_max_len = 8;      // --full's pair length and epochs: a chapter fast enough for longer pairs
    int full_epochs = 6;       // sets its own before finish_translation_flags (02, 03, 07: 15 tokens)
    std::string compare;       // --compare: another chapter's metrics.json
    // the last epoch this run trains: --epochs, or --stop-after when it is earlier
    int last_epoch() const { return stop_after > 0 ? std::min(stop_after, f.epochs) : f.epochs; }
};

// Declares the common flags and the translation ones. The chapter declares its own afterwards.
inline void add_translation_flags(Cli& cli, TranslationSettings& s) {
    s.f.epochs = 5, s.f.batch = 64, s.f.lr = 2e-3f;
    s.f.data_choices = {"auto", "fra-eng", "synthetic"};
    s.f.want_eval_file = true;
    add_common_flags(cli, s.f);
    cli.flag("full", &s.full, "the best result in under an hour: longer sentences, bigger model, more epochs");
    cli.choice("direction", &s.data.direction, {"en-fr", "fr-en"}, "fra-eng: translate English->French or back");
    cli.flag("max-len", &s.data.max_len, "fra-eng: keep pairs with at most this many tokens on both sides");
    cli.flag("max-pairs", &s.data.max_pairs, "fra-eng: use at most this many pairs (0 = all that fit max-len)");
    cli.flag("min-freq", &s.data.min_freq, "vocabulary: words seen at least this often in train (others: <unk>)");
    cli.flag("synth-pairs", &s.data.synth_pairs, "synthetic: number of sentence pairs");
    cli.flag("synth-max-len", &s.data.synth_max_len, "synthetic: longest source sentence (tokens)");
    cli.flag("emb", &s.E, "embedding size E");
    cli.flag("hidden", &s.H, "hidden size H of the recurrent layers");
    cli.flag("beam", &s.beam, "beam width for the beam-search evaluation");
    cli.flag("alpha", &s.alpha, "length normalisation: score = log p / length^alpha");
    cli.flag("clip", &s.clip, "clip the global gradient norm to this (0 = off)");
    cli.flag("stop-after", &s.stop_after, "stop after this epoch of --epochs (0: all); --save, then resume with --load");
    cli.flag("compare", &s.compare, "another chapter's metrics.json: draw its BLEU by length beside this one's");
    cli.range("max-len", 1, 1000), cli.range("min-freq", 1, 1000000), cli.range("synth-pairs", 10, 10000000);
    cli.range("synth-max-len", 3, 200), cli.range("emb", 1, 4096), cli.range("hidden", 1, 4096);
    cli.range("beam", 1, 100), cli.range("alpha", 0, 5), cli.range("max-pairs", 0, 1e9), cli.range("stop-after", 0, 100000);
}

// A run-size default: applies unless the flag was given on the command line (which always wins).
template <class T, class V>
void size_default(const Cli& cli, const char* name, T* dest, V value) {
    if (!cli.was_set(name)) *dest = (T)value;
}

// After cli.parse: the --quick and --full sizes of the shared flags, the data options, the output
// directory. A chapter sets the sizes of its own flags with size_default, before or after.
inline void finish_translation_flags(const Cli& cli, TranslationSettings& s) {
    if (s.f.quick) {
        size_default(cli, "max-len", &s.data.max_len, 6), size_default(cli, "max-pairs", &s.data.max_pairs, 15000);
        size_default(cli, "synth-pairs", &s.data.synth_pairs, 10000), size_default(cli, "synth-max-len", &s.data.synth_max_len, 15);
        size_default(cli, "epochs", &s.f.epochs, 3), size_default(cli, "emb", &s.E, 64), size_default(cli, "hidden", &s.H, 128);
        s.bleu_val = 100;
    } else if (s.full) {
        // more data (pairs up to 8 tokens, twice the default's; 15 tokens, 98 % of fra-eng, in the chapters
        // that set full_max_len), more words and epochs; the model stays at H 256, since a larger output
        // layer over ≈ 8k target words would not fit the hour (chapter 02 at H 384 and min_freq 2 ran at
        // < 1/5 of the default's steps per second)
        size_default(cli, "max-len", &s.data.max_len, s.full_max_len);
        size_default(cli, "min-freq", &s.data.min_freq, 3);
        size_default(cli, "synth-pairs", &s.data.synth_pairs, 60000), size_default(cli, "synth-max-len", &s.data.synth_max_len, 45);
        size_default(cli, "epochs", &s.f.epochs, s.full_epochs), size_default(cli, "emb", &s.E, 256);
        size_default(cli, "hidden", &s.H, 256);
    }
    s.data.data = s.f.data, s.data.data_dir = s.f.data_dir, s.data.seed = (uint64_t)s.f.seed;
    if (s.f.out.empty()) s.f.out = "runs/" + s.chapter;
    if (!s.compare.empty() && !std::filesystem::is_regular_file(s.compare))  // fail now, not after training
        fail("--compare", "a chapter's metrics.json, found no file '" + s.compare + "'",
             "run that chapter first, with the same --data and --seed");
    apply_common_flags(s.f);
}

}  // namespace ch01
