// classification.hpp — how good is a classifier: accuracy, per-class precision / recall / F1,
// macro and weighted F1, and the confusion matrix, from its predictions and the true labels.
//
// For class c, with n_c the samples labelled c (its support) and m_c the samples predicted as c:
//
//   precision_c = |predicted c and labelled c| / m_c        (0 when c is never predicted: m_c = 0)
//   recall_c    = |predicted c and labelled c| / n_c        (0 when no sample is labelled c)
//   F1_c        = 2 · precision_c · recall_c / (precision_c + recall_c)     (0 when both are 0)
//
//   macro F1    = the plain mean of F1_c over the classes that occur (labelled or predicted)
//   weighted F1 = Σ_c n_c · F1_c / Σ_c n_c                   (each class weighs by its support)
//
// These are scikit-learn's definitions (classification_report with zero_division=0), so the numbers
// can be checked against it. Accuracy is the share of right predictions. On balanced classes (the
// digits) accuracy tells most of the story; on unbalanced ones (tweets: mostly negative) a model that
// always answers the majority class has a high accuracy and a low macro F1 — which is why the text
// classifiers report both.
//
//   std::vector<int> pred = ..., labels = ...;                 // one class index 0..V-1 per sample
//   attn::ClassificationReport r = attn::classification_report(pred, labels, V);
//   r.accuracy, r.macro_f1, r.per_class[3].recall, r.confusion_at(/*truth*/ 3, /*predicted*/ 5)
#pragma once
#include <string>
#include <vector>

namespace attn {

// The index of the largest of v[0..n) (the first one on a tie).
int argmax(const float* v, int n);
// How many rows b of scores (B,V) have their largest entry at y[b].
int count_correct(const float* scores, const int* y, int B, int V);
// The predicted class (argmax) of every row of scores (B,V), written to pred[0..B).
void predict_classes(int* pred, const float* scores, int B, int V);

struct ClassScores {
    double precision = 0, recall = 0, f1 = 0;
    long support = 0;    // samples labelled with this class
    long predicted = 0;  // samples predicted as this class
};

struct ClassificationReport {
    int num_classes = 0;
    long count = 0;                      // samples
    long correct = 0;
    double accuracy = 0;                 // correct / count
    double macro_f1 = 0, weighted_f1 = 0;
    std::vector<ClassScores> per_class;  // (num_classes)
    std::vector<long> confusion;         // (num_classes, num_classes): row = true class, column = predicted
    long confusion_at(int truth, int predicted) const { return confusion[(size_t)truth * num_classes + predicted]; }
};

// predictions and labels: one class index in [0, num_classes) per sample, the same count.
// An index out of range, or lists of different lengths, is an error naming the first offender.
ClassificationReport classification_report(const std::vector<int>& predictions, const std::vector<int>& labels,
                                           int num_classes);

}  // namespace attn
