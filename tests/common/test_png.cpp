#include <doctest/doctest.h>

#include <cstdio>

#include "common/core/error.hpp"
#include "common/figures/png.hpp"

TEST_CASE("png: write then read back gives the same pixels; garbage is an error naming the file") {
    std::vector<uint8_t> px(5 * 3 * 3);
    for (size_t i = 0; i < px.size(); i++) px[i] = (uint8_t)(i * 7);
    std::string path = "test_png_roundtrip.png";
    attn::write_png(path, 5, 3, 3, px.data());
    attn::Image8 img = attn::read_png(path);
    CHECK(img.width == 5);
    CHECK(img.height == 3);
    CHECK(img.channels == 3);
    CHECK(img.pixels == px);
    FILE* f = std::fopen(path.c_str(), "wb");
    std::fputs("not a png", f);
    std::fclose(f);
    CHECK_THROWS_WITH_AS(attn::read_png(path), doctest::Contains("test_png_roundtrip.png"), attn::Error);
    std::remove(path.c_str());
    CHECK_THROWS_AS(attn::write_png("/nonexistent_dir/x.png", 1, 1, 1, px.data()), attn::Error);
}
