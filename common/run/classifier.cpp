#include "common/run/classifier.hpp"

#include <cmath>
#include <cstdio>
#include <numeric>

#include "common/core/error.hpp"
#include "common/run/summary.hpp"  // threads_text

namespace attn {

int fit_batch(int batch, long n) {
    if (n <= 0 || batch <= n) return batch;
    std::printf("--batch %d is more than the %ld training samples: batches of %ld\n", batch, n, n);
    return (int)n;
}

std::vector<int> shuffled_order(int n, Rng& rng) {
    std::vector<int> order = in_order(n);
    rng.shuffle(order.begin(), order.end());
    return order;
}

std::vector<int> in_order(int n) {
    std::vector<int> order(std::max(n, 0));
    std::iota(order.begin(), order.end(), 0);
    return order;
}

std::vector<std::vector<int>> batches_in_order(int n, int batch) {
    if (batch < 1) fail("batches_in_order", "a batch size of at least 1, got " + std::to_string(batch));
    std::vector<std::vector<int>> batches;
    for (int i0 = 0; i0 < n; i0 += batch) {
        batches.emplace_back(batch_at((size_t)n, (size_t)i0, batch));
        std::iota(batches.back().begin(), batches.back().end(), i0);
    }
    return batches;
}

void gather_batch(float* x, int* y, const ImageSet& data, const std::vector<int>& idx, size_t i0, int B) {
    const size_t D = (size_t)data.rows * data.cols;
    for (int b = 0; b < B; b++) {
        const int s = idx[i0 + b];
        std::copy(data.image(s), data.image(s) + D, x + b * D);
        y[b] = data.labels[s];
    }
}

// %.3f, the precision of every progress bar of the image chapters
static std::string fmt3(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", v);
    return b;
}

std::string EpochMeter::progress() const {
    const double n = (double)std::max<long>(seen, 1);
    return "loss=" + fmt3(loss_sum / n) + ", acc=" + fmt3((double)correct / n);
}

EpochStats EpochMeter::stats() const {
    EpochStats st;
    st.loss = loss_sum / std::max<long>(seen, 1);
    st.acc = (double)correct / std::max<long>(seen, 1);
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return st;
}

std::string epoch_line(const EpochStats& train, const EpochStats& val) {
    return "loss=" + fmt3(train.loss) + ", acc=" + fmt3(train.acc) + " | val_loss=" + fmt3(val.loss) +
           ", val_acc=" + fmt3(val.acc);
}

void ModelResult::add_epoch(const EpochStats& train, const EpochStats& val, long n_images) {
    train_seconds += train.seconds, images += n_images;
    train_loss.push_back(train.loss);
    val_loss.push_back(val.loss), val_accuracy.push_back(val.acc);
}

void ModelResult::set_test(const EpochStats& st, const std::vector<int>& labels, int num_classes) {
    if (predictions.size() != labels.size())
        fail("ModelResult::set_test", "one prediction per test label (" + std::to_string(labels.size()) + "), got " +
                                          std::to_string(predictions.size()),
             "pass &result.predictions to evaluate_images");
    test = st;
    report = classification_report(predictions, labels, num_classes);
}

void print_comparison(const std::vector<ModelResult>& results, int label_width, double total_seconds) {
    std::printf("\n%-*s %9s %8s %10s %9s\n", label_width, "model", "accuracy", "error", "train (s)", "images/s");
    for (const ModelResult& r : results)
        std::printf("%-*s %9.4f %7.2f%% %10.1f %9.0f\n", label_width, (r.label.empty() ? r.name : r.label).c_str(),
                    r.test.acc, 100 * (1 - r.test.acc), r.train_seconds, r.images_per_second());
    std::printf("total %.1fs on %s\n", total_seconds, threads_text().c_str());
}

void ModelResult::print_test(const std::string& who) const {
    const int n = (int)predictions.size();
    std::printf("%s test: loss %.4f, accuracy %.4f, error %.2f%% (%d of %d wrong) — training %.1fs, %.0f images/s\n",
                who.c_str(), test.loss, test.acc, 100 * (1 - test.acc), (int)std::lround((1 - test.acc) * n), n,
                train_seconds, images_per_second());
}

}  // namespace attn
