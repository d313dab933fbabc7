// checkpoint_format.hpp — the bytes of a checkpoint file (the layout is in checkpoint.hpp):
// records to bytes, and bytes back to records after every check.
//
// checkpoint.cpp does the rest: building records, the file I/O (temporary file, fsync, rename)
// and restoring parameters and optimiser state. The helpers here live in attn::ckpt because
// only checkpoint.cpp uses them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/run/checkpoint.hpp"

namespace attn::ckpt {

// The whole file: header (magic, version, count, file_size), the records, the CRC-32.
std::string encode(const std::vector<Checkpoint::Record>& records);
// Checks, in order: not empty, magic, full header, version, file_size, checksum; then parses every
// record. Every problem is an attn::Error naming `path` (and the byte, for a bad record).
std::vector<Checkpoint::Record> decode(const std::string& bytes, const std::string& path);

// Every load/restore error reads "<where>: expected <what> (HINT: ...)".
[[noreturn]] void expected(const std::string& where, const std::string& what, const std::string& hint = "");
extern const char* const kHintCorrupt;
std::string printable(const std::string& s);  // non-ASCII and control bytes as \xNN

// Little-endian integers, byte by byte (so whatever the machine).
void put_u32(std::string& out, uint32_t x);
void put_u64(std::string& out, uint64_t x);
uint64_t get_le(const std::string& s, size_t pos, int nbytes);

}  // namespace attn::ckpt
