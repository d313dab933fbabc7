#include "common/run/cli_values.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace attn::cli_values {

// ---- number parsing: the whole string must be the number, nothing before or after -------

bool parse_integer(const std::string& s, long long lo, long long hi, long long* out) {
    if (s.empty() || std::isspace((unsigned char)s[0])) return false;
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (end != s.c_str() + s.size() || errno == ERANGE || v < lo || v > hi) return false;
    *out = v;
    return true;
}

bool parse_real(const std::string& s, double max_abs, double* out) {
    if (s.empty() || std::isspace((unsigned char)s[0])) return false;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);  // underflow to a tiny value is fine; overflow is inf
    if (end != s.c_str() + s.size() || !std::isfinite(v) || std::fabs(v) > max_abs) return false;
    *out = v;
    return true;
}

std::string fmt_g(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// A bound for messages: integral values without an exponent ("1000000", not "1e+06").
std::string fmt_bound(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string((long long)v);
    return fmt_g(v);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (size_t i = 0; i < v.size(); i++) s += (i ? sep : "") + v[i];
    return s;
}

// Edit distance, to suggest --epochs for --epoch.
size_t levenshtein(const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); j++) prev[j] = j;
    for (size_t i = 1; i <= a.size(); i++) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); j++)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

}  // namespace attn::cli_values
