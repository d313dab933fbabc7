// translation_figures.hpp — the figures every translation chapter draws: test BLEU by source length
// (beside an earlier chapter's run when there is one, dashed) and the loss curves; and the one naming
// rule of the course's figures: OUT/<chapter>_<dataset>[-quick|-full]_<what>.png.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "chapters/01_seq2seq/translation_eval.hpp"
#include "chapters/01_seq2seq/translation_flags.hpp"
#include "chapters/01_seq2seq/translation_training.hpp"
#include "common/core/error.hpp"
#include "common/figures/plot.hpp"
#include "common/run/figure_names.hpp"
#include "common/run/metrics_json.hpp"

namespace ch01 {

// OUT/<chapter>_<dataset>[-quick|-full]_<what>.png (common/run/figure_names.hpp, the course's one
// rule), e.g. runs/02_additive_attention/02_additive_attention_fra-eng_alignments.png for the default run.
inline std::string figure_path(const TranslationSettings& s, const Seq2SeqData& d, const std::string& what) {
    return FigureNames{s.f.out, s.chapter, d.dataset, run_tag(s.f.quick, s.full)}.path(what);
}

// Another chapter's BLEU by source length, from its metrics.json ("bleu_by_length": [{"lo", "hi",
// "n", "bleu_greedy", "bleu_beam"}...]) — a minimal reader of that one layout, not a JSON parser.

constexpr int kMinBucketToPlot = 10;

struct OtherRun {
    std::string chapter, path;
    double test_bleu = NAN;                 // its headline (beam search's corpus BLEU)
    double params = NAN;                    // its model's parameter count
    std::vector<double> mid, greedy, beam;  // bucket centres and BLEU (beam empty when not evaluated)
};
inline OtherRun read_other_run(const std::string& path, const std::string& dataset) {
    const std::string t = read_text_file(path);
    if (t.empty()) fail(path, "a readable metrics.json", "run that chapter first (same --data, --seed)");
    OtherRun r;
    r.chapter = json_first_string(t, "chapter"), r.path = path;
    if (json_first_string(t, "dataset") != dataset)
        fail(path, "results on the same dataset (" + dataset + "), found '" + json_first_string(t, "dataset") + "'",
             "run that chapter with the same --data");
    r.test_bleu = json_first_number(t, "test_bleu"), r.params = json_first_number(t, "params");
    size_t at = t.find("\"bleu_by_length\"");
    if (at == std::string::npos) fail(path, "a \"bleu_by_length\" list", "is this a translation chapter's metrics.json?");
    size_t end = t.find(']', at);
    auto number = [&](size_t obj, size_t obj_end, const char* key) {
        size_t k = t.find(std::string("\"") + key + "\"", obj);
        return k == std::string::npos || k > obj_end ? NAN : std::strtod(t.c_str() + t.find(':', k) + 1, nullptr);
    };
    for (size_t o = t.find('{', at); o != std::string::npos && o < end; o = t.find('{', o + 1)) {
        size_t oe = t.find('}', o);
        if (number(o, oe, "n") < kMinBucketToPlot) continue;
        r.mid.push_back(0.5 * (number(o, oe, "lo") + number(o, oe, "hi")));
        r.greedy.push_back(number(o, oe, "bleu_greedy"));
        double b = number(o, oe, "bleu_beam");
        if (!std::isnan(b)) r.beam.push_back(b);
    }
    if (r.mid.empty()) fail(path, "at least one BLEU-by-length bucket");
    return r;
}

// This chapter's greedy and beam curves, and the other run's (dashed) when given. Buckets of fewer
// than kMinBucketToPlot sentences are left out of the figure (their corpus BLEU is noise; the
// printed table keeps them).
inline void save_bleu_by_length_vs(const std::string& path, const std::string& chapter,
                                   const std::vector<TranslationEval>& evs, const OtherRun* other) {
    std::string me = chapter.substr(0, 2), them = other ? other->chapter.substr(0, 2) : "";
    std::vector<Series> series;
    for (const auto& e : evs) {
        Series sr;
        sr.name = "ch" + me + " " + (e.beam <= 1 ? "greedy" : "beam=" + std::to_string(e.beam));
        for (const auto& b : e.buckets)
            if (b.n >= kMinBucketToPlot) sr.x.push_back(0.5 * (b.lo + b.hi)), sr.y.push_back(b.bleu);
        series.push_back(sr);
    }
    if (other) {
        series.push_back({.name = "ch" + them + " greedy", .x = other->mid, .y = other->greedy, .dashed = true});
        if (other->beam.size() == other->mid.size())
            series.push_back({.name = "ch" + them + " beam", .x = other->mid, .y = other->beam, .dashed = true});
    }
    PlotOptions o;
    o.title = other ? "test BLEU by source length: ch" + me + " vs ch" + them + " (dashed)"
                    : "ch" + me + ": test BLEU by source length";
    o.xlabel = "source length (tokens)", o.ylabel = "BLEU";
    o.ymin = 0, o.markers = true;
    o.integer_x = true;  // ticks at whole token counts; a bucket's point sits at its centre (3.5 for 3–4)
    save_line_plot(path, series, o);
}

// The run to draw beside this one: --compare, else the chapter named by compare_with in the sibling
// output directory (OUT/../<that chapter>/metrics.json) when it exists and is on the same dataset.
inline bool find_other_run(const TranslationSettings& s, const Seq2SeqData& d, OtherRun* other) {
    std::string path = s.compare;
    if (path.empty() && !s.compare_with.empty()) {
        auto sibling = std::filesystem::path(s.f.out).parent_path() / s.compare_with / "metrics.json";
        if (std::filesystem::exists(sibling)) path = sibling.string();
    }
    if (path.empty()) return false;
    try {
        *other = read_other_run(path, d.dataset);
        return true;
    } catch (const attn::Error& e) {
        if (!s.compare.empty()) throw;  // asked for explicitly: an error
        std::printf("not comparing with %s: %s\n", path.c_str(), e.what());
        return false;
    }
}

// The loss per target token of each epoch of this run, train and validation.
inline void save_loss_figure(const std::string& path, const std::string& chapter, const TrainingLog& log) {
    std::vector<double> x;
    for (size_t i = 0; i < log.train_loss.size(); i++) x.push_back(log.epochs_done - (double)log.train_loss.size() + 1 + i);
    PlotOptions o;
    o.title = "ch" + chapter.substr(0, 2) + ": loss per target token", o.xlabel = "epoch", o.ylabel = "loss";
    o.integer_x = true;
    save_line_plot(path, {{.name = "train", .x = x, .y = log.train_loss}, {.name = "val", .x = x, .y = log.val_loss, .dashed = true}},
                   o);
}

// The figures of a run: their paths, and the earlier chapter's run drawn beside this one's, if any.
struct TranslationFigures {
    std::vector<std::string> paths;
    std::optional<OtherRun> other;
    const OtherRun* beside() const { return other ? &*other : nullptr; }
};

// BLEU by source length (beside the earlier chapter's run when find_other_run finds one) and the loss
// curves (when this run trained). A chapter adds its own figures' paths.
inline TranslationFigures save_translation_figures(const TranslationSettings& s, const Seq2SeqData& d,
                                                   const std::vector<TranslationEval>& evs, const TrainingLog& log) {
    TranslationFigures f;
    OtherRun other;
    if (find_other_run(s, d, &other)) f.other = other;
    f.paths.push_back(figure_path(s, d, "bleu_by_length"));
    save_bleu_by_length_vs(f.paths.back(), s.chapter, evs, f.beside());
    std::printf("figure: %s%s\n", f.paths.back().c_str(),
                f.other ? (" (beside " + f.other->chapter + "'s, dashed)").c_str() : "");
    if (!log.train_loss.empty()) {
        f.paths.push_back(figure_path(s, d, "loss"));
        save_loss_figure(f.paths.back(), s.chapter, log);
        std::printf("figure: %s\n", f.paths.back().c_str());
    }
    return f;
}

}  // namespace ch01
