// gzfile.hpp — read a whole file into memory, gunzipping it when it is gzip-compressed.
//
// Datasets ship as `.gz` (MNIST) or plain files; loaders call read_whole_file() and never care
// which. Compression is detected by the gzip magic bytes 1F 8B, not by the file name, so a
// renamed file still works. The whole file is inflated in one zlib call sequence into one
// string: 47 MB of MNIST pixels take ~0.2 s, far faster than reading byte by byte.
#pragma once
#include <string>

namespace attn {

// Bytes of the file at path (decompressed when it starts with the gzip magic).
// Errors (attn::Error): "cannot open" (with the OS reason), read errors, and for gzip
// data "path: corrupt gzip data at compressed byte N (zlib: ...)" or "truncated gzip data".
std::string read_whole_file(const std::string& path);

// Decompress gzip bytes (one or more concatenated members); `where` names them in errors.
std::string gunzip(const std::string& gz, const std::string& where);

bool file_exists(const std::string& path);  // a regular file that we may open for reading
bool dir_exists(const std::string& path);

}  // namespace attn
