// classifier.hpp — what every classifier chapter shares around its own training step: a batch of
// images gathered by index, the running loss and accuracy of an epoch, evaluation over a whole set,
// and the result of one trained model (for the comparison table and metrics.json).
//
// The step itself is the chapter's, in plain calls (chapter 00's train.hpp):
//
//   attn::EpochMeter meter;                                 // loss, accuracy, time of the epoch
//   std::vector<int> order = attn::shuffled_order(train.count, rng);
//   for (size_t i0 = 0; i0 < order.size(); i0 += batch) {
//       const int B = attn::batch_at(order.size(), i0, batch);
//       attn::gather_batch(x.data(), y.data(), train, order, i0, B);           // x (B,D), y (B)
//       float loss = mlp_forward(m, acts, x.data(), y.data(), B, rng, true);
//       m.params.zero_grad();
//       mlp_backward(m, acts, x.data(), y.data(), B);
//       opt.step(m.params);
//       meter.add(loss, acts.probs.data(), y.data(), B, V);
//   }
//   return meter.stats();
//
// and evaluation takes the chapter's forward pass as a lambda (evaluate_images below).
#pragma once
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/core/rng.hpp"
#include "common/data/data_types.hpp"
#include "common/eval/classification.hpp"

namespace attn {

struct EpochStats {
    double loss = 0, acc = 0;  // mean loss per sample, share of right predictions
    double seconds = 0;        // wall time of the epoch (training only)
};

// 0..n−1 in a fresh random order drawn from rng (the order of one epoch), or in order.
std::vector<int> shuffled_order(int n, Rng& rng);
std::vector<int> in_order(int n);
// The size of the batch that starts at i0 of n samples: `batch`, or what is left at the end.
// --batch no larger than the training set: a larger one is cut to n, with a one-line notice.
int fit_batch(int batch, long n);
inline int batch_at(size_t n, size_t i0, int batch) { return (int)std::min<size_t>((size_t)batch, n - i0); }
// 0..n−1 cut into consecutive batches of `batch` (the last may be smaller).
std::vector<std::vector<int>> batches_in_order(int n, int batch);

// Copy the images and labels of samples idx[i0, i0+B) into contiguous batch buffers:
// x (B, rows·cols), y (B).
void gather_batch(float* x, int* y, const ImageSet& data, const std::vector<int>& idx, size_t i0, int B);

// The running totals of one training epoch. add() after every optimiser step; progress() is the
// text of the progress bar, stats() the epoch's mean loss, accuracy and wall time.
struct EpochMeter {
    double loss_sum = 0;  // Σ over batches of (the batch's mean loss) · B
    long correct = 0, seen = 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

    void add_loss(float mean_loss, int B) { loss_sum += (double)mean_loss * B; }
    // scores (B,V): the predicted class of row b is its largest entry; y (B) the labels.
    void add_predictions(const float* scores, const int* y, int B, int V) {
        correct += count_correct(scores, y, B, V);
        seen += B;
    }
    void add(float mean_loss, const float* scores, const int* y, int B, int V) {
        add_loss(mean_loss, B);
        add_predictions(scores, y, B, V);
    }
    std::string progress() const;  // "loss=0.221, acc=0.933"
    EpochStats stats() const;
};

// "loss=0.221, acc=0.933 | val_loss=0.262, val_acc=0.918": the finished progress bar of an epoch.
std::string epoch_line(const EpochStats& train, const EpochStats& val);

// Mean loss and accuracy of a classifier over a set cut into batches of sample indices — any set:
// token sequences batched by length (bucket_batches, common/data/batching.hpp), images in order, ...
//   forward(idx, loss_sum) runs the model on the samples idx (one batch) in evaluation mode, ADDS the
//   sum of their idx.size() per-sample losses to loss_sum, and returns scores (idx.size(), V) whose
//   largest entry in row b is the predicted class of sample idx[b] (probabilities, log-probabilities
//   or logits).
// labels[i] is sample i's class. predictions (optional) receives the predicted class of every sample,
// at the sample's own index.
template <class Forward>
EpochStats evaluate_batches(const std::vector<std::vector<int>>& batches, const std::vector<int>& labels, int V,
                            Forward&& forward, std::vector<int>* predictions = nullptr) {
    double loss_sum = 0;
    long correct = 0, count = 0;
    if (predictions) predictions->assign(labels.size(), 0);
    for (const std::vector<int>& idx : batches) {
        const float* scores = forward(idx, loss_sum);
        for (size_t b = 0; b < idx.size(); b++) {
            const int pred = argmax(scores + b * V, V);
            correct += pred == labels[idx[b]];
            if (predictions) (*predictions)[idx[b]] = pred;
        }
        count += (long)idx.size();
    }
    EpochStats st;
    st.loss = loss_sum / std::max<long>(count, 1);
    st.acc = (double)correct / std::max<long>(count, 1);
    return st;
}

// The same over the whole of an image set, in order, in batches of `batch`:
//   forward(x, y, B, loss_sum) gets the batch gathered — x (B, rows·cols), y (B) — and otherwise
//   does what evaluate_batches' forward does.
template <class Forward>
EpochStats evaluate_images(const ImageSet& data, int batch, int V, Forward&& forward,
                           std::vector<int>* predictions = nullptr) {
    Buf x((size_t)batch * data.rows * data.cols);
    std::vector<int> y(batch);
    auto gathered = [&](const std::vector<int>& idx, double& loss_sum) {
        gather_batch(x.data(), y.data(), data, idx, 0, (int)idx.size());
        return forward(x.data(), y.data(), (int)idx.size(), loss_sum);
    };
    return evaluate_batches(batches_in_order(data.count, batch), data.labels, V, gathered, predictions);
}

// One trained model of a run: its curves, its test result and the report of its test predictions.
// A chapter that compares models (the STN and its CNN, the RAM and its ablation) keeps one each.
struct ModelResult {
    std::string name;   // "STN", "RAM": in the log, and metrics.json's "model" when it is the headline
    std::string key;    // its object in metrics.json: "stn", "no_reinforce"
    std::string label;  // its row of the comparison table (empty: name)
    std::vector<double> train_loss, val_loss, val_accuracy;  // per epoch
    double train_seconds = 0;
    long images = 0;                // training images seen
    EpochStats test;                // test loss and accuracy
    std::vector<int> predictions;   // the predicted class of every test sample
    ClassificationReport report;    // of predictions against the test labels

    void add_epoch(const EpochStats& train, const EpochStats& val, long n_images);
    // After evaluate_images(test, ..., &predictions): keeps the result and computes the report.
    void set_test(const EpochStats& st, const std::vector<int>& labels, int num_classes);
    double images_per_second() const { return train_seconds > 0 ? images / train_seconds : 0; }
    // After set_test: "<who> test: loss …, accuracy …, error …% (k of n wrong) — training …s, … images/s".
    void print_test(const std::string& who) const;
};

// The comparison table of a run's models (label, accuracy, error, training time, images/s), and the
// run's total time:
//   model                   accuracy    error  train (s)  images/s
//   STN (affine)              0.9814    1.86%      340.1      3234
void print_comparison(const std::vector<ModelResult>& results, int label_width, double total_seconds);

}  // namespace attn
