// Chapter 01 — Sequence to sequence: a GRU encoder–decoder, teacher forcing, greedy and beam search,
// and the fixed-context bottleneck that the rest of the course removes.
//
// What you learn here, before any attention:
//   * an encoder GRU reads the source and its FINAL state c is all the decoder ever sees of it
//     (Cho et al. 2014; Sutskever, Vinyals & Le 2014) — gru_seq2seq.hpp;
//   * training with teacher forcing: the decoder reads the true previous word, and the loss is the
//     cross-entropy of every target token, padding ignored — seq2seq_data.hpp, gru_seq2seq.hpp;
//   * decoding: greedy search and beam search with length normalisation — decoding.hpp;
//   * measuring: corpus BLEU, and BLEU per source length, where one vector of H numbers for a whole
//     sentence shows its limits — translation_eval.hpp.
// The program around the model (data, training loop, evaluation, figures, checkpoints) is
// translation_driver.hpp, shared with chapters 02–04: each of them only brings its model.
//
// Run:   make run CHAPTER=01_seq2seq                 (or build/bin/01_seq2seq --help)
//        build/bin/01_seq2seq --quick                (well under a minute)
//        build/bin/01_seq2seq --save m.ckpt ; build/bin/01_seq2seq --load m.ckpt --eval-file pairs.tsv
//
// Shapes: B batch, S source length, T target length, E embedding, H hidden, Vs/Vt vocabularies.
#include <memory>
#include <string>

#include "chapters/01_seq2seq/gru_seq2seq.hpp"
#include "chapters/01_seq2seq/translation_driver.hpp"

using namespace attn;
using namespace s2s;

int main(int argc, char** argv) {
    return translation_main("01_seq2seq", [&] {
        TranslationSettings s;
        s.chapter = "01_seq2seq", s.model_kind = "gru_seq2seq";
        bool reverse_source = true;
        Cli cli(s.chapter, "GRU encoder-decoder (no attention) on fra-eng, or the synthetic translation task.");
        add_translation_flags(cli, s);
        cli.flag("reverse-source", &reverse_source, "encoder reads the source backwards (Sutskever et al.)");
        cli.parse(argc, argv);
        finish_translation_flags(cli, s);

        // The model: the context vector is the encoder's final state (gru_seq2seq.hpp).
        std::unique_ptr<GRUSeq2Seq> net;
        GRUSeq2SeqActs acts;
        auto make_model = [&](int Vs, int Vt, const std::string& config, Rng& rng) {
            GRUSeq2SeqConfig c{.Vs = Vs, .Vt = Vt, .E = s.E, .H = s.H, .reverse_source = reverse_source};
            if (!config.empty()) c = gru_seq2seq_parse_config(config, s.f.load);
            net = std::make_unique<GRUSeq2Seq>();  // heap: its Tensors point into its ParamSet
            gru_seq2seq_build(*net, c, rng);
            return gru_seq2seq_model(*net, acts);
        };
        run_translation_chapter(s, make_model);
    });
}
