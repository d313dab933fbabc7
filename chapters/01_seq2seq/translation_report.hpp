// translation_report.hpp — the end of a translation chapter's run, as plain functions: the test
// (loss, corpus BLEU greedy and beam, BLEU by source length, examples), --eval-file, and metrics.json.
#pragma once
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"
#include "chapters/01_seq2seq/translation_figures.hpp"
#include "chapters/01_seq2seq/translation_flags.hpp"
#include "chapters/01_seq2seq/translation_training.hpp"
#include "common/core/params.hpp"
#include "common/core/thread_pool.hpp"
#include "common/run/metrics_json.hpp"
#include "common/run/progress.hpp"

namespace ch01 {

struct TestReport {
    double loss = 0;                   // mean cross-entropy per target token, teacher forced
    std::vector<EvalItem> items;       // one per distinct test source; all its translations are references
    std::vector<TranslationEval> evs;  // greedy, then beam (when --beam > 1)
    std::vector<TranslationEval> file;  // --eval-file's, the same two (empty without it)
};

// The test split, printed: loss and perplexity, corpus BLEU greedy and beam, BLEU by source length,
// a few examples; then --eval-file when given. loss(batch) and translate(sources, beam) are the model's.
template <class LossFn, class TranslateFn>
TestReport test_translations(const TranslationSettings& s, const Seq2SeqData& d, LossFn&& loss,
                             TranslateFn&& translate) {
    TestReport r;
    const int bucket = bucket_width(s, d);
    r.items = group_by_source(d.pairs, d.split.test);
    r.loss = evaluate_loss(loss, d, d.split.test, s.f.batch);
    std::printf("\ntest: %zu distinct source sentences (all their translations are references)\n", r.items.size());
    std::printf("  test loss %.4f per target token, perplexity %.2f\n", r.loss, std::exp(r.loss));
    r.evs.push_back(evaluate_translations(r.items, translate, d.tgt_vocab, 1, bucket));
    if (s.beam > 1) r.evs.push_back(evaluate_translations(r.items, translate, d.tgt_vocab, s.beam, bucket));
    for (const auto& e : r.evs) std::printf("  test BLEU beam=%d (alpha %g): %s\n", e.beam, s.alpha, e.corpus.str().c_str());
    std::printf("\nBLEU by source length (tokens, incl. punctuation):\n");
    print_length_table(r.evs);
    std::printf("\nexamples (test):\n");
    std::vector<int> beams = {1};
    if (s.beam > 1) beams.push_back(s.beam);
    print_examples(pick_examples(r.items, s.examples), translate, d.tgt_vocab, beams);
    if (!s.f.eval_file.empty()) {
        std::printf("\n");
        r.file = evaluate_file(s.f.eval_file, d.direction, translate, d.tgt_vocab, s.beam, bucket, s.examples);
    }
    std::printf("\n");
    return r;
}

// What the run shows, in one line (printed, kept in metrics.json as "takeaway", and shown by the
// tour): the headline BLEU, beside the earlier chapter's run on the same split when there is one, and
// how BLEU changes from the shortest to the longest sources (buckets of at least 10 sentences); then the chapter's own `note`, if any.
// `what` names the model.
inline std::string translation_takeaway(const std::string& what, const TestReport& r, const OtherRun* other,
                                        const std::string& note = "") {
    const TranslationEval& e = r.evs.back();
    char buf[512];
    int n = std::snprintf(buf, sizeof buf, "%s: test BLEU %.2f", what.c_str(), e.corpus.bleu);
    if (other && !std::isnan(other->test_bleu))
        n += std::snprintf(buf + n, sizeof buf - n, " vs %.2f for ch%s on the same split (%+.2f)", other->test_bleu,
                           other->chapter.substr(0, 2).c_str(), e.corpus.bleu - other->test_bleu);
    std::vector<LengthBucket> big;  // buckets of at least kMinBucketToPlot sentences (smaller ones are noise)
    for (const LengthBucket& b : e.buckets)
        if (b.n >= kMinBucketToPlot) big.push_back(b);
    if (big.size() > 1)
        std::snprintf(buf + n, sizeof buf - n, "; %.1f on sources of %d-%d tokens, %.1f on %d-%d", big[0].bleu,
                      big[0].lo, big[0].hi, big.back().bleu, big.back().lo, big.back().hi);
    return note.empty() ? std::string(buf) : std::string(buf) + "; " + note;
}

// metrics.json: the dataset and its split, the model, the run, the test numbers (headline "test_bleu":
// beam search's corpus BLEU), BLEU by length, the figures, the time since `start`. `m` may already
// hold the chapter's own keys.
inline void write_translation_metrics(JsonObject& m, const TranslationSettings& s, const Seq2SeqData& d,
                                      const std::string& kind, const ParamSet& params, const TrainingLog& log,
                                      const TestReport& r, const TranslationFigures& figures,
                                      const std::string& takeaway, std::chrono::steady_clock::time_point start) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!r.file.empty()) {
        JsonObject ef;
        ef.set("path", s.f.eval_file);
        ef.set("bleu_greedy", r.file[0].corpus.bleu);
        if (r.file.size() > 1) ef.set("bleu_beam", r.file[1].corpus.bleu);
        m.set("eval_file", ef);
    }
    m.set("chapter", s.chapter);
    m.set("dataset", d.dataset), m.set("source", d.source), m.set("direction", d.direction);
    JsonObject split;
    split.set("train", d.split.train.size()), split.set("val", d.split.val.size()), split.set("test", d.split.test.size());
    split.set("test_sources", r.items.size());
    m.set("split_sizes", split);
    m.set("src_vocab", d.src_vocab.size()), m.set("tgt_vocab", d.tgt_vocab.size());
    long n_params = 0;  // the parameters themselves (params.count() also counts the 64-byte alignment padding)
    for (const auto& e : params.entries()) n_params += (long)e.size;
    m.set("model", kind), m.set("params", n_params);
    m.set("epochs", log.epochs_done), m.set("seconds", seconds), m.set("threads", num_threads());
    if (log.steps > 0) m.set("train_seconds", log.seconds), m.set("steps_per_second", log.steps / std::max(log.seconds, 1e-9));
    const std::vector<TranslationEval>& evs = r.evs;
    m.set("metric", "test_bleu");
    m.set("test_bleu", evs.back().corpus.bleu), m.set("test_bleu_greedy", evs[0].corpus.bleu);
    m.set("test_loss", r.loss), m.set("test_perplexity", std::exp(r.loss));
    m.set("beam", s.beam);
    if (!log.train_loss.empty())
        m.set("train_loss", log.train_loss), m.set("val_loss", log.val_loss), m.set("val_bleu", log.val_bleu);
    std::vector<JsonObject> buckets;
    for (size_t k = 0; k < evs[0].buckets.size(); k++) {
        JsonObject b;
        b.set("lo", evs[0].buckets[k].lo), b.set("hi", evs[0].buckets[k].hi), b.set("n", evs[0].buckets[k].n);
        b.set("bleu_greedy", evs[0].buckets[k].bleu);
        if (evs.size() > 1) b.set("bleu_beam", evs[1].buckets[k].bleu);
        buckets.push_back(b);
    }
    m.set("bleu_by_length", buckets);
    m.set("takeaway", takeaway);
    m.set("figures", figures.paths);
    if (figures.other) m.set("compared_with", figures.other->path);
    m.save(s.f.out + "/metrics.json");
    std::printf("what this run shows: %s\n", takeaway.c_str());
    std::printf("metrics: %s/metrics.json (test BLEU %.2f, %s)\n", s.f.out.c_str(), evs.back().corpus.bleu,
                fmt_seconds(seconds).c_str());
}

}  // namespace ch01
