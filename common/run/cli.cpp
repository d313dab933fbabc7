#include "common/run/cli.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"

namespace attn {

// ---- number parsing: the whole string must be the number, nothing before or after -------

static bool parse_integer(const std::string& s, long long lo, long long hi, long long* out) {
    if (s.empty() || std::isspace((unsigned char)s[0])) return false;
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (end != s.c_str() + s.size() || errno == ERANGE || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool parse_real(const std::string& s, double max_abs, double* out) {
    if (s.empty() || std::isspace((unsigned char)s[0])) return false;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);  // underflow to a tiny value is fine; overflow is inf
    if (end != s.c_str() + s.size() || !std::isfinite(v) || std::fabs(v) > max_abs) return false;
    *out = v;
    return true;
}

static std::string fmt_g(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// A bound for messages: integral values without an exponent ("1000000", not "1e+06").
static std::string fmt_bound(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string((long long)v);
    return fmt_g(v);
}

static std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (size_t i = 0; i < v.size(); i++) s += (i ? sep : "") + v[i];
    return s;
}

// Edit distance, to suggest --epochs for --epoch.
static size_t levenshtein(const std::string& a, const std::string& b) {
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

// ---- declaring -----------------------------------------------------------------------------

Cli::Cli(std::string program, std::string description)
    : program_(std::move(program)), description_(std::move(description)) {}

void Cli::add(const std::string& name, Kind kind, void* dest, const std::string& help,
              std::string default_text, std::vector<std::string> allowed) {
    if (name.empty() || name[0] == '-' || name == "help" || name == "h" || name.find('=') != std::string::npos)
        fail("Cli::flag", "a flag name without dashes or '=', other than help, got '" + name + "'");
    if (find(name)) fail("Cli::flag", "each flag declared once, but --" + name + " is declared twice");
    if (!dest) fail("Cli::flag", "a destination variable for --" + name);
    Flag f;
    f.name = name, f.help = help, f.default_text = std::move(default_text);
    f.kind = kind, f.dest = dest, f.allowed = std::move(allowed);
    flags_.push_back(std::move(f));
}

void Cli::flag(const std::string& n, int* d, const std::string& h) { add(n, Kind::Int, d, h, std::to_string(*d)); }
void Cli::flag(const std::string& n, long* d, const std::string& h) { add(n, Kind::Long, d, h, std::to_string(*d)); }
void Cli::flag(const std::string& n, float* d, const std::string& h) { add(n, Kind::Float, d, h, fmt_g(*d)); }
void Cli::flag(const std::string& n, double* d, const std::string& h) { add(n, Kind::Double, d, h, fmt_g(*d)); }
void Cli::flag(const std::string& n, std::string* d, const std::string& h) { add(n, Kind::String, d, h, *d); }
void Cli::flag(const std::string& n, bool* d, const std::string& h) { add(n, Kind::Bool, d, h, *d ? "on" : ""); }
void Cli::flag_list(const std::string& n, std::vector<std::string>* d, const std::string& h) {
    add(n, Kind::List, d, h, join(*d, " "));
}
void Cli::choice(const std::string& n, std::string* d, std::vector<std::string> allowed, const std::string& h) {
    if (std::find(allowed.begin(), allowed.end(), *d) == allowed.end())
        fail("Cli::choice", "the default '" + *d + "' of --" + n + " to be one of " + join(allowed, ", "));
    add(n, Kind::Choice, d, h, *d, std::move(allowed));
}

void Cli::range(const std::string& name, double lo, double hi) {
    Flag* f = find(name);
    if (!f || f->kind == Kind::String || f->kind == Kind::Bool || f->kind == Kind::Choice || f->kind == Kind::List)
        fail("Cli::range", "a declared numeric flag, got --" + name);
    f->has_range = true, f->lo = lo, f->hi = hi;
}

Cli::Flag* Cli::find(const std::string& name) {
    for (auto& f : flags_)
        if (f.name == name) return &f;
    return nullptr;
}
const Cli::Flag* Cli::find(const std::string& name) const { return const_cast<Cli*>(this)->find(name); }

bool Cli::was_set(const std::string& name) const {
    const Flag* f = find(name);
    if (!f) fail("Cli::was_set", "a declared flag, got --" + name);
    return f->set;
}

// ---- parsing -------------------------------------------------------------------------------

bool Cli::assign(Flag& f, const std::string& value, std::string* error) {
    const std::string where = "--" + f.name + ": ";
    const std::string got = ", got '" + value + "'";
    const std::string eg = f.default_text.empty() ? "" : " (HINT: e.g. --" + f.name + " " + f.default_text + ")";
    double real = 0;
    long long integer = 0;
    switch (f.kind) {
        case Kind::Int:
            if (!parse_integer(value, INT_MIN, INT_MAX, &integer)) {
                *error = where + "expected an integer in [" + std::to_string(INT_MIN) + ", " +
                         std::to_string(INT_MAX) + "]" + got + eg;
                return false;
            }
            *static_cast<int*>(f.dest) = (int)integer, real = (double)integer;
            break;
        case Kind::Long:
            if (!parse_integer(value, LONG_MIN, LONG_MAX, &integer)) {
                *error = where + "expected an integer" + got + eg;
                return false;
            }
            *static_cast<long*>(f.dest) = (long)integer, real = (double)integer;
            break;
        case Kind::Float:
        case Kind::Double:
            if (!parse_real(value, f.kind == Kind::Float ? FLT_MAX : DBL_MAX, &real)) {
                *error = where + "expected a finite number" + got + eg;
                return false;
            }
            if (f.kind == Kind::Float) *static_cast<float*>(f.dest) = (float)real;
            else *static_cast<double*>(f.dest) = real;
            break;
        case Kind::String: *static_cast<std::string*>(f.dest) = value; break;
        case Kind::Bool:
            if (value == "true" || value == "1" || value == "on") *static_cast<bool*>(f.dest) = true;
            else if (value == "false" || value == "0" || value == "off") *static_cast<bool*>(f.dest) = false;
            else {
                *error = where + "expected no value, or true/false" + got + " (HINT: write just --" + f.name + ")";
                return false;
            }
            break;
        case Kind::Choice:
            if (std::find(f.allowed.begin(), f.allowed.end(), value) == f.allowed.end()) {
                *error = where + "expected one of " + join(f.allowed, ", ") + got;
                return false;
            }
            *static_cast<std::string*>(f.dest) = value;
            break;
        case Kind::List: {
            auto* list = static_cast<std::vector<std::string>*>(f.dest);
            if (!f.set) list->clear();  // the first occurrence replaces the defaults
            list->push_back(value);
        } break;
    }
    if (f.has_range && (real < f.lo || real > f.hi)) {
        *error = where + "expected a value in [" + fmt_bound(f.lo) + ", " + fmt_bound(f.hi) + "]" + got;
        return false;
    }
    f.set = true;
    return true;
}

std::string Cli::unknown_flag_error(const std::string& name) const {
    std::string best;
    size_t best_d = 3;  // suggest only names within two edits
    for (const auto& f : flags_) {
        size_t d = levenshtein(name, f.name);
        if (d < best_d) best_d = d, best = f.name;
    }
    std::string hint = best.empty() ? "run with --help to list the flags"
                                    : "did you mean --" + best + "? Run with --help to list the flags";
    return "unknown flag --" + name + " (HINT: " + hint + ")";
}

bool Cli::try_parse(int argc, char** argv, std::string* error) {
    // --help anywhere wins, so `prog --epochs abc --help` still shows the help.
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            help_ = true;
            return true;
        }
    }
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
            if (a.size() >= 2 && a[0] == '-' && !std::isdigit((unsigned char)a[1]) && a != "--")
                *error = unknown_flag_error(a.substr(1));
            else
                *error = "unexpected argument '" + a + "' (HINT: every value follows its flag, e.g. --epochs 10)";
            return false;
        }
        std::string name = a.substr(2), value;
        size_t eq = name.find('=');
        bool inline_value = eq != std::string::npos;
        if (inline_value) value = name.substr(eq + 1), name = name.substr(0, eq);
        Flag* f = find(name);
        if (!f) {
            *error = unknown_flag_error(name);
            return false;
        }
        if (f->kind == Kind::Bool && !inline_value) {
            *static_cast<bool*>(f->dest) = true;
            f->set = true;
            continue;
        }
        if (!inline_value) {
            // The next word is the value unless it is another flag (negative numbers are values).
            if (i + 1 >= argc || std::string(argv[i + 1]).compare(0, 2, "--") == 0) {
                std::string meta = f->kind == Kind::Int || f->kind == Kind::Long ? "INT"
                                   : f->kind == Kind::Float || f->kind == Kind::Double ? "NUMBER"
                                                                                       : "VALUE";
                *error = "--" + name + ": expected a value after it (HINT: write --" + name + " " + meta +
                         " or --" + name + "=" + meta + ")";
                return false;
            }
            value = argv[++i];
        }
        if (!assign(*f, value, error)) return false;
    }
    return true;
}

