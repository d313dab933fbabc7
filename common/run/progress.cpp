#include "common/run/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace attn {

ProgressBar::ProgressBar(int epoch, int epochs, long total)
    : ProgressBar(epoch, epochs, total, stdout, isatty(fileno(stdout)) != 0) {}

ProgressBar::ProgressBar(int epoch, int epochs, long total, std::FILE* out, bool tty)
    : epoch_(epoch), epochs_(epochs), total_(std::max(total, 0L)), out_(out), tty_(tty) {
    start_ = last_draw_ = std::chrono::steady_clock::now();
}

double ProgressBar::seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string ProgressBar::line(long done, const std::string& metrics, double elapsed, double eta) const {
    // A 10-cell bar; the last cell is drawn in eighths (▏▎▍▌▋▊▉█) so slow epochs still move.
    static const char* eighths[8] = {" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    const int cells = 10;
    double frac = total_ > 0 ? std::clamp((double)done / (double)total_, 0.0, 1.0) : 1.0;
    int full = (int)(frac * cells), part = (int)((frac * cells - full) * 8);
    std::string bar;
    for (int i = 0; i < cells; i++) bar += i < full ? "█" : i == full ? eighths[part] : " ";

    char head[96];
    std::snprintf(head, sizeof head, "Epoch %d/%d: %3d%%|", epoch_, epochs_, (int)(frac * 100));
    std::string s = head + bar + "| " + std::to_string(done) + "/" + std::to_string(total_);
    // (appends rather than `"literal" + std::string`, which trips a false g++ 12 -Wrestrict)
    if (!metrics.empty()) s.append(" [").append(metrics).append("]");
    s.append(" ").append(fmt_seconds(elapsed));
    if (eta >= 0) s.append("<").append(fmt_seconds(eta));
    return s;
}

void ProgressBar::update(long done, const std::string& metrics) {
    done_ = done;
    if (!tty_ || finished_) return;  // a log gets only the final line
    auto now = std::chrono::steady_clock::now();
    bool last = done >= total_;
    if (!last && now - last_draw_ < std::chrono::milliseconds(100)) return;  // <= 10 redraws/s
    last_draw_ = now;
    double elapsed = seconds();
    double eta = done > 0 && done < total_ ? elapsed * (double)(total_ - done) / (double)done : -1;
    // \r back to column 0, then ESC[K clears whatever a longer previous line left behind.
    std::fprintf(out_, "\r%s\033[K", line(done, metrics, elapsed, eta).c_str());
    std::fflush(out_);
}

void ProgressBar::finish(const std::string& final_metrics) {
    if (finished_) return;
    finished_ = true;
    long done = done_ >= 0 ? done_ : total_;  // honest when the last partial batch was dropped
    std::string s = line(done, final_metrics, seconds(), -1);
    if (tty_) std::fprintf(out_, "\r%s\033[K\n", s.c_str());
    else std::fprintf(out_, "%s\n", s.c_str());
    std::fflush(out_);
}

std::string fmt_metric(const char* name, double v, int digits) {
    char buf[64];
    double a = std::fabs(v);
    if (std::isfinite(v) && v != 0 && (a >= 1e6 || a < std::pow(10.0, -digits)))
        std::snprintf(buf, sizeof buf, "%.*g", std::max(digits, 1), v);
    else
        std::snprintf(buf, sizeof buf, "%.*f", std::max(digits, 0), v);
    return std::string(name) + "=" + buf;
}

std::string metrics_str(std::initializer_list<std::pair<const char*, double>> metrics, int digits) {
    std::string s;
    for (const auto& [name, v] : metrics) s += (s.empty() ? "" : ", ") + fmt_metric(name, v, digits);
    return s;
}

std::string fmt_seconds(double s) {
    char buf[32];
    if (!(s >= 0)) s = 0;
    if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", (int)s / 60, (int)s % 60);
    else std::snprintf(buf, sizeof buf, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
    return buf;
}

}  // namespace attn
