// Cli::usage(): the --help text, one aligned row per flag with its type, range and default.
#include <algorithm>

#include "common/run/cli.hpp"
#include "common/run/cli_values.hpp"

namespace attn {

using cli_values::fmt_bound;
using cli_values::join;

std::string Cli::usage() const {
    std::vector<std::pair<std::string, std::string>> rows;  // left column, right column
    rows.push_back({"-h, --help", "show this help and exit"});
    for (const auto& f : flags_) {
        std::string left = "--" + f.name, right = f.help;
        switch (f.kind) {
            case Kind::Int:
            case Kind::Long: left += " INT"; break;
            case Kind::Float:
            case Kind::Double: left += " NUMBER"; break;
            case Kind::String: left += " STR"; break;
            case Kind::Bool: break;
            case Kind::Choice: left += " {" + join(f.allowed, ",") + "}"; break;
            case Kind::List: left += " STR"; right += " (repeatable)"; break;
        }
        if (f.has_range)
            right += f.hi >= 1e6 ? " [at least " + fmt_bound(f.lo) + "]" : " [" + fmt_bound(f.lo) + ".." + fmt_bound(f.hi) + "]";
        if (!f.default_text.empty()) right += " (default: " + f.default_text + ")";
        rows.push_back({left, right});
    }
    size_t width = 0;
    for (const auto& r : rows) width = std::max(width, std::min<size_t>(r.first.size(), 28));
    std::string s = "usage: " + program_ + " [options]\n\n";
    if (!description_.empty()) s += description_ + "\n\n";
    s += "options:\n";
    for (const auto& r : rows) {
        std::string line = "  " + r.first;
        if (r.first.size() > width) line.append("\n").append(width + 2, ' ');  // too long: help below
        else line += std::string(width - r.first.size(), ' ');
        s += line + "  " + r.second + "\n";
    }
    return s;
}

}  // namespace attn
