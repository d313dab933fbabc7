#include "common/run/classifier_metrics.hpp"

#include <cstdio>

#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"

namespace attn {

JsonObject classifier_metrics(const RunInfo& info) {
    JsonObject j;
    j.set("chapter", info.chapter);
    j.set("dataset", info.dataset);
    j.set("source", info.source);
    j.set("train", info.train);
    j.set("val", info.val);
    j.set("test", info.test);
    j.set("epochs", info.epochs);
    j.set("threads", (long)num_threads());
    j.set("seed", info.seed);
    j.set("seconds", info.seconds);
    return j;
}

void set_model_metrics(JsonObject& o, const ModelResult& r, const std::vector<std::string>& class_names) {
    o.set("test_accuracy", r.test.acc);
    o.set("test_error_percent", 100 * (1 - r.test.acc));
    o.set("test_loss", r.test.loss);
    o.set("test_macro_f1", r.report.macro_f1);
    o.set("test_weighted_f1", r.report.weighted_f1);
    o.set("train_seconds", r.train_seconds);
    o.set("images_per_second", r.images_per_second());
    o.set("train_loss", r.train_loss);
    o.set("val_loss", r.val_loss);
    o.set("val_accuracy", r.val_accuracy);
    o.set("per_class", per_class_metrics(r.report, class_names));
    o.set("confusion", confusion_metrics(r.report, class_names));
}

JsonObject model_metrics(const ModelResult& r, const std::vector<std::string>& class_names) {
    JsonObject o;
    set_model_metrics(o, r, class_names);
    return o;
}

void set_headline(JsonObject& j, const ModelResult& r, const std::string& metric) {
    j.set("model", r.name);
    j.set("test_accuracy", r.test.acc);
    j.set("test_error_percent", 100 * (1 - r.test.acc));
    j.set("test_macro_f1", r.report.macro_f1);
    j.set("test_weighted_f1", r.report.weighted_f1);
    if (!j.has(metric)) fail("set_headline", "metric '" + metric + "' among the keys already set", "set it first");
    j.set("metric", metric);
}

std::string set_takeaway(JsonObject& j, const std::vector<ModelResult>& results, const std::string& data) {
    if (results.empty()) fail("set_takeaway", "at least one model's result");
    auto label = [](const ModelResult& r) { return r.label.empty() ? r.name : r.label; };
    char buf[256];
    int n = std::snprintf(buf, sizeof buf, "%s: test accuracy %.2f %% on %s", label(results[0]).c_str(),
                          100 * results[0].test.acc, data.c_str());
    if (results.size() > 1)
        std::snprintf(buf + n, sizeof buf - n, " vs %.2f %% for %s (%+.2f points)", 100 * results[1].test.acc,
                      label(results[1]).c_str(), 100 * (results[0].test.acc - results[1].test.acc));
    j.set("takeaway", std::string(buf));
    std::printf("what this run shows: %s\n", buf);
    return buf;
}

JsonObject eval_file_metrics(const ClassificationReport& r) {
    JsonObject o;
    o.set("accuracy", r.accuracy);
    o.set("macro_f1", r.macro_f1);
    o.set("weighted_f1", r.weighted_f1);
    o.set("count", r.count);
    return o;
}

static std::string class_name(const std::vector<std::string>& names, int c) {
    return c < (int)names.size() ? names[c] : std::to_string(c);
}

JsonObject per_class_metrics(const ClassificationReport& r, const std::vector<std::string>& class_names) {
    JsonObject all;
    for (int c = 0; c < r.num_classes; c++) {
        const ClassScores& s = r.per_class[c];
        JsonObject o;
        o.set("precision", s.precision);
        o.set("recall", s.recall);
        o.set("f1", s.f1);
        o.set("support", s.support);
        all.set(class_name(class_names, c), o);
    }
    return all;
}

JsonObject confusion_metrics(const ClassificationReport& r, const std::vector<std::string>& class_names) {
    JsonObject all;
    for (int t = 0; t < r.num_classes; t++) {
        std::vector<double> row(r.num_classes);  // counts, written exactly (integers below 2^53)
        for (int p = 0; p < r.num_classes; p++) row[p] = (double)r.confusion_at(t, p);
        all.set(class_name(class_names, t), row);
    }
    return all;
}

void save_metrics(const JsonObject& j, const std::string& out_dir) {
    j.save(out_dir + "/metrics.json");
    std::printf("metrics: %s/metrics.json\n", out_dir.c_str());
}

}  // namespace attn
