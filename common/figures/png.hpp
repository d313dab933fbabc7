// png.hpp — write and read PNG files (through Debian's stb_image_write / stb_image).
//
// pixels are row-major, `channels` bytes per pixel (1 grey, 3 RGB, 4 RGBA), top row first.
// Every figure of the course goes through write_png; tests decode files back with read_png.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace attn {

void write_png(const std::string& path, int width, int height, int channels, const uint8_t* pixels);

struct Image8 {
    int width = 0, height = 0, channels = 0;
    std::vector<uint8_t> pixels;  // height · width · channels
};
Image8 read_png(const std::string& path);  // throws attn::Error naming the file when it is not a PNG

}  // namespace attn
