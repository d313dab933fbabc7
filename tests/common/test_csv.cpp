// RFC 4180 CSV and the two text datasets on top of it (AG News both layouts, airline tweets).
#include <doctest/doctest.h>

#include "tests/temp_files.hpp"

#include <cstdio>
#include <filesystem>
#include <string>

#include "common/data/corpus.hpp"
#include "common/data/csv.hpp"
#include "common/core/error.hpp"
#include "common/core/rng.hpp"
#include "common/data/text_datasets.hpp"

namespace {

std::string write_tmp(const std::string& name, const std::string& bytes) {
    return attn::testing::write_temp_file("csv", name, bytes);
}

}  // namespace

TEST_CASE("csv: quotes, doubled quotes, newlines in quotes, CRLF, header, line numbers") {
    std::string p = write_tmp("good.csv",
                              "\xEF\xBB\xBFid,text,n\r\n"
                              "1,plain,3\r\n"
                              "2,\"with, comma\",4\r\n"
                              "3,\"say \"\"hi\"\"\",5\n"
                              "4,\"two\nlines\",6\n"
                              "5,,\n"
                              "6,caf\xC3\xA9 \xF0\x9F\x98\x80,7");  // no final newline
    attn::CsvTable t = attn::read_csv(p, true);
    CHECK(t.header == std::vector<std::string>{"id", "text", "n"});
    REQUIRE(t.rows.size() == 6);
    CHECK(t.rows[0][1] == "plain");
    CHECK(t.rows[1][1] == "with, comma");
    CHECK(t.rows[2][1] == "say \"hi\"");
    CHECK(t.rows[3][1] == "two\nlines");
    CHECK(t.rows[4] == std::vector<std::string>{"5", "", ""});
    CHECK(t.rows[5][1] == "caf\xC3\xA9 \xF0\x9F\x98\x80");
    CHECK(t.line_of_row == std::vector<long>{2, 3, 4, 5, 7, 8});
    CHECK(attn::column(t, "n", p) == 2);
    CHECK_THROWS_WITH_AS(attn::column(t, "label", p),
                         doctest::Contains("good.csv:1: expected a column named 'label', the header has: id, text, n"),
                         attn::Error);

    attn::CsvTable nh = attn::parse_csv("a,b\nc,d\n", "mem", false);
    CHECK(nh.header.empty());
    CHECK(nh.rows.size() == 2);
    CHECK(nh.line_of_row == std::vector<long>{1, 2});
}

