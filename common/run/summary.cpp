#include "common/run/summary.hpp"

#include <algorithm>
#include <cstdio>

#include "common/core/thread_pool.hpp"

namespace attn {

std::string threads_text() {
    const int n = num_threads();
    return std::to_string(n) + (n == 1 ? " thread" : " threads");
}

std::string with_commas(long n) {
    // Work on the magnitude as unsigned so LONG_MIN does not overflow.
    unsigned long m = n < 0 ? 0UL - (unsigned long)n : (unsigned long)n;
    std::string digits = std::to_string(m), s;
    for (size_t i = 0; i < digits.size(); i++) {
        if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
        s += digits[i];
    }
    return n < 0 ? "-" + s : s;
}

std::string summary_str(const std::string& model_name, const std::vector<SummaryRow>& rows) {
    long total = 0;
    size_t name_w = 6, num_w = 1;  // "total:" is 6 wide
    for (const auto& r : rows) {
        total += r.params;
        name_w = std::max(name_w, r.layer.size() + 1);
    }
    num_w = with_commas(total).size();
    for (const auto& r : rows) num_w = std::max(num_w, with_commas(r.params).size());

    auto row = [&](const std::string& label, long n) {
        std::string left = label + ":";
        return "  " + left + std::string(name_w - left.size() + 2, ' ') +
               std::string(num_w - with_commas(n).size(), ' ') + with_commas(n) + " params\n";
    };
    std::string s = "Model: " + model_name + "\n";
    for (const auto& r : rows) s += row(r.layer, r.params);
    s.append("  ").append(name_w + 2 + num_w + 7, '-').append("\n");
    s += row("total", total);
    return s;
}

void print_summary(const std::string& model_name, const std::vector<SummaryRow>& rows) {
    std::fputs(summary_str(model_name, rows).c_str(), stdout);
    std::fflush(stdout);
}

std::vector<SummaryRow> summary_from_params(const ParamSet& params) {
    std::vector<SummaryRow> rows;
    for (const auto& e : params.entries()) {
        size_t dot = e.name.rfind('.');
        std::string layer = dot == std::string::npos ? e.name : e.name.substr(0, dot);
        auto it = std::find_if(rows.begin(), rows.end(), [&](const SummaryRow& r) { return r.layer == layer; });
        if (it == rows.end()) rows.push_back({layer, (long)e.size});
        else it->params += (long)e.size;
    }
    return rows;
}

}  // namespace attn
