// Tests for BLEU: hand-computed cases, NLTK reference values (data_tools/make_bleu_fixtures.py),
// the file reader behind build/bin/bleu, and the program itself when it sits beside this binary.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "common/eval/bleu.hpp"
#include "common/core/error.hpp"

using namespace attn;
namespace fs = std::filesystem;

static Tokens T(const char* s) { return split_ws(s); }

// ---- hand-computed ---------------------------------------------------------------------------

TEST_CASE("bleu: hypotheses and references cannot be swapped") {
    static_assert(std::is_invocable_v<decltype(&corpus_bleu), const Hypotheses&, const References&>);
    static_assert(!std::is_invocable_v<decltype(&corpus_bleu), const References&, const Hypotheses&>);
    static_assert(!std::is_invocable_v<decltype(&sentence_bleu), const std::vector<Tokens>&, const Tokens&, Smoothing>);
}

TEST_CASE("bleu: split_ws splits on any ASCII whitespace and drops empty tokens") {
    CHECK(split_ws("  a\tb \r\n c\v\fd  ") == Tokens{"a", "b", "c", "d"});
    CHECK(split_ws("").empty());
    CHECK(split_ws(" \t ").empty());
    CHECK(split_ws("l'homme , très") == Tokens{"l'homme", ",", "très"});
}

TEST_CASE("bleu: a perfect match is 100 and prints like sacreBLEU") {
    Hypotheses h{{T("the cat sat on the mat")}};
    References r{{{T("the cat sat on the mat")}}};
    BleuScore s = corpus_bleu(h, r);
    CHECK(s.bleu == doctest::Approx(100.0).epsilon(1e-12));
    CHECK(s.str() == "BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)");
}

TEST_CASE("bleu: precisions, brevity penalty and score of a hand-worked sentence") {
    // hyp a b c d e (5), ref a b c d f g (6): matches 4/5, 3/4, 2/3, 1/2; BP = exp(1 - 6/5)
    BleuScore s = corpus_bleu(Hypotheses{{T("a b c d e")}}, References{{{T("a b c d f g")}}});
    CHECK(s.matches[0] == 4);
    CHECK(s.totals[0] == 5);
    CHECK(s.matches[3] == 1);
    CHECK(s.totals[3] == 2);
    CHECK(s.precisions[1] == doctest::Approx(75.0));
    CHECK(s.bp == doctest::Approx(std::exp(-0.2)).epsilon(1e-14));
    double expect = 100 * std::exp(-0.2) * std::pow(0.8 * 0.75 * (2.0 / 3) * 0.5, 0.25);
    CHECK(std::fabs(s.bleu - expect) < 1e-12);
    CHECK(s.ratio == doctest::Approx(5.0 / 6));
    CHECK(s.str() == "BLEU = 54.75 80.0/75.0/66.7/50.0 (BP = 0.819 ratio = 0.833 hyp_len = 5 ref_len = 6)");
}

TEST_CASE("bleu: counts are clipped by the most any one reference has") {
    // "the" appears 4 times in the hypothesis, at most twice in a reference.
    BleuScore one = corpus_bleu(Hypotheses{{T("the the the the")}}, References{{{T("the cat the mat")}}});
    CHECK(one.matches[0] == 2);
    CHECK(one.bleu == 0.0);  // no bigram "the the" in the reference
    BleuScore two = corpus_bleu(Hypotheses{{T("the the cat sat")}},
                                References{{{T("the cat sat down"), T("the the dog ran")}}});
    CHECK(two.matches[0] == 4);  // the x2 (from ref 2), cat, sat (from ref 1)
    CHECK(two.matches[1] == 3);  // "the the" (ref 2), "the cat", "cat sat" (ref 1)
    CHECK(two.matches[2] == 1);  // "the cat sat"; "the the cat" is in neither
    CHECK(two.matches[3] == 0);
}

