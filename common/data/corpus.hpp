// corpus.hpp — parallel sentence pairs (ManyThings / Tatoeba `fra.txt`) and their normalisation.
//
// File format: UTF-8, one pair a line, `English<TAB>French[<TAB>attribution]` (newer ManyThings
// releases add the attribution column). Anything else is an error naming file:line.
//
// normalize_sentence() — the exact rule, applied to both sides (close to D2L's preprocess_nmt,
// which keeps apostrophes, rather than the PyTorch tutorial's, which deletes every non-letter):
//   1. U+00A0 (no-break space), U+202F (narrow no-break space), U+2009 (thin space), tab and CR
//      become an ASCII space — French puts them before ! ? ; : and inside « ».
//   2. Lowercase: ASCII and the Latin-1 / Latin Extended-A capitals (É→é, À→à, Ç→ç, Œ→œ).
//   3. Each punctuation mark  . , ! ? ; : " ( ) « » “ ” … ¡ ¿  becomes a token of its own
//      (spaces around it), except . and , between two digits ("3.5", "1,000" stay one token).
//   4. Apostrophes (' and ’) and hyphens are part of words: "qu'est-ce", "don't", "aujourd’hui"
//      stay one token each. Other characters (letters with accents, digits, $ %, emoji) are kept.
//   5. Runs of spaces collapse to one; no leading or trailing space.
//   "Qu’est-ce que c’est ?"  ->  "qu’est-ce que c’est ?"      "Hi.  Run!" -> "hi . run !"
#pragma once
#include <string>
#include <vector>

#include "common/data/data_types.hpp"

namespace attn {

std::string normalize_sentence(const std::string& s);

// Split a normalised sentence on single spaces (no empty tokens).
std::vector<std::string> split_tokens(const std::string& s);
int count_tokens(const std::string& s);

struct PairOptions {
    int max_len = 0;             // keep pairs with at most max_len tokens on BOTH sides; 0 = no limit
    bool eng_prefixes = false;   // keep only English sides starting "i am ", "he is", ... (PyTorch tutorial)
    std::string direction = "en-fr";  // "en-fr": src = English; "fr-en": src = French (columns swapped)
    long max_pairs = 0;          // stop after this many kept pairs; 0 = all
    std::string name = "fra-eng";
};

// The English prefixes of the PyTorch seq2seq tutorial, in its spelling ("i m ") and in ours,
// which keeps the apostrophe ("i'm ").
const std::vector<std::string>& eng_prefix_list();

PairSet load_pairs(const std::string& path, const PairOptions& opt = {});

}  // namespace attn
