#include "common/eval/classification.hpp"

#include <algorithm>

#include "common/core/error.hpp"

namespace attn {

int argmax(const float* v, int n) { return (int)(std::max_element(v, v + n) - v); }

int count_correct(const float* scores, const int* y, int B, int V) {
    int correct = 0;
    for (int b = 0; b < B; b++) correct += argmax(scores + (size_t)b * V, V) == y[b];
    return correct;
}

void predict_classes(int* pred, const float* scores, int B, int V) {
    for (int b = 0; b < B; b++) pred[b] = argmax(scores + (size_t)b * V, V);
}

// a / b, and 0 where b = 0 (a class never predicted has precision 0, not NaN)
static double ratio_or_zero(long a, long b) { return b > 0 ? (double)a / (double)b : 0.0; }

ClassificationReport classification_report(const std::vector<int>& predictions, const std::vector<int>& labels,
                                           int num_classes) {
    if (num_classes < 1) fail("classification_report", "at least one class, got " + std::to_string(num_classes));
    if (predictions.size() != labels.size())
        fail("classification_report", "one prediction per label (" + std::to_string(labels.size()) + "), got " +
                                          std::to_string(predictions.size()));
    ClassificationReport r;
    const int V = num_classes;
    r.num_classes = V;
    r.count = (long)labels.size();
    r.confusion.assign((size_t)V * V, 0);
    for (size_t i = 0; i < labels.size(); i++) {
        const int t = labels[i], p = predictions[i];
        if (t < 0 || t >= V || p < 0 || p >= V)
            fail("classification_report", "sample " + std::to_string(i) + ": label " + std::to_string(t) +
                                               " and prediction " + std::to_string(p) + " in [0, " +
                                               std::to_string(V) + ")");
        r.confusion[(size_t)t * V + p]++;
        r.correct += t == p;
    }
    r.accuracy = (double)r.correct / (double)std::max<long>(r.count, 1);

    r.per_class.resize(V);
    int present = 0;  // classes labelled or predicted at least once: macro F1 averages over these
    double f1_sum = 0, weighted_sum = 0;
    for (int c = 0; c < V; c++) {
        ClassScores& s = r.per_class[c];
        for (int k = 0; k < V; k++) s.support += r.confusion_at(c, k), s.predicted += r.confusion_at(k, c);
        const long hit = r.confusion_at(c, c);
        s.precision = ratio_or_zero(hit, s.predicted);
        s.recall = ratio_or_zero(hit, s.support);
        s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
        if (s.support > 0 || s.predicted > 0) present++, f1_sum += s.f1;
        weighted_sum += (double)s.support * s.f1;
    }
    r.macro_f1 = present > 0 ? f1_sum / present : 0.0;
    r.weighted_f1 = r.count > 0 ? weighted_sum / (double)r.count : 0.0;
    return r;
}

}  // namespace attn
