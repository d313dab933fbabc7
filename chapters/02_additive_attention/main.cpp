// Chapter 02 — Additive attention (Bahdanau, Cho & Bengio 2014, "Neural Machine Translation by
// Jointly Learning to Align and Translate"): the decoder stops relying on one fixed vector and, at every
// step, looks back at ALL encoder states through learned weights α_ti.
//
// What you learn here:
//   * the additive score e_ti = vᵀ tanh(W s_{t−1} + U h_i), a softmax over the VALID (unpadded) source
//     positions, and the context c_t = Σ_i α_ti h_i — additive_attention.hpp (forward and backward);
//   * a bidirectional GRU encoder (h_i = [h→_i ; h←_i]), the decoder GRU fed [embedding ; context],
//     s_0 = tanh(W_s h←_1 + b_s) — bahdanau_seq2seq.hpp;
//   * reading alignments: heatmaps of α (rows = target tokens, columns = source tokens) —
//     alignment_figure.hpp — and BLEU by source length beside chapter 01's curve.
// Everything else — data, training loop, greedy and beam search, BLEU, --eval-file, checkpoints — is
// chapter 01's (chapters/01_seq2seq/translation_driver.hpp): this file only brings the model.
//
// Run:   make run CHAPTER=02_additive_attention        (or build/bin/02_additive_attention --help)
//        build/bin/02_additive_attention --quick        (well under a minute on the synthetic task)
//        build/bin/01_seq2seq --quick && build/bin/02_additive_attention --quick   (draws ch01's curve beside)
//
// Shapes: B batch, S source length, T target length, E embedding, H hidden, A attention, Vs/Vt vocabularies.
#include <memory>
#include <string>

#include "chapters/01_seq2seq/translation_driver.hpp"
#include "chapters/02_additive_attention/alignment_figure.hpp"
#include "chapters/02_additive_attention/bahdanau_seq2seq.hpp"

using namespace attn;
using namespace s2s;

int main(int argc, char** argv) {
    return translation_main("02_additive_attention", [&] {
        TranslationSettings s;
        s.chapter = "02_additive_attention", s.model_kind = "bahdanau";
        s.compare_with = "01_seq2seq";  // runs/01_seq2seq/metrics.json, when it is there: drawn beside ours
        int A = 256;
        Cli cli(s.chapter, "Bahdanau additive attention (bidirectional GRU encoder) on fra-eng, or the synthetic translation task.");
        add_translation_flags(cli, s);
        cli.flag("attn", &A, "attention size A (rows of W and U, length of v)");
        cli.range("attn", 1, 4096);
        cli.parse(argc, argv);
        finish_translation_flags(cli, s);
        if (s.f.quick) size_default(cli, "attn", &A, 128);
        if (s.full) size_default(cli, "attn", &A, 256);

        // The model: bidirectional GRU encoder, additive attention, GRU decoder (bahdanau_seq2seq.hpp).
        std::unique_ptr<Bahdanau> net;
        BahdanauActs acts;
        auto make_model = [&](int Vs, int Vt, const std::string& config, Rng& rng) {
            BahdanauConfig c{.Vs = Vs, .Vt = Vt, .E = s.E, .H = s.H, .A = A};
            if (!config.empty()) c = bahdanau_parse_config(config, s.f.load);
            net = std::make_unique<Bahdanau>();  // heap: its Tensors point into its ParamSet
            bahdanau_build(*net, c, rng);
            return bahdanau_model(*net, acts);
        };
        // Its own figure: where the attention looked, for four test sentences (one of them the longest).
        auto alignments = [&](TranslationRun& run) {
            std::string path = run.fig("alignments");
            save_alignments(path, "ch02 additive attention: alignments (rows: output, columns: source)", run,
                            heatmap_sentences(run.test_items));
            std::printf("figure: %s\n", path.c_str());
            run.figures.push_back(path);
        };
        run_translation_chapter(s, make_model, alignments);
    });
}
