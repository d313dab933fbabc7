// cli_values.hpp — the text side of the command line: strict number parsing, number formatting
// for messages and --help, and the edit distance behind "did you mean --epochs?".
// Used by cli.cpp and cli_usage.cpp, and by the checkpoint readers' range checks (parse_integer).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace attn::cli_values {

// The whole string must be the number, nothing before or after; false when it is not, or when it
// lies outside [lo, hi] (integers) or is not finite or larger than max_abs in magnitude (reals).
bool parse_integer(const std::string& s, long long lo, long long hi, long long* out);
bool parse_real(const std::string& s, double max_abs, double* out);

std::string fmt_g(double v);      // printf's %g
std::string fmt_bound(double v);  // integral values without an exponent ("1000000", not "1e+06")
std::string join(const std::vector<std::string>& v, const char* sep);
size_t levenshtein(const std::string& a, const std::string& b);  // edit distance

}  // namespace attn::cli_values
