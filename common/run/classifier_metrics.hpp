// classifier_metrics.hpp — the one metrics.json schema of every classifier (chapters 00, 05, 06,
// 08, 09, 10, 11), so that scripts and graders read every chapter the same way:
//
//   {
//     "chapter": "10_recurrent_attention", "dataset": "mnist-translated-60", "source": "...",
//     "train": 55000, "val": 5000, "test": 10000,             the split sizes
//     "epochs": 20, "threads": 2, "seed": 42, "seconds": 403.4,
//     ...                                                      the chapter's own settings ("task", ...)
//     "model": "RAM",                                          the headline model
//     "test_accuracy": 0.9427, "test_error_percent": 5.73,     its test numbers, top level
//     "test_macro_f1": 0.942, "test_weighted_f1": 0.943,
//     "metric": "test_accuracy",                               names the headline key
//     "ram": {"test_accuracy": ..., "test_loss": ..., "train_loss": [...], "val_accuracy": [...],
//             "per_class": {"0": {"precision": ..., "recall": ..., "f1": ..., "support": ...}, ...},
//             "confusion": {"0": [975, 0, 1, ...], ...}, ...},   one object per compared model,
//     "no_reinforce": {...},                                    keyed by its name (ModelResult::key)
//     "eval_file": {"accuracy": ..., "macro_f1": ..., "weighted_f1": ...},      --eval-file FILE.csv
//     "figures": ["runs/10_recurrent_attention/10_recurrent_attention_translated60_glimpses.png", ...]
//   }
//
// A chapter with a single model writes that model's keys at the top level (set_model_metrics on the
// whole object: chapter 00). "confusion" rows are the true classes, columns the predicted ones;
// classes are named by class_names when given (AG News: "World", ...), else by their index.
//
//   attn::JsonObject j = attn::classifier_metrics({"09_spatial_transformer", d.test.name, source,
//                                                  train_n, val_n, test_n, epochs, seed, seconds});
//   j.set("setting", setting);                          // the chapter's own keys
//   attn::set_headline(j, results.front());
//   for (const auto& r : results) j.set(r.key, attn::model_metrics(r));
//   attn::save_metrics(j, out);                         // prints "metrics: OUT/metrics.json"
#pragma once
#include <string>
#include <vector>

#include "common/eval/classification.hpp"
#include "common/run/classifier.hpp"
#include "common/run/metrics_json.hpp"

namespace attn {

struct RunInfo {
    std::string chapter;          // "09_spatial_transformer"
    std::string dataset, source;  // the data's name and where it came from
    long train = 0, val = 0, test = 0;  // split sizes
    long epochs = 0;
    long seed = 0;
    double seconds = 0;           // the whole run, wall time
};

// chapter, dataset, source, train, val, test, epochs, threads, seed, seconds.
JsonObject classifier_metrics(const RunInfo& info);

// A model's keys: test_accuracy, test_error_percent, test_loss, test_macro_f1, test_weighted_f1,
// train_seconds, images_per_second, train_loss, val_loss, val_accuracy, per_class, confusion.
void set_model_metrics(JsonObject& o, const ModelResult& r, const std::vector<std::string>& class_names = {});
JsonObject model_metrics(const ModelResult& r, const std::vector<std::string>& class_names = {});

// The headline: model (its name), test_accuracy, test_error_percent, test_macro_f1, test_weighted_f1,
// and metric (the key a reader should look at first; text classifiers may name "test_macro_f1").
void set_headline(JsonObject& j, const ModelResult& r, const std::string& metric = "test_accuracy");

// What the run shows, in one line: the headline model's test accuracy on `data`, beside the second
// model's (the chapter's comparison) when there is one. Printed as "what this run shows: ...", kept as
// "takeaway" in j (the tour prints it in its summary), and returned.
std::string set_takeaway(JsonObject& j, const std::vector<ModelResult>& results, const std::string& data);

// --eval-file: {"accuracy", "macro_f1", "weighted_f1", "count"} — set it as j.set("eval_file", ...).
JsonObject eval_file_metrics(const ClassificationReport& r);

// {"<class>": {"precision", "recall", "f1", "support"}, ...} and {"<true class>": [counts by predicted], ...}
JsonObject per_class_metrics(const ClassificationReport& r, const std::vector<std::string>& class_names = {});
JsonObject confusion_metrics(const ClassificationReport& r, const std::vector<std::string>& class_names = {});

// Writes OUT/metrics.json and prints "metrics: OUT/metrics.json".
void save_metrics(const JsonObject& j, const std::string& out_dir);

}  // namespace attn
