#include "common/data/synth_dates.hpp"

#include <cstdio>
#include <string>

#include "common/core/error.hpp"
#include "common/core/rng.hpp"

namespace attn {

namespace {

const char* const kMonths[] = {"january", "february", "march",     "april",   "may",      "june",
                               "july",    "august",   "september", "october", "november", "december"};
const char* const kDays[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in(int y, int m) {  // m in 1..12
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return d[m - 1] + (m == 2 && leap(y));
}
// day of the week, 0 = sunday (Sakamoto's method for the Gregorian calendar)
int weekday(int y, int m, int d) {
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (m < 3) y -= 1;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}
std::string two(int v) {  // 3 -> "03"
    char b[16];
    std::snprintf(b, sizeof b, "%02d", v);
    return b;
}
std::string ordinal(int d) {
    const char* suf = (d % 10 == 1 && d != 11) ? "st" : (d % 10 == 2 && d != 12) ? "nd" : (d % 10 == 3 && d != 13) ? "rd" : "th";
    return std::to_string(d) + suf;
}
// "ab c" -> "a b _ c"
std::string spell(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (!out.empty()) out += ' ';
        out += c == ' ' ? '_' : c;
    }
    return out;
}

}  // namespace

PairSet synth_dates(int n, uint64_t seed) {
    if (n < 0) fail("synth_dates", "n >= 0, got " + std::to_string(n));
    Rng rng(seed);
    PairSet set;
    set.name = "synthetic-dates";
    set.source = "synthetic: dates seed=" + std::to_string(seed) + " n=" + std::to_string(n) + " years=1970..2069";
    set.pairs.reserve(n);
    for (int i = 0; i < n; i++) {
        int y = rng.randint(1970, 2069), m = rng.randint(1, 12);
        int d = rng.randint(1, days_in(y, m));
        std::string month = kMonths[m - 1], mon = month.substr(0, 3);
        std::string wday = kDays[weekday(y, m, d)], ys = std::to_string(y), ds = std::to_string(d);
        std::string text;
        switch (rng.below(13)) {
            case 0: text = ds + " " + month + " " + ys; break;
            case 1: text = month + " " + ds + ", " + ys; break;
            case 2: text = two(d) + "/" + two(m) + "/" + ys; break;
            case 3: text = wday + ", " + month + " " + ds + " " + ys; break;
            case 4: text = ds + "." + std::to_string(m) + "." + two(y % 100); break;
            case 5: text = ys + " " + mon + " " + ds; break;
            case 6: text = ds + " " + mon + " " + ys; break;
            case 7: text = mon + " " + two(d) + " " + ys; break;
            case 8: text = two(d) + "." + two(m) + "." + ys; break;
            case 9: text = "the " + ordinal(d) + " of " + month + " " + ys; break;
            case 10: text = month + " " + ordinal(d) + ", " + ys; break;
            case 11: text = wday.substr(0, 3) + " " + ds + " " + mon + " " + ys; break;
            default: text = ys + "/" + two(m) + "/" + two(d); break;
        }
        set.pairs.push_back({spell(text), spell(ys + "-" + two(m) + "-" + two(d))});
    }
    return set;
}

}  // namespace attn
