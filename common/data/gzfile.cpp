#include "common/data/gzfile.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

#include "common/core/error.hpp"

namespace attn {

bool file_exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool dir_exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

static std::string read_raw(const std::string& path) {
    if (dir_exists(path)) fail(path, "expected a file, found a directory");
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) fail(path, std::string("cannot open: ") + std::strerror(errno), "check the path, or --data-dir / ATTN_DATA");
    std::string bytes;
    char chunk[1 << 16];
    size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, f)) > 0) bytes.append(chunk, got);
    bool err = std::ferror(f);
    std::fclose(f);
    if (err) fail(path, "a readable file (read error after " + std::to_string(bytes.size()) + " bytes)");
    return bytes;
}

std::string gunzip(const std::string& gz, const std::string& where) {
    std::string out;
    // The last 4 bytes of a gzip member hold its size mod 2^32: a good first guess. Deflate expands at
    // most 1032:1, so a damaged trailer cannot make us reserve more than the data could hold (found by
    // `make fuzz`: small damaged files reserved up to 1 GB each, 25 times slower than the rest).
    if (gz.size() >= 18) {
        const unsigned char* t = (const unsigned char*)gz.data() + gz.size() - 4;
        uint32_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | ((uint32_t)t[3] << 24);
        if (isize < (1u << 30) && isize / 1032 <= gz.size()) out.reserve(isize);
    }
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) fail(where, "zlib could not start (out of memory?)");  // 16: gzip wrapper
    if (gz.size() > 0xFFFFFFFFull) fail(where, "a gzip file under 4 GB");
    zs.next_in = (Bytef*)gz.data();
    zs.avail_in = (uInt)gz.size();
    char buf[1 << 18];
    for (;;) {
        zs.next_out = (Bytef*)buf;
        zs.avail_out = sizeof buf;
        int rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
        if (rc == Z_STREAM_END) {
            // concatenated members (`cat a.gz b.gz`) are legal gzip: continue with the next one
            if (zs.avail_in == 0) break;
            inflateReset(&zs);
            continue;
        }
        if (rc == Z_OK) continue;
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
            inflateEnd(&zs);
            fail(where, "truncated gzip data: the stream ends after " + std::to_string(gz.size()) +
                            " compressed bytes without its end marker",
                 "the download was probably interrupted; fetch the file again");
        }
        size_t at = gz.size() - zs.avail_in;
        std::string reason = zs.msg ? zs.msg : ("zlib error " + std::to_string(rc));
        inflateEnd(&zs);
        fail(where, "corrupt gzip data at compressed byte " + std::to_string(at) + " (zlib: " + reason + ")",
             "the file is damaged; fetch it again and check its sha256");
    }
    inflateEnd(&zs);
    return out;
}

std::string read_whole_file(const std::string& path) {
    std::string bytes = read_raw(path);
    if (bytes.size() >= 2 && (unsigned char)bytes[0] == 0x1F && (unsigned char)bytes[1] == 0x8B)
        return gunzip(bytes, path);
    return bytes;
}

}  // namespace attn
