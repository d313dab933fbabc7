// temp_files.hpp — files for bad-input tests, in one temp directory per test suite.
#pragma once
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace attn::testing {

// The path of `name` inside $TMPDIR/attn_test_<suite>/ (the directory is created).
inline std::string temp_path(const std::string& suite, const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("attn_test_" + suite);
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

// Write `bytes` exactly (binary) to `path`.
inline void write_bytes(const std::string& path, const std::string& bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE_MESSAGE(f, "cannot write " << path);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
}

// Write a temp file for `suite` and return its path.
inline std::string write_temp_file(const std::string& suite, const std::string& name, const std::string& bytes) {
    std::string path = temp_path(suite, name);
    write_bytes(path, bytes);
    return path;
}

}  // namespace attn::testing
