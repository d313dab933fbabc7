// Tests of the built-in synthetic datasets: determinism by seed, sizes and ranges, and that
// each task has the property its chapter relies on (long sentences, reordering, a keyword that
// decides the label, a digit that lands inside its canvas, ...).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/data/synth_dates.hpp"
#include "common/data/synth_images.hpp"
#include "common/data/synth_keywords.hpp"
#include "common/data/synth_translation.hpp"

using namespace attn;

namespace {

std::vector<std::string> tokens(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> t;
    for (std::string w; in >> w;) t.push_back(w);
    return t;
}
bool same_pairs(const PairSet& a, const PairSet& b) {
    if (a.pairs.size() != b.pairs.size()) return false;
    for (size_t i = 0; i < a.pairs.size(); i++)
        if (a.pairs[i].src != b.pairs[i].src || a.pairs[i].tgt != b.pairs[i].tgt) return false;
    return true;
}
bool has_bigram(const std::vector<std::string>& t, const std::string& a, const std::string& b) {
    for (size_t i = 0; i + 1 < t.size(); i++)
        if (t[i] == a && t[i + 1] == b) return true;
    return false;
}

}  // namespace

// ---- translation --------------------------------------------------------------------------------
TEST_CASE("synth_translation: deterministic by seed, and the documented example pairs are stable") {
    PairSet a = synth_translation(200, 7), b = synth_translation(200, 7), c = synth_translation(200, 8);
    CHECK(same_pairs(a, b));
    CHECK(!same_pairs(a, c));
    CHECK(a.name == "synthetic-translation");
    CHECK(a.source.rfind("synthetic: translation seed=7", 0) == 0);
    // the examples quoted in synth_translation.hpp (also pins the stream across compilers)
    PairSet ex = synth_translation(7, 1);
    CHECK(ex.pairs[5].src == "the farmers which laugh work with a hungry kind lamp today .");
    CHECK(ex.pairs[5].tgt == "los agriken kiu ridant hodiau una lampa bona famela kun laborant .");
    CHECK(ex.pairs[6].src == "quick students chase the birds quickly and the king thinks that a boat sleeps .");
    CHECK(ex.pairs[6].tgt == "studenton rapidoj rapide las avin chasant kaj lo rego ke un barko dormat pensat .");
}

