// fuzz_csv.cpp — the CSV parser (RFC 4180 quoting) under every loader of a CSV file; the first byte
// says whether the file has a header.
#include "common/data/csv.hpp"
#include "tests/fuzz/fuzz_util.hpp"

std::vector<std::string> fuzz_seeds() {
    return {std::string("\x01") + "a,b,c\n1,\"two, with comma\",3\n\"say \"\"hi\"\"\",,x\r\n",
            std::string("\x00", 1) + "\"3\",\"Title\",\"multi\nline\"\n\"1\",\"x\",\"y\"\n"};
}

void fuzz_one(const std::string& bytes) {
    if (bytes.empty()) return;
    attn::CsvTable t = attn::parse_csv(bytes.substr(1), "fuzz.csv", bytes[0] & 1);
    if (!t.header.empty()) attn::column(t, "b", "fuzz.csv");
}