TEST_CASE("bleu: corpus BLEU sums counts before dividing (not a mean of sentence scores)") {
    // perfect 4-token sentence + a 4-token sentence with no match: p_n = 4/8, 3/6, 2/4, 1/2 -> 50
    BleuScore s = corpus_bleu(Hypotheses{{T("a b c d"), T("w x y z")}},
                              References{{{T("a b c d")}, {T("p q r s")}}});
    CHECK(s.bleu == doctest::Approx(50.0).epsilon(1e-12));
    CHECK(s.hyp_len == 8);
}

TEST_CASE("bleu: any zero precision makes corpus BLEU 0, including orders the corpus is too short for") {
    // p1..p3 > 0 but no matching 4-gram
    CHECK(corpus_bleu(Hypotheses{{T("a b c x y")}}, References{{{T("a b c d e")}}}).bleu == 0.0);
    // two-token sentences have no 3-grams at all: p3 = 0/0 counts as 0 (multi-bleu.perl, sacreBLEU)
    BleuScore s = corpus_bleu(Hypotheses{{T("a b")}}, References{{{T("a b")}}});
    CHECK(s.totals[2] == 0);
    CHECK(s.bleu == 0.0);
    // an empty hypothesis: BP = 0, no crash
    BleuScore e = corpus_bleu(Hypotheses{{Tokens{}}}, References{{{T("a b c d")}}});
    CHECK(e.bp == 0.0);
    CHECK(e.bleu == 0.0);
    CHECK(e.ref_len == 4);
}

TEST_CASE("bleu: the closest reference length counts, a tie going to the shorter") {
    // hyp 5 tokens; refs of 4 and 6 are equally close -> 4, so no brevity penalty
    BleuScore tie = corpus_bleu(Hypotheses{{T("a b c d e")}}, References{{{T("a b c d e f"), T("a b c d")}}});
    CHECK(tie.ref_len == 4);
    CHECK(tie.bp == 1.0);
    CHECK(tie.ratio == doctest::Approx(1.25));
    // refs of 3 and 6: 6 is closer (|5-6| < |5-3|), though longer
    BleuScore closer = corpus_bleu(Hypotheses{{T("a b c d e")}}, References{{{T("a b c"), T("a b c d e f")}}});
    CHECK(closer.ref_len == 6);
    CHECK(closer.bp == doctest::Approx(std::exp(1 - 6.0 / 5)));
}

TEST_CASE("bleu: sentence smoothing methods 0-3 on a hand-worked sentence") {
    // hyp a b c d vs ref a b c e: p = 3/4, 2/3, 1/2, 0/1
    Tokens h = T("a b c d");
    std::vector<Tokens> r{T("a b c e")};
    auto expect = [](double p4, double p2 = 2.0 / 3, double p3 = 0.5) {
        return 100 * std::pow(0.75 * p2 * p3 * p4, 0.25);
    };
    CHECK(sentence_bleu(h, r, Smoothing::none).bleu == 0.0);
    CHECK(std::fabs(sentence_bleu(h, r, Smoothing::epsilon).bleu - expect(0.1)) < 1e-12);
    CHECK(std::fabs(sentence_bleu(h, r, Smoothing::geometric).bleu - expect(0.5)) < 1e-12);
    CHECK(std::fabs(sentence_bleu(h, r, Smoothing::add_one).bleu - expect(1.0 / 2, 3.0 / 4, 2.0 / 3)) < 1e-12);
    // two zero orders: the geometric sequence halves again (1/2, then 1/4)
    BleuScore g = sentence_bleu(T("a b x y"), {T("a b c d")}, Smoothing::geometric);
    CHECK(g.precisions[2] == doctest::Approx(100.0 / (2 * 2)));
    CHECK(g.precisions[3] == doctest::Approx(100.0 / (4 * 1)));
    // no unigram match: 0 whatever the smoothing (as NLTK)
    CHECK(sentence_bleu(T("w x y z"), {T("a b c d")}, Smoothing::epsilon).bleu == 0.0);
}