void Cli::parse(int argc, char** argv) {
    std::string error;
    if (!try_parse(argc, argv, &error)) {
        std::cerr << program_ << ": error: " << error << "\n\n" << usage();
        std::exit(2);
    }
    if (help_) {
        std::cout << usage();
        std::exit(0);
    }
}

// ---- usage ---------------------------------------------------------------------------------

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

// ---- the flags every chapter has -----------------------------------------------------------

void add_common_flags(Cli& cli, CommonFlags& f) {
    if (f.out.empty()) f.out = "runs/" + cli.program();
    if (f.data_choices.empty())
        cli.flag("data", &f.data, "dataset to use; auto: real data when found, else the synthetic task");
    else
        cli.choice("data", &f.data, f.data_choices, "dataset to use; auto: real data when found, else synthetic");
    cli.flag("data-dir", &f.data_dir, "directory with the real datasets (else $ATTN_DATA)");
    cli.flag("epochs", &f.epochs, "passes over the training set");
    cli.range("epochs", 1, 1e6);
    cli.flag("batch", &f.batch, "examples per gradient step");
    cli.range("batch", 1, 1e6);
    cli.flag("lr", &f.lr, "learning rate");
    cli.range("lr", 0, 1000);
    cli.flag("seed", &f.seed, "random seed: same seed, same numbers");
    cli.flag("threads", &f.threads, "worker threads; 0: $ATTN_THREADS if set, else all cores");
    cli.range("threads", 0, 1024);
    cli.flag("quick", &f.quick, "a small run of well under a minute");
    cli.flag("out", &f.out, "directory for metrics.json and figures");
    cli.flag("save", &f.save, "write a checkpoint here after training");
    cli.flag("load", &f.load, "start from this checkpoint");
    if (f.want_eval_file) add_eval_file_flag(cli, f, "also evaluate on this file");
}

void add_eval_file_flag(Cli& cli, CommonFlags& f, const std::string& help) {
    cli.flag("eval-file", &f.eval_file, help);
}

void apply_common_flags(const CommonFlags& f) { set_threads(f.threads); }

}  // namespace attn
