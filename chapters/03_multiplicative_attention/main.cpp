// Chapter 03 — Multiplicative attention (Luong, Pham & Manning 2015, "Effective Approaches to
// Attention-based Neural Machine Translation"): global attention with four score functions, the
// attentional hidden state h̃_t and input feeding.
//
// What you learn here:
//   * score functions (eq. 8): dot h_tᵀ h̄_s, general h_tᵀ W_a h̄_s, concat v_aᵀ tanh(W_a [h_t ; h̄_s]),
//     and the scaled dot product h_tᵀ h̄_s / √H — luong_attention.hpp (forward and backward of each);
//   * attending with the CURRENT decoder state h_t (after the GRU step, not before as in chapter 02),
//     then h̃_t = tanh(W_c [c_t ; h_t]) and p(y_t) = softmax(W_s h̃_t) — luong_seq2seq.hpp;
//   * input feeding: h̃_{t−1} goes into the next step's input, so the decoder knows what it attended
//     to before (and BPTT runs through that path too);
//   * comparing the scores: BLEU, perplexity, speed, and what each one's alignments look like.
// Everything else — data, training loop, greedy and beam search, BLEU, --eval-file, checkpoints — is
// chapter 01's (chapters/01_seq2seq/translation_driver.hpp): this file only brings the model.
//
// Run:   make run CHAPTER=03_multiplicative_attention     (or build/bin/03_multiplicative_attention --help)
//        build/bin/03_multiplicative_attention --quick --score dot
//        build/bin/03_multiplicative_attention --quick --score concat --input-feeding=false
//
// Shapes: B batch, S source length, T target length, E embedding, H hidden, A concat attention size.
#include <memory>
#include <string>

#include "chapters/01_seq2seq/translation_driver.hpp"
#include "chapters/02_additive_attention/alignment_figure.hpp"
#include "chapters/03_multiplicative_attention/luong_seq2seq.hpp"

using namespace attn;
using namespace s2s;

int main(int argc, char** argv) {
    return translation_main("03_multiplicative_attention", [&] {
        TranslationSettings s;
        s.chapter = "03_multiplicative_attention", s.model_kind = "luong";
        s.compare_with = "02_additive_attention";  // runs/02_additive_attention/metrics.json, when there: drawn beside
        std::string score = "scaled-dot";  // dot and general collapse onto one position at these sizes (README)
        int A = 256;
        bool feed = true;
        Cli cli(s.chapter, "Luong global attention (dot, general, concat, scaled-dot scores; input feeding) on fra-eng, "
                           "or the synthetic translation task.");
        add_translation_flags(cli, s);
        cli.choice("score", &score, {"dot", "general", "concat", "scaled-dot"}, "the score function e_ts = score(h_t, h̄_s)");
        cli.flag("attn-size", &A, "concat score only: attention size A (rows of W_a, length of v_a)");
        cli.flag("input-feeding", &feed, "feed h̃_{t-1} into the decoder's next input (--input-feeding=false: off)");
        cli.range("attn-size", 1, 4096);
        cli.parse(argc, argv);
        finish_translation_flags(cli, s);
        if (s.f.quick) size_default(cli, "attn-size", &A, 128);
        if (s.full) size_default(cli, "attn-size", &A, 256);

        // The model: bidirectional GRU encoder (H/2 per direction), GRU decoder, global attention (luong_seq2seq.hpp).
        std::unique_ptr<Luong> net;
        LuongActs acts;
        auto make_model = [&](int Vs, int Vt, const std::string& config, Rng& rng) {
            LuongConfig c{.Vs = Vs, .Vt = Vt, .E = s.E, .H = s.H, .A = A, .score = parse_luong_score(score), .feed = feed};
            if (!config.empty()) c = luong_parse_config(config, s.f.load);  // --load: the checkpoint's score wins
            net = std::make_unique<Luong>();  // heap: its Tensors point into its ParamSet
            luong_build(*net, c, rng);
            return luong_model(*net, acts);
        };
        // Its own figure: where each score function looked, for four test sentences (one the longest).
        auto alignments = [&](TranslationRun& run) {
            const std::string sc = luong_score_name(net->cfg.score);
            std::string path = run.fig("alignments_" + sc);
            save_alignments(path, "ch03 " + sc + " score" + (net->cfg.feed ? "" : ", no input feeding") +
                                      ": alignments (rows: output, columns: source)",
                            run, heatmap_sentences(run.test_items));
            std::printf("figure: %s\n", path.c_str());
            run.figures.push_back(path);
            run.metrics.set("score", sc), run.metrics.set("input_feeding", net->cfg.feed);
        };
        run_translation_chapter(s, make_model, alignments);
    });
}
