// checkpoint.hpp — save and load a model (and its optimiser, RNG, vocabulary...) in one binary file.
//
//   Checkpoint ck;                                  // save
//   ck.add_params(model.params);                    // records "param/<name>"
//   ck.add_adam(opt);                               // records "adam/t", "adam/m", "adam/v"
//   ck.add_bytes("vocab", vocab_text);              // any extra blob: config JSON, vocabulary, ...
//   ck.add_rng(rng);
//   ck.save("runs/model.ckpt");
//
//   Checkpoint ck = Checkpoint::load("runs/model.ckpt");   // load: every check, or an attn::Error
//   ck.restore_params(model.params);                // names and shapes checked BEFORE anything is copied
//   ck.restore_adam(opt);                           // opt must be init()'ed on the same params
//
// File format, version 1 (all integers little-endian, floats IEEE-754 binary32 little-endian):
//   offset 0   magic        8 bytes  "ATTNCKPT"
//          8   version      u32      1
//         12   count        u32      number of records
//         16   file_size    u64      total bytes in the file, checksum included (catches truncation)
//         24   records, each:
//                name_len u32, name (UTF-8, name_len bytes)
//                dtype    u8       0 = float32, 1 = bytes
//                ndim     u32, dims u32 x ndim   (bytes records: ndim = 0)
//                nbytes   u64      payload size (float32: 4 * product of dims)
//                payload  nbytes
//   last 4     checksum     u32      CRC-32 (zlib) of every byte before it
// Checks on load, in order, each an error naming the file: readable, not empty, full header, magic,
// version, file_size equal to the real size (truncated / trailing bytes), checksum, then every record
// fits and is well formed. A future version 2 should keep reading version 1 files.
// (checkpoint_format.cpp turns records into these bytes and back; checkpoint.cpp does the file I/O.)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/core/buffer.hpp"
#include "common/nn/optim.hpp"
#include "common/core/params.hpp"
#include "common/core/rng.hpp"

namespace attn {

struct Checkpoint {
    static constexpr uint32_t kVersion = 1;
    enum class DType : uint8_t { F32 = 0, Bytes = 1 };
    struct Record {
        std::string name;
        DType dtype = DType::F32;
        Shape shape;        // F32 only
        Buf f32;            // F32: shape_size(shape) values
        std::string bytes;  // Bytes: the blob
    };

    std::string path = "<checkpoint in memory>";  // set by load(); used in error messages
    std::vector<Record> records;                  // in the order added / stored

    // ---- building (names must be unique: a repeated name is an error) ----
    void add_tensor(const std::string& name, const Shape& shape, const float* data);
    void add_bytes(const std::string& name, std::string data);
    void add_params(const ParamSet& ps, const std::string& prefix = "param/");
    void add_adam(const Adam& opt,
                  const std::string& prefix = "adam/");  // t, m, v (not lr/betas: flags set those)
    void add_sgd(const SGD& opt, const std::string& prefix = "sgd/");  // velocity
    void add_rng(const Rng& rng, const std::string& name = "rng");     // the 256-bit state

    // Writes path + ".tmp", flushes and fsyncs it, then renames it over path. rename() within one
    // directory is atomic on POSIX, so anyone opening `path` — including the next run after a crash
    // or Ctrl-C mid-save — finds either the previous complete checkpoint or the new complete one,
    // never half a file. On any failure the .tmp file is removed and an attn::Error is thrown.
    void save(const std::string& path) const;
    // Can a checkpoint be saved at path? Its directory must exist and be writable, and the path must be
    // free or a regular file: a save never replaces a directory, a device, a pipe or a symbolic link.
    // An attn::Error naming `flag` otherwise. Chapters call it (through apply_common_flags) before any
    // training, so a typo in --save costs nothing; save() checks again.
    static void check_save_path(const std::string& path, const std::string& flag = "--save");
    static Checkpoint load(const std::string& path);

    // ---- reading ----
    bool has(const std::string& name) const;
    const Record* find(const std::string& name) const;        // nullptr when absent
    const std::string& bytes(const std::string& name) const;  // error if absent or not a bytes record
    // A bytes record holding a whole number (epochs done, a step count, a size) in [lo, hi]; anything
    // else — absent, empty, "abc", "1e23", out of range — is an error naming the file and the record.
    long integer(const std::string& name, long lo, long hi) const;
    // Copy a float32 record into out, which holds shape_size(shape) floats; error if absent or shaped
    // differently.
    void restore_tensor(const std::string& name, const Shape& shape, float* out) const;

    // Every parameter of ps must be in the file under prefix + name with the same shape, and the
    // file must hold no other prefix + ... record. All of that is checked first, and only then are
    // values copied, so a mismatch leaves the model untouched. The error lists each problem.
    void restore_params(ParamSet& ps, const std::string& prefix = "param/") const;
    // Restores t, m, v (checked first, then copied). opt must already be init()'ed on the same ParamSet.
    void restore_adam(Adam& opt, const std::string& prefix = "adam/") const;
    void restore_sgd(SGD& opt, const std::string& prefix = "sgd/") const;
    void restore_rng(Rng& rng, const std::string& name = "rng") const;

   private:
    void add_record(Record r);
    const Record& need(const std::string& name, DType dtype) const;
};

}  // namespace attn
