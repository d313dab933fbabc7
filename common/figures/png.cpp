#include "common/figures/png.hpp"

#include <cstring>

#include "common/core/error.hpp"

// The implementations are compiled here, once, from Debian's headers (libstb-dev).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb_image_write.h>
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#include <stb_image.h>
#pragma GCC diagnostic pop

namespace attn {

void write_png(const std::string& path, int width, int height, int channels, const uint8_t* pixels) {
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4)
        fail(path, "a positive image size and 1–4 channels, got " + std::to_string(width) + "x" +
                       std::to_string(height) + "x" + std::to_string(channels));
    if (!stbi_write_png(path.c_str(), width, height, channels, pixels, width * channels))
        fail(path, "a writable file for the PNG", "does the output directory exist?");
}

Image8 read_png(const std::string& path) {
    Image8 img;
    unsigned char* p = stbi_load(path.c_str(), &img.width, &img.height, &img.channels, 0);
    if (!p) fail(path, std::string("a readable PNG file (") + stbi_failure_reason() + ")");
    img.pixels.assign(p, p + (size_t)img.width * img.height * img.channels);
    stbi_image_free(p);
    return img;
}

}  // namespace attn
