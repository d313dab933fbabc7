#include "common/run/checkpoint_format.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>

#include "common/core/error.hpp"

namespace attn::ckpt {

static const char kMagic[8] = {'A', 'T', 'T', 'N', 'C', 'K', 'P', 'T'};
static const size_t kHeaderBytes = 24;  // magic 8 + version 4 + count 4 + file_size 8

void expected(const std::string& where, const std::string& what, const std::string& hint) {
    fail(where, "expected " + what, hint);
}

const char* const kHintCorrupt =
    "the file is damaged (an interrupted copy or a disk error?): copy it again or re-save it";
static const char* const kHintTruncated =
    "the file was cut short (an interrupted save or copy?): copy it again or re-save it";

std::string printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c >= 32 && c < 127)
            out.push_back((char)c);
        else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    return out;
}

// ---- little-endian encoding ------------------------------------------------------------------
// Integers are written byte by byte, so they are little-endian whatever the machine. Float arrays
// are copied as they are in memory, which is little-endian IEEE-754 on every machine this course
// targets (x86-64, ARM64); the assert makes a big-endian build fail loudly rather than write files
// nobody else can read.
static_assert(std::endian::native == std::endian::little, "checkpoint_format.cpp assumes a little-endian machine");

void put_u32(std::string& out, uint32_t x) {
    for (int i = 0; i < 4; i++) out.push_back((char)((x >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, uint64_t x) {
    for (int i = 0; i < 8; i++) out.push_back((char)((x >> (8 * i)) & 0xff));
}
uint64_t get_le(const std::string& s, size_t pos, int nbytes) {
    uint64_t x = 0;
    for (int i = 0; i < nbytes; i++) x |= (uint64_t)(uint8_t)s[pos + i] << (8 * i);
    return x;
}
static uint32_t crc32_of(const std::string& s, size_t n) {
    return (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), (const Bytef*)s.data(), n);
}

// ---- records to bytes ------------------------------------------------------------------------

std::string encode(const std::vector<Checkpoint::Record>& records) {
    std::string buf(kMagic, 8);
    put_u32(buf, Checkpoint::kVersion);
    put_u32(buf, (uint32_t)records.size());
    put_u64(buf, 0);  // file_size, patched below
    for (const auto& r : records) {
        put_u32(buf, (uint32_t)r.name.size());
        buf += r.name;
        buf.push_back((char)r.dtype);
        put_u32(buf, (uint32_t)r.shape.size());
        for (int d : r.shape) put_u32(buf, (uint32_t)d);
        if (r.dtype == Checkpoint::DType::Bytes) {
            put_u64(buf, r.bytes.size());
            buf += r.bytes;
        } else {
            put_u64(buf, 4 * (uint64_t)r.f32.size());
            buf.append((const char*)r.f32.data(), 4 * r.f32.size());  // little-endian host: see above
        }
    }
    const uint64_t total = buf.size() + 4;
    for (int i = 0; i < 8; i++) buf[16 + i] = (char)((total >> (8 * i)) & 0xff);
    put_u32(buf, crc32_of(buf, buf.size()));
    return buf;
}

// ---- bytes to records ------------------------------------------------------------------------

// The header, the size and the checksum; returns the record count.
static uint32_t check_header(const std::string& s, const std::string& path) {
    if (s.empty()) expected(path, "a checkpoint, found an empty file", kHintTruncated);
    if (std::memcmp(s.data(), kMagic, std::min(s.size(), sizeof kMagic)) != 0)
        expected(path, "magic \"ATTNCKPT\" at byte 0, found \"" + printable(s.substr(0, 8)) + "\"",
                 "this is not a checkpoint written by --save");
    if (s.size() < kHeaderBytes)
        expected(path,
                 "a " + std::to_string(kHeaderBytes) + "-byte header, found only " +
                     std::to_string(s.size()) + " bytes (truncated)",
                 kHintTruncated);
    uint32_t version = (uint32_t)get_le(s, 8, 4);
    if (version != Checkpoint::kVersion)
        expected(path,
                 "checkpoint format version " + std::to_string(Checkpoint::kVersion) + ", found " +
                     std::to_string(version),
                 "it was written by a different version of this code; re-save it with this one");
    uint32_t count = (uint32_t)get_le(s, 12, 4);
    uint64_t declared = get_le(s, 16, 8);
    if (declared != s.size())
        expected(path,
                 std::to_string(declared) + " bytes as its header says, found " + std::to_string(s.size()) +
                     (s.size() < declared ? " (truncated)" : " (trailing bytes)"),
                 s.size() < declared ? kHintTruncated : kHintCorrupt);
    if (s.size() < kHeaderBytes + 4) expected(path, "a 4-byte checksum after the header, found none", kHintCorrupt);
    const size_t body = s.size() - 4;
    uint32_t stored = (uint32_t)get_le(s, body, 4), computed = crc32_of(s, body);
    if (stored != computed) {
        char msg[128];
        std::snprintf(msg, sizeof msg, "CRC-32 checksum 0x%08x (stored in its last 4 bytes), computed 0x%08x",
                      stored, computed);
        expected(path, msg, kHintCorrupt);
    }
    return count;
}

// A cursor over the loaded file that turns every overrun into a "truncated record" error.
struct Reader {
    const std::string& s;
    const std::string& path;
    size_t pos, end;
    void need(size_t n, const std::string& what) {
        if (n > end - pos)
            expected(path + ":byte " + std::to_string(pos),
                     std::to_string(n) + " more bytes for " + what + ", found " + std::to_string(end - pos),
                     kHintCorrupt);
    }
    uint64_t num(int nbytes, const std::string& what) {
        need((size_t)nbytes, what);
        uint64_t x = get_le(s, pos, nbytes);
        pos += (size_t)nbytes;
        return x;
    }
};

// Record k at rd.pos: name, dtype, dims, size, payload.
static Checkpoint::Record read_record(Reader& rd, uint32_t k) {
    const std::string rec = "record " + std::to_string(k);
    Checkpoint::Record r;
    size_t name_len = (size_t)rd.num(4, rec + "'s name length");
    rd.need(name_len, rec + "'s name");
    r.name = rd.s.substr(rd.pos, name_len);
    rd.pos += name_len;
    const std::string what = "record '" + r.name + "'";
    uint64_t dtype = rd.num(1, what + "'s dtype");
    if (dtype > 1)
        expected(rd.path + ":byte " + std::to_string(rd.pos - 1),
                 "dtype 0 or 1 for " + what + ", found " + std::to_string(dtype), kHintCorrupt);
    r.dtype = (Checkpoint::DType)dtype;
    uint64_t ndim = rd.num(4, what + "'s rank");
    rd.need(4 * ndim, what + "'s dims");
    uint64_t expect = 4;
    for (uint64_t i = 0; i < ndim; i++) {
        int d = (int)rd.num(4, what + "'s dims");
        r.shape.push_back(d);
        expect *= (uint64_t)d;
    }
    uint64_t nbytes = rd.num(8, what + "'s size");
    if (r.dtype == Checkpoint::DType::F32 && nbytes != expect)
        expected(rd.path,
                 std::to_string(expect) + " bytes for float32 " + what + " of shape " + shape_str(r.shape) +
                     ", found " + std::to_string(nbytes),
                 kHintCorrupt);
    rd.need(nbytes, what + "'s data");
    if (r.dtype == Checkpoint::DType::Bytes) {
        r.bytes = rd.s.substr(rd.pos, nbytes);
    } else {
        r.f32.resize(nbytes / 4);
        if (nbytes > 0) std::memcpy(r.f32.data(), rd.s.data() + rd.pos, nbytes);  // little-endian host: see above
    }
    rd.pos += nbytes;
    return r;
}

std::vector<Checkpoint::Record> decode(const std::string& s, const std::string& path) {
    const uint32_t count = check_header(s, path);
    // The checksum matched, so a structural error below means the writer was wrong, not the disk.
    const size_t body = s.size() - 4;
    Reader rd{s, path, kHeaderBytes, body};
    std::vector<Checkpoint::Record> records;
    for (uint32_t k = 0; k < count; k++) {
        Checkpoint::Record r = read_record(rd, k);
        for (const auto& seen : records)
            if (seen.name == r.name) expected(path, "unique record names, found '" + r.name + "' twice", kHintCorrupt);
        records.push_back(std::move(r));
    }
    if (rd.pos != body)
        expected(path + ":byte " + std::to_string(rd.pos),
                 "the checksum after record " + std::to_string(count) + ", found " +
                     std::to_string(body - rd.pos) + " more bytes",
                 kHintCorrupt);
    return records;
}

}  // namespace attn::ckpt
