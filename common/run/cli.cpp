#include "common/run/cli.hpp"

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <climits>
#include <cstdlib>
#include <iostream>

#include "common/core/error.hpp"
#include "common/run/cli_values.hpp"

namespace attn {

using cli_values::fmt_bound;
using cli_values::fmt_g;
using cli_values::join;

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
            if (!cli_values::parse_integer(value, INT_MIN, INT_MAX, &integer)) {
                *error = where + "expected an integer in [" + std::to_string(INT_MIN) + ", " +
                         std::to_string(INT_MAX) + "]" + got + eg;
                return false;
            }
            *static_cast<int*>(f.dest) = (int)integer, real = (double)integer;
            break;
        case Kind::Long:
            if (!cli_values::parse_integer(value, LONG_MIN, LONG_MAX, &integer)) {
                *error = where + "expected an integer" + got + eg;
                return false;
            }
            *static_cast<long*>(f.dest) = (long)integer, real = (double)integer;
            break;
        case Kind::Float:
        case Kind::Double:
            if (!cli_values::parse_real(value, f.kind == Kind::Float ? FLT_MAX : DBL_MAX, &real)) {
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
        size_t d = cli_values::levenshtein(name, f.name);
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

}  // namespace attn