TEST_CASE("csv: malformed files are errors naming file:line") {
    CHECK_THROWS_WITH_AS(attn::read_csv(write_tmp("quote.csv", "a,b\n1,2\n3,\"never\nclosed,4\n5,6\n"), true),
                         doctest::Contains("quote.csv:3: unterminated quoted field"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::read_csv(write_tmp("count.csv", "a,b\n1,2\n\"x\ny\",2\n3,4,5\n"), true),
                         doctest::Contains("count.csv:5: expected 2 fields (as in the header), found 3"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::read_csv(write_tmp("blank.csv", "a,b\n1,2\n\n3,4\n"), true),
                         doctest::Contains("blank.csv:3: expected 2 fields (as in the header), found 1"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::read_csv(write_tmp("utf8.csv", "a,b\n1,2\n3,caf\xE9\n"), true),
                         doctest::Contains("utf8.csv:3:byte 13: expected valid UTF-8, found byte 0xE9"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::read_csv(write_tmp("empty.csv", ""), true), doctest::Contains("empty.csv: expected CSV data, found an empty file"),
                         attn::Error);
    CHECK_THROWS_WITH_AS(attn::read_csv(write_tmp("after.csv", "a,b\n\"x\"y,2\n"), true),
                         doctest::Contains("after.csv:2: expected , or end of line after a closing quote, found 'y'"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::read_csv(write_tmp("missing-not-here.csv", "").append(".nope"), true),
                         doctest::Contains("missing-not-here.csv.nope: cannot open"), attn::Error);
}

TEST_CASE("ag news: Made With ML layout, official layout, escapes, bad rows") {
    std::string mwm = write_tmp("mwm.csv",
                                "y,X\n"
                                "Business,Saudi phone sector gets \\$1bn lift\n"
                                "Sci/Tech,\"Junk faxes to be legalized as  quot;opt-out? quot;\"\n"
                                "Sports,Yao #39;s 39 carries China past New Zealand\n"
                                "World,&lt;em&gt;Hello&lt;/em&gt; world\n");
    attn::TextSet a = attn::load_ag_news_csv(mwm);
    REQUIRE(a.items.size() == 4);
    CHECK(a.class_names == std::vector<std::string>{"World", "Sports", "Business", "Sci/Tech"});
    CHECK(a.items[0].label == 2);
    CHECK(a.items[0].text == "Saudi phone sector gets $1bn lift");
    CHECK(a.items[1].label == 3);
    CHECK(a.items[1].text == "Junk faxes to be legalized as \"opt-out?\"");
    CHECK(a.items[2].label == 1);
    CHECK(a.items[2].text == "Yao's 39 carries China past New Zealand");
    CHECK(a.items[3].label == 0);
    CHECK(a.items[3].text == "<em>Hello</em> world");

    std::string off = write_tmp("train.csv",
                                "\"3\",\"Wall St. Bears Claw Back\",\"Short-sellers, Wall Street's dwindling\\band of \"\"ultra\"\"\"\n"
                                "\"1\",\"Title two\",\"Line one.\\Line two costs \\$5.\"\n");
    attn::TextSet o = attn::load_ag_news_csv(off);
    REQUIRE(o.items.size() == 2);
    CHECK(o.items[0].label == 2);
    CHECK(o.items[0].text == "Wall St. Bears Claw Back");
    CHECK(o.items[1].label == 0);
    attn::TextSet od = attn::load_ag_news_csv(off, true);
    CHECK(od.items[0].text == "Wall St. Bears Claw Back Short-sellers, Wall Street's dwindling band of \"ultra\"");
    CHECK(od.items[1].text == "Title two Line one. Line two costs $5.");

    CHECK_THROWS_WITH_AS(attn::load_ag_news_csv(write_tmp("badclass.csv", "y,X\nWorld,a\nPolitics,b\n")),
                         doctest::Contains("badclass.csv:3: expected a class World, Sports, Business or Sci/Tech, found 'Politics'"),
                         attn::Error);
    CHECK_THROWS_WITH_AS(attn::load_ag_news_csv(write_tmp("badnum.csv", "\"1\",\"a\",\"b\"\n\"5\",\"c\",\"d\"\n")),
                         doctest::Contains("badnum.csv:2: expected a class 1..4"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::load_ag_news_csv(write_tmp("layout.csv", "a,b,c,d\n1,2,3,4\n")),
                         doctest::Contains("layout.csv:1: expected an AG News CSV"), attn::Error);
}

TEST_CASE("airline tweets: columns by name, quoted newlines and emoji, bad labels") {
    std::string p = write_tmp("Tweets.csv",
                              "tweet_id,airline_sentiment,airline,text\n"
                              "570306133677760513,neutral,Virgin America,@VirginAmerica What @dhepburn said.\n"
                              "570301130888122368,negative,United,\"@united two\nlines \xF0\x9F\x98\xA1, \"\"quoted\"\"\"\n"
                              "570301130888122369,positive,Delta,@Delta thanks\n");
    attn::TextSet t = attn::load_airline_tweets(p);
    REQUIRE(t.items.size() == 3);
    CHECK(t.class_names == std::vector<std::string>{"negative", "neutral", "positive"});
    CHECK(t.items[0].label == 1);
    CHECK(t.items[1].label == 0);
    CHECK(t.items[1].text == "@united two\nlines \xF0\x9F\x98\xA1, \"quoted\"");
    CHECK(t.items[2].label == 2);
    CHECK_THROWS_WITH_AS(attn::load_airline_tweets(write_tmp("t2.csv", "airline_sentiment,text\nnegative,a\n\"\nmixed\",b\n")),
                         doctest::Contains("t2.csv:3: expected airline_sentiment negative, neutral or positive"), attn::Error);
    CHECK_THROWS_WITH_AS(attn::load_airline_tweets(write_tmp("t3.csv", "sentiment,text\nnegative,a\n")),
                         doctest::Contains("t3.csv:1: expected a column named 'airline_sentiment', the header has: sentiment, text"),
                         attn::Error);
}

TEST_CASE("csv and pairs: random byte damage gives a table or an attn::Error, never a crash") {
    // Mutate valid files byte by byte (seeded); every outcome must be a result or attn::Error.
    const std::string csv = "y,X\nBusiness,\"a, \"\"b\"\"\"\nSports,\"two\nlines\"\r\nWorld,caf\xC3\xA9\n";
    const std::string tsv = "Go.\tVa !\nI am cold.\tJ'ai froid.\tCC-BY\n\xC3\x89t\xC3\xA9.\tSummer.\n";
    const char alphabet[] = {',', '"', '\n', '\r', '\t', 'a', '\\', '\xC3', '\xA9', '\xFF', '\0'};
    attn::Rng rng(5);
    int errors = 0, parsed = 0;
    for (int trial = 0; trial < 300; trial++) {
        std::string c = csv, t = tsv;
        for (int k = 0; k < 3; k++) {
            c[rng.below(c.size())] = alphabet[rng.below(sizeof alphabet)];
            t[rng.below(t.size())] = alphabet[rng.below(sizeof alphabet)];
        }
        if (trial % 7 == 0) c.resize(rng.below(c.size())), t.resize(rng.below(t.size()));
        try {
            attn::load_ag_news_csv(write_tmp("fuzz.csv", c));
            parsed++;
        } catch (const attn::Error&) {
            errors++;
        }
        try {
            attn::load_pairs(write_tmp("fuzz.txt", t));
            parsed++;
        } catch (const attn::Error&) {
            errors++;
        }
    }
    CHECK(errors > 50);  // the damage was real
    CHECK(parsed > 50);  // and harmless damage still parses
}