TEST_CASE("bleu: sentences shorter than 4 tokens use only the orders they have") {
    CHECK(sentence_bleu(T("yes ."), {T("yes .")}).bleu == doctest::Approx(100.0));
    // a b c vs a b d: p = 2/3, 1/2, 0/1 -> geometric 1/2; mean over 3 orders
    BleuScore s = sentence_bleu(T("a b c"), {T("a b d")});
    CHECK(std::fabs(s.bleu - 100 * std::cbrt((2.0 / 3) * 0.5 * 0.5)) < 1e-12);
    CHECK(s.precisions[3] == 0.0);
    // one token, wrong length: brevity penalty exp(1 - 3/1)
    CHECK(sentence_bleu(T("a"), {T("a b c")}).bleu == doctest::Approx(100 * std::exp(-2.0)));
}

TEST_CASE("bleu: bad input is an error, not a crash") {
    CHECK_THROWS_AS(corpus_bleu(Hypotheses{{T("a b c d")}}, References{}), Error);
    CHECK_THROWS_AS(corpus_bleu(Hypotheses{{T("a b c d")}}, References{{{}}}), Error);  // no references
    CHECK_THROWS_AS(sentence_bleu(T("a b"), {}), Error);
}

// ---- NLTK reference values -------------------------------------------------------------------

TEST_CASE("bleu: corpus and sentence BLEU equal NLTK's on the fixture corpus") {
    const std::string dir = ATTN_FIXTURES;
    std::ifstream in(dir + "/bleu_expected.txt");
    REQUIRE_MESSAGE(in.good(), "missing " << dir << "/bleu_expected.txt (make it with data_tools/make_bleu_fixtures.py)");
    BleuFiles two = read_bleu_files(dir + "/bleu_hyp.txt", {dir + "/bleu_ref0.txt", dir + "/bleu_ref1.txt"});
    BleuFiles one = read_bleu_files(dir + "/bleu_hyp.txt", {dir + "/bleu_ref0.txt"});
    Hypotheses short_hyp = one.hyp;
    for (auto& h : short_hyp.sents) h.resize(std::min<size_t>(h.size(), 4));
    REQUIRE(two.hyp.sents.size() == 16);
    REQUIRE(two.ref.sents[0].size() == 2);

    std::string line;
    int corpus_checked = 0, sentence_checked = 0, nonzero_smoothed = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ss(line);
        std::string kind;
        ss >> kind;
        if (kind == "corpus") {
            std::string name;
            double bleu, bp;
            long hyp_len, ref_len;
            ss >> name >> bleu >> bp >> hyp_len >> ref_len;
            BleuScore s = name == "two_refs" ? corpus_bleu(two.hyp, two.ref)
                        : name == "ref0"     ? corpus_bleu(one.hyp, one.ref)
                                             : corpus_bleu(short_hyp, one.ref);
            INFO("corpus " << name << ": " << s.str());
            CHECK(std::fabs(s.bleu - bleu) < 1e-9);
            CHECK(std::fabs(s.bp - bp) < 1e-12);
            CHECK(s.hyp_len == hyp_len);
            CHECK(s.ref_len == ref_len);
            corpus_checked++;
        } else if (kind == "sentence") {
            int i, method;
            double bleu;
            ss >> i >> method >> bleu;
            REQUIRE(i >= 1);
            REQUIRE(i <= 16);
            BleuScore s = sentence_bleu(two.hyp.sents[i - 1], two.ref.sents[i - 1], (Smoothing)method);
            INFO("sentence " << i << " method" << method << ": " << s.str());
            CHECK(std::fabs(s.bleu - bleu) < 1e-9);
            sentence_checked++;
            if (method > 0 && s.bleu > 0 && sentence_bleu(two.hyp.sents[i - 1], two.ref.sents[i - 1], Smoothing::none).bleu == 0)
                nonzero_smoothed++;
        }
    }
    CHECK(corpus_checked == 3);
    CHECK(sentence_checked == 16 * 4);
    CHECK(nonzero_smoothed > 0);  // the fixture does exercise the smoothing
}

// ---- files and the bleu program --------------------------------------------------------------

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("attn_test_bleu_" + std::to_string(getpid()));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream((path / name).string(), std::ios::binary) << text;
        return (path / name).string();
    }
};

