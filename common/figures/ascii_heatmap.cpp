#include "common/figures/ascii_heatmap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/core/error.hpp"
#include "common/figures/font.hpp"

namespace attn {

namespace {

std::string pad_right(const std::string& s, int width) {
    return s + std::string(std::max(0, width - utf8_length(s)), ' ');
}

}  // namespace

std::string ascii_heatmap(const float* values, int rows, int cols, const std::vector<std::string>& row_labels,
                          const std::vector<std::string>& col_labels, int max_cols) {
    if (rows <= 0 || cols <= 0) fail("ascii_heatmap", "a non-empty matrix");
    if ((!row_labels.empty() && (int)row_labels.size() != rows) ||
        (!col_labels.empty() && (int)col_labels.size() != cols))
        fail("ascii_heatmap", "one label per row and per column (or none)");
    static const char kRamp[] = " .:-=+*#%@";
    const int levels = 9;  // kRamp has 10 characters: indices 0..9

    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < rows * cols; i++)
        if (std::isfinite(values[i])) lo = std::min(lo, values[i]), hi = std::max(hi, values[i]);
    int shown = std::min(cols, std::max(max_cols, 1));

    // Column width: across when every label fits in 4 characters, else 2 with labels downwards.
    int longest = 0;
    for (int j = 0; j < shown && !col_labels.empty(); j++) longest = std::max(longest, utf8_length(col_labels[j]));
    bool across = longest <= 4 || shown * 5 <= 100;
    int cw = across ? std::min(std::max(longest, 1), 4) + 1 : 2;

    std::vector<std::string> rl;
    int rw = 0;
    for (int i = 0; i < rows; i++) {
        rl.push_back(row_labels.empty() ? std::to_string(i) : utf8_truncate(row_labels[i], 12));
        rw = std::max(rw, utf8_length(rl.back()));
    }
    std::string out, indent(rw + 2, ' ');

    if (!col_labels.empty()) {
        if (across) {
            out += indent;
            for (int j = 0; j < shown; j++) {
                std::vector<char32_t> cps = utf8_decode(col_labels[j]);  // cut without "…": 4 is tight
                std::string s;
                for (int k = 0; k < std::min((int)cps.size(), cw - 1); k++) s += utf8_encode(cps[k]);
                out += pad_right(s, cw);
            }
            out += "\n";
        } else {
            for (int line = 0; line < std::min(longest, 6); line++) {
                out += indent;
                for (int j = 0; j < shown; j++) {
                    std::vector<char32_t> cps = utf8_decode(col_labels[j]);
                    out += line < (int)cps.size() ? utf8_encode(cps[line]) : std::string(" ");
                    out += ' ';
                }
                out += "\n";
            }
        }
    }
    for (int i = 0; i < rows; i++) {
        out += pad_right(rl[i], rw) + " |";
        for (int j = 0; j < shown; j++) {
            float v = values[(size_t)i * cols + j];
            char ch = '?';
            if (std::isfinite(v)) {
                int k = hi > lo ? (int)std::lround((v - lo) / (hi - lo) * levels) : levels;
                ch = kRamp[std::clamp(k, 0, levels)];
            }
            out += ch;
            out += std::string(cw - 1, ' ');
        }
        out += "|\n";
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, "ramp \" .:-=+*#%%@\": ' ' = %.3g (min) ... '@' = %.3g (max)", lo > hi ? 0.f : lo,
                  lo > hi ? 0.f : hi);
    out += buf;
    if (shown < cols) out += "  (" + std::to_string(cols - shown) + " more columns not shown)";
    out += "\n";
    return out;
}

}  // namespace attn
