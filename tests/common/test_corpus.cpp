// Parallel corpus: the normalisation rule, the tab-separated format, options, bad lines.
#include <doctest/doctest.h>

#include "tests/temp_files.hpp"

#include <cstdio>
#include <filesystem>
#include <string>

#include "common/data/corpus.hpp"
#include "common/core/error.hpp"
#include "common/data/utf8.hpp"

namespace {

std::string write_tmp(const std::string& name, const std::string& bytes) {
    return attn::testing::write_temp_file("corpus", name, bytes);
}

}  // namespace

TEST_CASE("utf8: lowercase of French capitals, validation") {
    CHECK(attn::lower_codepoint('A') == 'a');
    CHECK(attn::lower_codepoint(0xC9) == 0xE9);    // É -> é
    CHECK(attn::lower_codepoint(0xC7) == 0xE7);    // Ç -> ç
    CHECK(attn::lower_codepoint(0xD7) == 0xD7);    // × stays
    CHECK(attn::lower_codepoint(0x152) == 0x153);  // Œ -> œ
    CHECK(attn::lower_codepoint(0x153) == 0x153);
    CHECK(attn::lower_codepoint(0x178) == 0xFF);   // Ÿ -> ÿ
    CHECK(attn::lower_codepoint(0x141) == 0x142);  // Ł -> ł (odd range)
    CHECK(attn::lower_codepoint(0x3A3) == 0x3A3);  // Greek untouched
    std::string ok = "caf\xC3\xA9 \xE2\x80\xAF \xF0\x9F\x98\x80";
    CHECK(attn::utf8_first_invalid(ok.data(), ok.size()) == ok.size());
    std::string overlong = "ab\xC0\x80";
    CHECK(attn::utf8_first_invalid(overlong.data(), overlong.size()) == 2);
    std::string cut = "abc\xE2\x80";
    CHECK(attn::utf8_first_invalid(cut.data(), cut.size()) == 3);
    std::string surrogate = "\xED\xA0\x80";
    CHECK(attn::utf8_first_invalid(surrogate.data(), surrogate.size()) == 0);
}

TEST_CASE("normalize_sentence: the documented rule") {
    using attn::normalize_sentence;
    CHECK(normalize_sentence("Go.") == "go .");
    CHECK(normalize_sentence("Va\xE2\x80\xAF!") == "va !");                           // U+202F
    CHECK(normalize_sentence("Qu\xE2\x80\x99""est-ce que c\xE2\x80\x99""est\xC2\xA0?") ==  // ’ and U+00A0
          "qu\xE2\x80\x99""est-ce que c\xE2\x80\x99""est ?");
    CHECK(normalize_sentence("Don't   do it,  Tom!") == "don't do it , tom !");
    CHECK(normalize_sentence("\xC3\x89""COLE \xC3\x80 \xC3\x87""A, \xC5\x92UVRE") == "\xC3\xA9""cole \xC3\xA0 \xC3\xA7""a , \xC5\x93uvre");
    CHECK(normalize_sentence("\xC2\xAB""Bonjour\xC2\xBB, dit-il.") == "\xC2\xAB bonjour \xC2\xBB , dit-il .");
    CHECK(normalize_sentence("It costs 3.5 dollars, or 1,000 yen.") == "it costs 3.5 dollars , or 1,000 yen .");
    CHECK(normalize_sentence("Wait...\"why?\"") == "wait . . . \" why ? \"");
    CHECK(normalize_sentence("  \t ") == "");
    CHECK(normalize_sentence("I'm 20% sure (maybe).") == "i'm 20% sure ( maybe ) .");
    // idempotent: normalising twice changes nothing
    std::string once = normalize_sentence("Qu'est-ce que c'est\xE2\x80\xAF? \xC2\xAB Oui \xC2\xBB !");
    CHECK(normalize_sentence(once) == once);
    CHECK(attn::split_tokens(once).size() == (size_t)attn::count_tokens(once));
    CHECK(attn::split_tokens(" a  b ") == std::vector<std::string>{"a", "b"});
}