std::string error_of(const std::string& hyp, const std::vector<std::string>& refs) {
    try {
        bleu_from_files(hyp, refs);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("bleu files: CRLF, a missing final newline and several references") {
    TempDir t;
    std::string hyp = t.write("hyp.txt", "a b c d e\r\nthe cat sat on the mat");
    std::string r1 = t.write("r1.txt", "a b c d f g\nthe cat sat on a mat\n");
    std::string r2 = t.write("r2.txt", "x y\nthe cat sat on the mat\n");
    BleuScore s = bleu_from_files(hyp, {r1, r2});
    BleuScore expect = corpus_bleu(Hypotheses{{T("a b c d e"), T("the cat sat on the mat")}},
                                   References{{{T("a b c d f g"), T("x y")}, {T("the cat sat on a mat"), T("the cat sat on the mat")}}});
    CHECK(s.str() == expect.str());
    CHECK(s.hyp_len == 11);
    CHECK(s.ref_len == 12);
    CHECK(s.bleu > 0);
}

TEST_CASE("bleu files: a line-count mismatch or an unreadable file names the files") {
    TempDir t;
    std::string hyp = t.write("hyp.txt", "a b c d\ne f g h\ni j k l\n");
    std::string ok = t.write("ok.txt", "a b c d\ne f g h\ni j k l\n");
    std::string short_ref = t.write("short.txt", "a b c d\ne f g h\n");
    std::string err = error_of(hyp, {ok, short_ref});
    CHECK(err.find("short.txt") != std::string::npos);
    CHECK(err.find("hyp.txt") != std::string::npos);
    CHECK(err.find("expected 3 lines") != std::string::npos);
    CHECK(err.find("found 2") != std::string::npos);
    err = error_of(hyp, {(t.path / "missing.txt").string()});
    CHECK(err.find("missing.txt: cannot open") != std::string::npos);
    err = error_of(t.write("empty.txt", ""), {ok});
    CHECK(err.find("empty.txt") != std::string::npos);
    CHECK(error_of(hyp, {}).find("reference") != std::string::npos);
    CHECK(error_of(hyp, {ok}).empty());
}

// The program: run build/bin/bleu (beside this test binary) when it is there.
TEST_CASE("bleu program: prints the sacreBLEU line; bad input exits 2") {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec).parent_path() / "bleu";
    if (ec || !fs::exists(exe)) {
        MESSAGE("skipped: no bleu program beside the test binary");
        return;
    }
    TempDir t;
    std::string hyp = t.write("hyp.txt", "a b c d e\n");
    std::string ref = t.write("ref.txt", "a b c d f g\n");
    std::string bad = t.write("bad.txt", "a b c d f g\nextra line\n");
    std::string out = (t.path / "out.txt").string();
    auto run = [&](const std::string& args) {
        int rc = std::system((exe.string() + " " + args + " >" + out + " 2>&1").c_str());
        return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    };
    auto output = [&] {
        std::ifstream f(out);
        return std::string(std::istreambuf_iterator<char>(f), {});
    };
    CHECK(run("--hyp " + hyp + " --ref " + ref) == 0);
    CHECK(output() == "BLEU = 54.75 80.0/75.0/66.7/50.0 (BP = 0.819 ratio = 0.833 hyp_len = 5 ref_len = 6)\n");
    CHECK(run("--hyp " + hyp + " --ref " + ref + " --ref " + ref) == 0);  // repeated --ref
    CHECK(run("--hyp " + hyp + " --ref " + bad) == 2);
    CHECK(output().find("bad.txt: expected 1 line (as many as ") != std::string::npos);
    CHECK(run("--hyp " + hyp) == 2);
    CHECK(run("--hyp " + hyp + " --ref " + ref + " --refs x") == 2);
    CHECK(output().find("did you mean --ref") != std::string::npos);
    CHECK(run("--help") == 0);
    CHECK(output().find("--ref STR") != std::string::npos);
}
