// fuzz_util.hpp — what every libFuzzer target of tests/fuzz/ shares (`make fuzz`, data_tools/fuzz.sh).
//
// A target defines two functions and includes this header once:
//
//   std::vector<std::string> fuzz_seeds();        // valid inputs to start from (the seed corpus)
//   void fuzz_one(const std::string& bytes);      // feed one input to the loader under test
//
// The loaders read files, so fuzz_one writes the bytes to a scratch file (scratch_file) and calls the
// loader on its path, exactly as a program would. A clean refusal is an attn::Error: that is the
// expected answer to a bad file and is caught here. Anything else — a crash, an AddressSanitizer or
// UBSan report, another exception, a hang, a huge allocation — is a finding: libFuzzer stops and
// writes the input that caused it.
//
// With ATTN_FUZZ_SEEDS=DIR in the environment, the target writes its seeds into DIR and exits
// (data_tools/fuzz.sh does this before fuzzing).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/core/error.hpp"

std::vector<std::string> fuzz_seeds();
void fuzz_one(const std::string& bytes);

namespace fuzz {

// The path of scratch file k of this process ($TMPDIR or /tmp), written with `bytes` exactly.
inline std::string scratch_file(const std::string& bytes, int k = 0) {
    const char* tmp = std::getenv("TMPDIR");
    std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/attn_fuzz_" + std::to_string(getpid()) + "_" +
                       std::to_string(k);
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();  // the machine, not the loader: stop loudly
    if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    return path;
}

// Split an input into `n` parts at the separator byte 0xFF 0x00 0xFF (missing parts are empty), so one
// input can hold two files (an image file and its label file, a hypothesis and its references).
inline std::vector<std::string> split_parts(const std::string& bytes, int n) {
    static const std::string sep("\xff\x00\xff", 3);
    std::vector<std::string> parts;
    size_t at = 0;
    for (int i = 0; i < n - 1; i++) {
        size_t next = bytes.find(sep, at);
        if (next == std::string::npos) break;
        parts.push_back(bytes.substr(at, next - at));
        at = next + sep.size();
    }
    parts.push_back(at <= bytes.size() ? bytes.substr(at) : "");
    while ((int)parts.size() < n) parts.push_back("");
    return parts;
}
inline std::string join_parts(const std::vector<std::string>& parts) {
    std::string out;
    for (size_t i = 0; i < parts.size(); i++) out += (i ? std::string("\xff\x00\xff", 3) : "") + parts[i];
    return out;
}

inline std::string read_file_or_empty(const std::string& path) {
    std::string out;
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
        char buf[4096];
        size_t k;
        while ((k = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, k);
        std::fclose(f);
    }
    return out;
}

}  // namespace fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (const char* dir = std::getenv("ATTN_FUZZ_SEEDS")) {
        std::vector<std::string> seeds = fuzz_seeds();
        for (size_t i = 0; i < seeds.size(); i++) {
            std::string path = std::string(dir) + "/seed_" + std::to_string(i);
            FILE* f = std::fopen(path.c_str(), "wb");
            if (!f) std::abort();
            std::fwrite(seeds[i].data(), 1, seeds[i].size(), f);
            std::fclose(f);
        }
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        fuzz_one(std::string(reinterpret_cast<const char*>(data), size));
    } catch (const attn::Error&) {
        // a clean refusal naming the file: what a bad input should get
    }
    return 0;
}