TEST_CASE("load_pairs: 2 or 3 fields, CRLF, options") {
    std::string p = write_tmp("pairs.txt",
                              "Go.\tVa !\n"
                              "I am cold.\tJ'ai froid.\tCC-BY 2.0 (France) Attribution: tatoeba.org #1\r\n"
                              "He's tall.\tIl est grand.\n"
                              "I'm sure that it will rain tomorrow morning.\tJe suis s\xC3\xBBr qu'il pleuvra demain matin.\n");
    attn::PairSet all = attn::load_pairs(p);
    REQUIRE(all.pairs.size() == 4);
    CHECK(all.pairs[0].src == "go .");
    CHECK(all.pairs[0].tgt == "va !");
    CHECK(all.pairs[1].tgt == "j'ai froid .");  // the attribution column is dropped, CR too
    CHECK(all.source == p);

    attn::PairOptions o;
    o.direction = "fr-en";
    attn::PairSet rev = attn::load_pairs(p, o);
    CHECK(rev.pairs[0].src == "va !");
    CHECK(rev.pairs[0].tgt == "go .");

    attn::PairOptions pre;
    pre.eng_prefixes = true;
    attn::PairSet e = attn::load_pairs(p, pre);
    REQUIRE(e.pairs.size() == 3);
    CHECK(e.pairs[0].src == "i am cold .");
    CHECK(e.pairs[1].src == "he's tall .");

    attn::PairOptions ml;
    ml.max_len = 4;
    CHECK(attn::load_pairs(p, ml).pairs.size() == 3);
    ml.max_len = 3;  // "i am cold ." has 4 tokens
    CHECK(attn::load_pairs(p, ml).pairs.size() == 1);

    attn::PairOptions mp;
    mp.max_pairs = 2;
    CHECK(attn::load_pairs(p, mp).pairs.size() == 2);

    attn::PairOptions bad;
    bad.direction = "de-en";
    CHECK_THROWS_WITH_AS(attn::load_pairs(p, bad), doctest::Contains("expected en-fr or fr-en"), attn::Error);
}

TEST_CASE("load_pairs: bad lines are errors naming file:line") {
    CHECK_THROWS_WITH_AS(attn::load_pairs(write_tmp("one.txt", "Go.\tVa !\nHi. Salut !\n")),
                         doctest::Contains("one.txt:2: expected 2 or 3 tab-separated fields (English, French[, attribution]), found 1 (HINT: is this the ManyThings"),
                         attn::Error);
    CHECK_THROWS_WITH_AS(attn::load_pairs(write_tmp("four.txt", "a\tb\tc\td\n")),
                         doctest::Contains("four.txt:1: expected 2 or 3 tab-separated fields"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::load_pairs(write_tmp("blankline.txt", "a\tb\n\nc\td\n")),
                         doctest::Contains("blankline.txt:2: expected 2 or 3 tab-separated fields (English, French[, attribution]), found 1 (HINT: an empty line"),
                         attn::Error);
    CHECK_THROWS_WITH_AS(attn::load_pairs(write_tmp("utf8.txt", "Go.\tVa !\nCaf\xE9.\tCaf\xE9.\n")),
                         doctest::Contains("utf8.txt:2:byte 12: expected valid UTF-8, found byte 0xE9"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::load_pairs(write_tmp("empty.txt", "")), doctest::Contains("empty.txt: expected tab-separated sentence pairs, found an empty file"),
                         attn::Error);
    CHECK_THROWS_WITH_AS(attn::load_pairs(write_tmp("side.txt", "Go.\tVa !\nHi.\t \n")),
                         doctest::Contains("side.txt:2: expected a non-empty French sentence"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::load_pairs("/nonexistent/fra.txt"), doctest::Contains("/nonexistent/fra.txt: cannot open"), attn::Error);
}
