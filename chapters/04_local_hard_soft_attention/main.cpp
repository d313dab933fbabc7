// Chapter 04 — Soft, hard and local attention: Luong, Pham & Manning (2015) section 3.2 (local-m,
// local-p), and hard (stochastic) attention trained with REINFORCE (Xu et al. 2015, "Show, Attend and
// Tell", section 4.1; Williams 1992), all on chapter 03's decoder.
//
// What you learn here:
//   * local-m: attend only to a window [t − D, t + D] around the target position — local_attention.hpp;
//   * local-p: PREDICT the aligned position p_t = S·sigmoid(v_pᵀ tanh(W_p h_t)) and weight the window by
//     a Gaussian around it, so p_t gets a gradient — local_attention.hpp;
//   * hard: draw ONE position i_t ~ α_t and attend to it alone; no derivative through the draw, so the
//     scores learn by REINFORCE with a learned baseline and an entropy bonus — hard_attention.hpp;
//   * how the three change BLEU, speed and the entropy of the weights, beside soft (global) attention.
// The decoder loop is chapter 03's (luong_seq2seq.hpp): a variant only replaces the step "α_t from e_t"
// (aligned_luong.hpp). The program around it is chapter 01's (translation_driver.hpp).
//
// Run:   build/bin/04_local_hard_soft_attention --quick --attention local-p
//        build/bin/04_local_hard_soft_attention --quick --attention hard --entropy-beta 0.01
//
// Shapes: B batch, S source length, T target length, E embedding, H hidden, D window half-width.
#include <memory>
#include <string>

#include "chapters/01_seq2seq/translation_driver.hpp"
#include "chapters/02_additive_attention/alignment_figure.hpp"
#include "chapters/04_local_hard_soft_attention/aligned_luong.hpp"

using namespace attn;
using namespace s2s;

int main(int argc, char** argv) {
    return translation_main("04_local_hard_soft_attention", [&] {
        TranslationSettings s;
        s.chapter = "04_local_hard_soft_attention", s.model_kind = "luong_aligned";
        s.compare_with = "03_multiplicative_attention";
        std::string score = "scaled-dot";
        int A = 256;
        bool feed = true;
        AlignedConfig ac;
        ac.attention = "local-m";  // the default run shows this chapter's new mechanism (soft is chapter 03's)
        Cli cli(s.chapter, "Soft, hard (REINFORCE) and local (local-m, local-p) attention on chapter 03's Luong decoder, "
                           "on fra-eng or the synthetic translation task.");
        add_translation_flags(cli, s);
        cli.choice("attention", &ac.attention, {"soft", "hard", "local-m", "local-p"}, "how the weights come from the scores");
        cli.flag("window", &ac.D, "local-m / local-p: window half-width D (the window is [p-D, p+D])");
        cli.flag("entropy-beta", &ac.beta, "hard: weight beta of the entropy bonus");
        cli.choice("score", &score, {"dot", "general", "concat", "scaled-dot"}, "chapter 03's score function");
        cli.flag("attn-size", &A, "concat score and local-p's position predictor: hidden size A");
        cli.flag("input-feeding", &feed, "feed h~_{t-1} into the decoder's next input (--input-feeding=false: off)");
        cli.range("window", 0, 1000), cli.range("entropy-beta", 0, 100), cli.range("attn-size", 1, 4096);
        cli.parse(argc, argv);
        finish_translation_flags(cli, s);
        if (s.f.quick) size_default(cli, "attn-size", &A, 128);
        if (s.full) size_default(cli, "attn-size", &A, 256);

        std::unique_ptr<AlignedLuong> net;
        LuongActs acts;
        auto make_model = [&](int Vs, int Vt, const std::string& config, Rng& rng) {
            LuongConfig c{.Vs = Vs, .Vt = Vt, .E = s.E, .H = s.H, .A = A, .score = parse_luong_score(score), .feed = feed};
            AlignedConfig a = ac;
            if (!config.empty()) aligned_parse_config(config, s.f.load, &c, &a);  // --load: the checkpoint's variant
            net = std::make_unique<AlignedLuong>();  // heap: its Tensors point into its ParamSet
            aligned_build(*net, c, a, rng);
            return aligned_model(*net, acts);
        };
        // Its own figure and number: α for four test sentences (local windows and hard's chosen positions
        // show as they are), and the mean entropy of the weights over the test set.
        auto extra = [&](TranslationRun& run) {
            const std::string v = net->ac.attention;
            std::string path = run.fig("alignments_" + v);
            save_alignments(path, "ch04 " + v + " attention" + (v == "hard" ? " (argmax positions)" : "") +
                                      ": alignments (rows: output, columns: source)",
                            run, heatmap_sentences(run.test_items));
            std::printf("figure: %s\n", path.c_str());
            run.figures.push_back(path);
            if (HardAligner* h = net->hard()) {  // the distribution π_t the positions are drawn from
                auto one_hot = run.model.translate;
                run.model.translate = [&](const Vocab& sv, const std::vector<std::string>& srcs, int beam, float alpha,
                                          Alignments* att) {
                    std::vector<std::vector<float>> pis;
                    h->record = &pis;
                    auto out = one_hot(sv, srcs, beam, alpha, att);
                    h->record = nullptr;
                    size_t k = 0;  // the same steps as the one-hot rows, sentence after sentence
                    for (auto& sentence : *att)
                        for (auto& row : sentence) row = pis[k++];
                    return out;
                };
                std::string pi_path = run.fig("alignments_hard_distribution");
                save_alignments(pi_path, "ch04 hard attention: the distribution pi the positions are drawn from", run,
                                heatmap_sentences(run.test_items));
                run.model.translate = one_hot;
                std::printf("figure: %s\n", pi_path.c_str());
                run.figures.push_back(pi_path);
            }
            double H = aligned_mean_entropy(*net, acts, run.d, run.d.split.test, s.f.batch);
            std::printf("mean attention entropy (test, teacher forced%s): %.3f nats\n",
                        v == "hard" ? ", of the sampling distribution" : "", H);
            run.metrics.set("attention", v), run.metrics.set("score", luong_score_name(net->net.cfg.score));
            run.metrics.set("window", net->ac.D), run.metrics.set("entropy_beta", (double)net->ac.beta);
            run.metrics.set("attention_entropy", H);
        };
        run_translation_chapter(s, make_model, extra);
    });
}