TEST_CASE("synth_translation: lengths cover 3..45 evenly, modest vocabularies, well-formed text") {
    PairSet s = synth_translation(3000, 1);
    REQUIRE(s.pairs.size() == 3000);
    std::set<std::string> vs, vt;
    std::map<int, int> bucket;  // length / 5
    int min_len = 1000, max_len = 0, over40 = 0;
    for (const Pair& p : s.pairs) {
        auto ts = tokens(p.src), tt = tokens(p.tgt);
        REQUIRE(!tt.empty());
        CHECK(ts.back() == ".");
        CHECK(tt.back() == ".");
        CHECK(p.src.find("  ") == std::string::npos);
        CHECK(std::none_of(p.src.begin(), p.src.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
        vs.insert(ts.begin(), ts.end());
        vt.insert(tt.begin(), tt.end());
        int n = (int)ts.size();
        min_len = std::min(min_len, n), max_len = std::max(max_len, n);
        over40 += n > 40;
        bucket[n / 5]++;
    }
    MESSAGE("source lengths " << min_len << ".." << max_len << ", >40: " << over40 << ", vocab " << vs.size() << " / "
                              << vt.size());
    CHECK(min_len <= 4);
    CHECK(max_len >= 44);
    CHECK(max_len <= 45);
    CHECK(over40 > 300);  // ~12% of pairs are longer than 40 tokens
    for (int b = 1; b <= 8; b++) CHECK(bucket[b] > 3000 / 9 / 2);  // 5–9, 10–14, ..., 40–44: each well filled
    CHECK(vs.size() >= 100);
    CHECK(vs.size() <= 300);
    CHECK(vt.size() >= 100);
    CHECK(vt.size() <= 300);
}

TEST_CASE("synth_translation: the target reorders (noun before adjective, verb last) and inflects") {
    SynthTranslationOptions mono;
    mono.reorder = false;
    // Rendering draws no random numbers, so both sets come from the same syntax trees.
    PairSet r = synth_translation(500, 3), m = synth_translation(500, 3, mono);
    int reversed = 0, differ = 0;
    for (size_t i = 0; i < r.pairs.size(); i++) {
        CHECK(r.pairs[i].src == m.pairs[i].src);
        auto tr = tokens(r.pairs[i].tgt), tm = tokens(m.pairs[i].tgt);
        auto sr = tr, sm = tm;  // same words, other order
        std::sort(sr.begin(), sr.end());
        std::sort(sm.begin(), sm.end());
        CHECK(sr == sm);
        differ += tr != tm;
        // every "grand<o|a|oj|aj> X" of the monotonic target appears as "X grand.." when reordered
        for (size_t k = 0; k + 1 < tm.size(); k++)
            if (tm[k].rfind("grand", 0) == 0) {
                CHECK(has_bigram(tr, tm[k + 1], tm[k]));
                reversed++;
            }
    }
    CHECK(reversed > 20);
    CHECK(differ > 400);
    // agreement: "big" becomes grando / granda / grandoj / grandaj with the noun's gender and number
    std::set<std::string> forms;
    for (const Pair& p : r.pairs)
        for (const auto& w : tokens(p.tgt))
            if (w.rfind("grand", 0) == 0) forms.insert(w);
    CHECK(forms == std::set<std::string>{"granda", "grandaj", "grando", "grandoj"});
    SynthTranslationOptions flat;
    flat.inflect = false;
    std::set<std::string> vt_flat, vt;
    for (const Pair& p : synth_translation(500, 3, flat).pairs)
        for (const auto& w : tokens(p.tgt)) vt_flat.insert(w);
    for (const Pair& p : r.pairs)
        for (const auto& w : tokens(p.tgt)) vt.insert(w);
    CHECK(vt_flat.size() + 60 < vt.size());  // agreement multiplies adjective, verb and article forms
    SynthTranslationOptions bad;
    bad.min_len = 2;
    CHECK_THROWS_AS(synth_translation(5, 1, bad), attn::Error);
}

// ---- dates --------------------------------------------------------------------------------------
namespace {

// weekday by counting days from Thursday 1 January 1970 (another method than the generator's)
int weekday_from_1970(int y, int m, int d) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    auto leap = [](int yy) { return (yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0; };
    long days = 0;
    for (int yy = 1970; yy < y; yy++) days += leap(yy) ? 366 : 365;
    for (int mm = 1; mm < m; mm++) days += mdays[mm - 1] + (mm == 2 && leap(y));
    days += d - 1;
    return (int)((days + 4) % 7);  // 0 = sunday
}
std::string pad2(int v) { return std::string(v < 10 ? "0" : "") + std::to_string(v); }

}  // namespace

TEST_CASE("synth_dates: every source is a rendering of its ISO target; all 13 formats occur") {
    PairSet a = synth_dates(600, 5), b = synth_dates(600, 5), c = synth_dates(600, 6);
    CHECK(same_pairs(a, b));
    CHECK(!same_pairs(a, c));
    const char* months[] = {"january", "february", "march",     "april",   "may",      "june",
                            "july",    "august",   "september", "october", "november", "december"};
    const char* days[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
    std::set<int> formats_seen;
    for (const Pair& p : a.pairs) {
        // target "Y Y Y Y - M M - D D"
        REQUIRE(p.tgt.size() == 19);
        std::string iso;
        for (char ch : p.tgt)
            if (ch != ' ') iso += ch;
        REQUIRE(iso.size() == 10);
        int y = std::stoi(iso.substr(0, 4)), m = std::stoi(iso.substr(5, 2)), d = std::stoi(iso.substr(8, 2));
        CHECK(iso[4] == '-');
        CHECK(y >= 1970);
        CHECK(y <= 2069);
        REQUIRE(m >= 1);
        REQUIRE(m <= 12);
        CHECK(d >= 1);
        CHECK(d <= 31);
        // source: characters separated by spaces, "_" for a space
        std::string text;
        for (size_t k = 0; k < p.src.size(); k++) {
            if (k % 2 == 1) {
                CHECK(p.src[k] == ' ');
                continue;
            }
            text += p.src[k] == '_' ? ' ' : p.src[k];
        }
        std::string mon = months[m - 1], ys = std::to_string(y), ds = std::to_string(d), wd = days[weekday_from_1970(y, m, d)];
        std::string th = ds + ((d % 10 == 1 && d != 11) ? "st" : (d % 10 == 2 && d != 12) ? "nd" : (d % 10 == 3 && d != 13) ? "rd" : "th");
        std::vector<std::string> renderings = {
            ds + " " + mon + " " + ys,        mon + " " + ds + ", " + ys,
            pad2(d) + "/" + pad2(m) + "/" + ys, wd + ", " + mon + " " + ds + " " + ys,
            ds + "." + std::to_string(m) + "." + pad2(y % 100), ys + " " + mon.substr(0, 3) + " " + ds,
            ds + " " + mon.substr(0, 3) + " " + ys, mon.substr(0, 3) + " " + pad2(d) + " " + ys,
            pad2(d) + "." + pad2(m) + "." + ys, "the " + th + " of " + mon + " " + ys,
            mon + " " + th + ", " + ys,       wd.substr(0, 3) + " " + ds + " " + mon.substr(0, 3) + " " + ys,
            ys + "/" + pad2(m) + "/" + pad2(d)};
        auto it = std::find(renderings.begin(), renderings.end(), text);
        CHECK_MESSAGE(it != renderings.end(), "'" << text << "' is not a rendering of " << iso);
        formats_seen.insert((int)(it - renderings.begin()));
    }
    CHECK(formats_seen.size() == 13);
}

// ---- keywords -----------------------------------------------------------------------------------
TEST_CASE("synth_keywords: the label is the class of the (un-negated) keyword; lengths 8..40") {
    for (bool negation : {false, true}) {
        SynthKeywordOptions opt;
        opt.negation = negation;
        TextSet a = synth_keywords(400, 9, opt), b = synth_keywords(400, 9, opt), c = synth_keywords(400, 10, opt);
        REQUIRE(a.class_names == std::vector<std::string>{"World", "Sports", "Business", "Sci/Tech"});
        bool same = true, differ = false;
        for (size_t i = 0; i < a.items.size(); i++) {
            same &= a.items[i].text == b.items[i].text && a.items[i].label == b.items[i].label;
            differ |= a.items[i].text != c.items[i].text;
        }
        CHECK(same);
        CHECK(differ);
        std::map<std::string, int> class_of;
        for (int k = 0; k < 4; k++)
            for (const auto& w : synth_keyword_list(k)) class_of[w] = k;
        int per_class[4] = {0, 0, 0, 0}, decoys = 0;
        for (const LabeledText& t : a.items) {
            auto w = tokens(t.text);
            CHECK(w.size() >= 8);
            CHECK(w.size() <= 40);
            int found = -1, n_found = 0;
            for (size_t k = 0; k < w.size(); k++) {
                auto it = class_of.find(w[k]);
                if (it == class_of.end()) continue;
                if (k > 0 && w[k - 1] == "not") {
                    CHECK(it->second != t.label);
                    decoys++;
                    continue;
                }
                CHECK((found < 0 || found == it->second));
                found = it->second;
                n_found++;
            }
            CHECK(found == t.label);
            CHECK(n_found >= 1);
            CHECK(n_found <= 2);
            per_class[t.label]++;
        }
        for (int k = 0; k < 4; k++) CHECK(per_class[k] > 60);
        if (negation) CHECK(decoys > 120);
        else CHECK(decoys == 0);
    }
    CHECK_THROWS_AS(synth_keyword_list(4), attn::Error);
}

// ---- images -------------------------------------------------------------------------------------
namespace {

double ink(const ImageSet& s, int i) {
    double t = 0;
    for (int k = 0; k < s.rows * s.cols; k++) t += s.image(i)[k];
    return t;
}
bool in_unit_range(const ImageSet& s) {
    return std::all_of(s.pixels.begin(), s.pixels.end(), [](float v) { return v >= 0.0f && v <= 1.0f; });
}

}  // namespace

TEST_CASE("synth_digits: deterministic, in [0,1], and a nearest-class-mean classifier tells classes apart") {
    ImageSet a = synth_digits(300, 1), b = synth_digits(300, 1), c = synth_digits(300, 2);
    REQUIRE(a.count == 300);
    REQUIRE(a.rows == 28);
    REQUIRE(a.cols == 28);
    CHECK(a.pixels == b.pixels);
    CHECK(a.labels == b.labels);
    CHECK(a.pixels != c.pixels);
    CHECK(in_unit_range(a));
    CHECK(a.class_names.size() == 10);
    std::vector<double> mean(10 * 784, 0.0);
    std::vector<int> n(10, 0);
    for (int i = 0; i < a.count; i++) {
        CHECK(ink(a, i) > 30);  // a stroke, not an empty image
        n[a.labels[i]]++;
        for (int k = 0; k < 784; k++) mean[a.labels[i] * 784 + k] += a.image(i)[k];
    }
    for (int d = 0; d < 10; d++) {
        REQUIRE(n[d] > 0);
        for (int k = 0; k < 784; k++) mean[d * 784 + k] /= n[d];
    }
    int correct = 0;
    for (int i = 0; i < c.count; i++) {
        int best = 0;
        double best_d = INFINITY;
        for (int d = 0; d < 10; d++) {
            double dist = 0;
            for (int k = 0; k < 784; k++) dist += (c.image(i)[k] - mean[d * 784 + k]) * (c.image(i)[k] - mean[d * 784 + k]);
            if (dist < best_d) best_d = dist, best = d;
        }
        correct += best == c.labels[i];
    }
    MESSAGE("nearest class mean: " << correct << " / " << c.count);
    CHECK(correct > c.count * 6 / 10);  // chance is 10%
}

TEST_CASE("make_translated / make_cluttered: the whole digit lands inside the canvas; clutter adds ink") {
    ImageSet src = synth_digits(40, 3);
    ImageSet t = make_translated(src, 60, 11), t2 = make_translated(src, 60, 11), t3 = make_translated(src, 60, 12);
    REQUIRE(t.rows == 60);
    REQUIRE(t.cols == 60);
    CHECK(t.name == "translated-60");
    CHECK(t.labels == src.labels);
    CHECK(t.pixels == t2.pixels);
    CHECK(t.pixels != t3.pixels);
    CHECK(in_unit_range(t));
    std::set<int> columns;  // where the digits went: spread over the canvas, not always the centre
    for (int i = 0; i < src.count; i++) {
        CHECK(ink(t, i) == doctest::Approx(ink(src, i)).epsilon(1e-5));  // all of it, none clipped
        int cmin = 60;
        for (int r = 0; r < 60; r++)
            for (int col = 0; col < 60; col++)
                if (t.image(i)[r * 60 + col] > 0) cmin = std::min(cmin, col);
        columns.insert(cmin / 10);
    }
    CHECK(columns.size() >= 4);
    ImageSet cl = make_cluttered(src, 60, 4, 8, 11);
    CHECK(cl.name == "cluttered-60");
    CHECK(in_unit_range(cl));
    double ink_t = 0, ink_c = 0;
    for (int i = 0; i < src.count; i++) {
        CHECK(ink(cl, i) >= ink(src, i) - 1e-3);  // max-combining never removes the digit
        ink_t += ink(t, i), ink_c += ink(cl, i);
    }
    CHECK(ink_c > ink_t * 1.1);
    CHECK_THROWS_AS(make_translated(src, 20, 1), attn::Error);
    CHECK_THROWS_AS(make_cluttered(src, 60, 4, 40, 1), attn::Error);
}

TEST_CASE("make_distorted: zero ranges are the identity (or a centred paste); presets stay in range") {
    ImageSet src = synth_digits(20, 4);
    DistortOptions id;  // no rotation, scale 1, no shift, 28×28
    ImageSet same = make_distorted(src, id, 1);
    CHECK(same.pixels == src.pixels);
    id.out_size = 42;  // centres 13.5 -> 20.5: a shift of exactly 7 pixels
    ImageSet big = make_distorted(src, id, 1);
    bool centred = true;
    for (int i = 0; i < src.count; i++)
        for (int r = 0; r < 28; r++)
            for (int col = 0; col < 28; col++) centred &= big.image(i)[(r + 7) * 42 + col + 7] == src.image(i)[r * 28 + col];
    CHECK(centred);
    ImageSet rts = make_distorted(src, distort_rts(), 5), rts2 = make_distorted(src, distort_rts(), 5),
             rts3 = make_distorted(src, distort_rts(), 6);
    CHECK(rts.rows == 42);
    CHECK(rts.pixels == rts2.pixels);
    CHECK(rts.pixels != rts3.pixels);
    CHECK(in_unit_range(rts));
    ImageSet rot = make_distorted(src, distort_rotation(), 5);
    CHECK(rot.rows == 28);
    CHECK(in_unit_range(rot));
    CHECK(rot.pixels != src.pixels);
    for (int i = 0; i < src.count; i++) {  // a rotation about the centre keeps the ink (bilinear smooths a little)
        CHECK(ink(rot, i) > 0.8 * ink(src, i));
        CHECK(ink(rot, i) < 1.1 * ink(src, i));
    }
    ImageSet seed = make_distorted(src, distort_seed_example(), 5);
    CHECK(seed.rows == 28);
    CHECK(in_unit_range(seed));
    DistortOptions bad;
    bad.scale_min = 0;
    CHECK_THROWS_AS(make_distorted(src, bad, 1), attn::Error);
}
