// fuzz_tweets.cpp — the Twitter US Airline Sentiment CSV (a header; airline_sentiment and text columns).
#include "common/data/text_datasets.hpp"
#include "tests/fuzz/fuzz_util.hpp"

std::vector<std::string> fuzz_seeds() {
    return {"tweet_id,airline_sentiment,airline,text\n"
            "570306133677760513,neutral,Virgin America,@VirginAmerica What @dhepburn said.\n"
            "570301130888122368,positive,Virgin America,\"@VirginAmerica plus you've added commercials, :)\"\n"
            "570301083672813571,negative,United,\"@united \"\"why\"\" http://t.co/x 😡\"\n"};
}

void fuzz_one(const std::string& bytes) { attn::load_airline_tweets(fuzz::scratch_file(bytes)); }
