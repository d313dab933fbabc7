// cli.hpp — command-line flags: declare each one next to the variable it fills, then parse.
//
//   attn::Cli cli("02_additive_attention", "Bahdanau attention on fra-eng (or a synthetic task).");
//   attn::CommonFlags f;  f.epochs = 10;  f.lr = 1e-3f;    // chapter defaults, shown in --help
//   attn::add_common_flags(cli, f);
//   int hidden = 128;
//   cli.flag("hidden", &hidden, "GRU hidden size");
//   cli.parse(argc, argv);                                  // --help -> usage, exit 0; bad flag -> exit 2
//
// Accepted: `--name value`, `--name=value`, a bool flag alone (`--quick`, or `--quick=false`),
// a repeatable list flag (`--ref a.txt --ref b.txt`). Everything else is an error that says which
// flag, what was expected and what to try — never a silent default:
//
//   02_additive_attention: error: --epochs: expected an integer, got 'abc' (HINT: e.g. --epochs 10)
//
// (cli.cpp declares and parses, cli_usage.cpp writes --help, cli_values.cpp parses and formats
// numbers, common_flags.cpp declares the flags every chapter has.)
#pragma once
#include <string>
#include <vector>

namespace attn {

class Cli {
   public:
    Cli(std::string program, std::string description);

    // Declare a flag named `name` (without dashes). Its default is whatever *dest holds now.
    void flag(const std::string& name, int* dest, const std::string& help);
    void flag(const std::string& name, long* dest, const std::string& help);
    void flag(const std::string& name, float* dest, const std::string& help);
    void flag(const std::string& name, double* dest, const std::string& help);
    void flag(const std::string& name, std::string* dest, const std::string& help);
    void flag(const std::string& name, bool* dest, const std::string& help);  // takes no value
    void choice(const std::string& name, std::string* dest, std::vector<std::string> allowed,
                const std::string& help);
    // Repeatable: each occurrence appends; the first one replaces the declared defaults.
    void flag_list(const std::string& name, std::vector<std::string>* dest, const std::string& help);
    // A numeric flag must end up in [lo, hi] (checked after parsing, default included).
    void range(const std::string& name, double lo, double hi);

    // Parse; on --help print usage() to stdout and exit 0; on error print
    // "<program>: error: <what>" and usage() to stderr and exit 2.
    void parse(int argc, char** argv);
    // The same without exiting: false and *error set on a bad command line; true otherwise
    // (then check help_requested()). Flags parsed before an error keep their new values.
    bool try_parse(int argc, char** argv, std::string* error);

    bool help_requested() const { return help_; }
    bool was_set(const std::string& name) const;  // given on the command line (not just defaulted)
    std::string usage() const;
    const std::string& program() const { return program_; }

   private:
    enum class Kind { Int, Long, Float, Double, String, Bool, Choice, List };
    struct Flag {
        std::string name, help, default_text;
        Kind kind;
        void* dest;
        std::vector<std::string> allowed;  // Choice only
        bool set = false;
        bool has_range = false;
        double lo = 0, hi = 0;
    };
    void add(const std::string& name, Kind kind, void* dest, const std::string& help,
             std::string default_text, std::vector<std::string> allowed = {});
    Flag* find(const std::string& name);
    const Flag* find(const std::string& name) const;
    bool assign(Flag& f, const std::string& value, std::string* error);  // parse one value into f
    std::string unknown_flag_error(const std::string& name) const;

    std::string program_, description_;
    std::vector<Flag> flags_;
    bool help_ = false;
};

// The flags every chapter has (DESIGN.md). Set the chapter's defaults on the struct before
// add_common_flags(); they are shown in --help.
struct CommonFlags {
    std::string data = "auto";               // which dataset; "auto": real when found, else synthetic
    std::vector<std::string> data_choices;   // when non-empty, --data must be one of these
    std::string data_dir;                    // real data directory ("" -> ATTN_DATA, then defaults)
    std::string out;                         // output directory ("" -> "runs/<program>")
    std::string save, load;                  // checkpoint paths ("" -> none)
    std::string eval_file;                   // seq2seq: PAIRS.tsv, classifiers: FILE.csv
    bool want_eval_file = false;             // declare --eval-file in add_common_flags
    int epochs = 10;
    int batch = 32;
    int threads = 0;                         // 0: ATTN_THREADS if set, else all cores
    float lr = 1e-3f;
    long seed = 42;
    bool quick = false;                      // a run of well under a minute
};

// Declares --data --data-dir --epochs --batch --lr --seed --threads --quick --out --save --load
// (and --eval-file when f.want_eval_file), with range checks (epochs, batch >= 1; lr >= 0; threads >= 0).
void add_common_flags(Cli& cli, CommonFlags& f);
void add_eval_file_flag(Cli& cli, CommonFlags& f, const std::string& help);
// After parse(): size the thread pool (--threads overrides ATTN_THREADS; 0 keeps the default), and
// check that --save can be written (Checkpoint::check_save_path) before any training.
void apply_common_flags(const CommonFlags& f);

}  // namespace attn
