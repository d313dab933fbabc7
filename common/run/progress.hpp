// progress.hpp — one progress bar per epoch, like a good training script:
//
//   Epoch 3/20: 100%|██████████| 48000/48000 [loss=0.221, acc=0.933 | val_loss=0.262, val_acc=0.918] 12.3s
//
//   attn::ProgressBar bar(epoch, epochs, n_train);
//   for (...) { ...; bar.update(done, attn::metrics_str({{"loss", loss}, {"acc", acc}})); }
//   bar.finish(train_metrics + " | " + attn::metrics_str({{"val_loss", vl}, {"val_acc", va}}));
//
// On a terminal the line is redrawn in place (\r) at most 10 times a second. When stdout is a
// file or a pipe (a log, CI), only the finished line of each epoch is printed: no \r debris.
#pragma once
#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>

namespace attn {

class ProgressBar {
   public:
    ProgressBar(int epoch, int epochs, long total);  // to stdout, redrawn when it is a terminal
    ProgressBar(int epoch, int epochs, long total, std::FILE* out, bool tty);  // for tests

    void update(long done, const std::string& metrics);  // done: samples so far this epoch
    void finish(const std::string& final_metrics);       // prints the final line and a newline
    double seconds() const;                              // since construction

    // The text of one line (no \r, no newline); `eta` < 0 leaves out the time still to go.
    std::string line(long done, const std::string& metrics, double elapsed, double eta) const;

   private:
    int epoch_, epochs_;
    long total_, done_ = -1;
    std::FILE* out_;
    bool tty_, finished_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

// "loss=0.221" (fixed digits after the point; large or tiny values switch to %g).
std::string fmt_metric(const char* name, double v, int digits = 3);
// "loss=0.221, acc=0.933"
std::string metrics_str(std::initializer_list<std::pair<const char*, double>> metrics, int digits = 3);
// "12.3s", "4m05s", "1h02m"
std::string fmt_seconds(double s);

}  // namespace attn
