// seq2seq_data.hpp — the translation data of chapters 01–04 and 07: load, split, vocabularies, batches.
//
//   fra-eng (ManyThings/Tatoeba fra.txt, found through --data-dir / ATTN_DATA) when present, else
//   the built-in synthetic grammar translation task (common/data/synth_translation.hpp).
//   Split by distinct ENGLISH sentence (common/data/splits.hpp): one English sentence with seven French
//   translations lands wholly in train, val or test, so test BLEU never measures memory.
//   Vocabularies come from the TRAIN split only (words seen ≥ min_freq times); every other word —
//   in val, test or an --eval-file — becomes <unk>.
//
// A batch for teacher forcing (B sentences; S source, T target positions):
//   src     (B,S)  x_1..x_n <eos> <pad>...          src_len (B) = n + 1
//   dec_in  (B,T)  <bos> y_1..y_m <pad>...           the decoder READS the true previous word...
//   dec_out (B,T)  y_1..y_m <eos> <pad>...           ...and must PREDICT the next one
//   dec_len (B) = m + 1;  the loss ignores <pad> targets (cross-entropy ignore_index = <pad>).
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/data/batching.hpp"
#include "common/data/corpus.hpp"
#include "common/data/data_find.hpp"
#include "common/data/data_types.hpp"
#include "common/core/error.hpp"
#include "common/data/splits.hpp"
#include "common/data/synth_translation.hpp"
#include "common/data/vocab.hpp"

namespace ch01 {
using namespace attn;

struct DataOptions {
    std::string data = "auto";         // auto | fra-eng | synthetic
    std::string data_dir;              // --data-dir ("" -> ATTN_DATA)
    std::string direction = "en-fr";   // fra-eng only: en-fr (English source) or fr-en
    int max_len = 6;                   // fra-eng: keep pairs with ≤ max_len tokens on both sides
    long max_pairs = 0;                // fra-eng: stop after this many kept pairs (0 = all)
    int min_freq = 4;                  // vocabulary: words seen at least this often in train (4: ≈3k/4k words on fra-eng ≤ 6 tokens, 10-minute runs)
    int synth_pairs = 30000;           // synthetic: number of pairs
    int synth_min_len = 3, synth_max_len = 30;  // synthetic: source length range (tokens incl. ".")
    float val_frac = 0.05f, test_frac = 0.05f;
    uint64_t seed = 42;                // the split (and the synthetic sentences)
};

struct Seq2SeqData {
    std::string dataset;  // "fra-eng" or "synthetic"
    std::string source;   // path or generator description
    std::string direction;
    PairSet pairs;
    SplitIdx split;                               // indices into pairs
    Vocab src_vocab, tgt_vocab;                   // from the train split
    std::vector<std::vector<int>> src_ids, tgt_ids;  // every pair encoded: src + <eos>; tgt bare
};

inline void encode_pairs(Seq2SeqData& d) {
    d.src_ids.clear(), d.tgt_ids.clear();
    for (const auto& p : d.pairs.pairs) {
        d.src_ids.push_back(d.src_vocab.encode(p.src, false, true));
        d.tgt_ids.push_back(d.tgt_vocab.encode(p.tgt, false, false));
    }
}

// Splits by distinct English sentence: the source in en-fr, the target in fr-en.
inline SplitIdx split_by_english(const PairSet& ps, bool english_is_target, float val_frac, float test_frac,
                                 uint64_t seed) {
    if (!english_is_target) return split_pairs_by_source(ps, val_frac, test_frac, seed);
    PairSet swapped = ps;
    for (auto& p : swapped.pairs) std::swap(p.src, p.tgt);
    return split_pairs_by_source(swapped, val_frac, test_frac, seed);
}

// Loads, splits and encodes. Prints nothing; `note` receives the one-line message for the
// user when --data auto fell back to the synthetic task.
inline Seq2SeqData load_seq2seq_data(const DataOptions& o, std::string* note = nullptr) {
    if (o.data != "auto" && o.data != "fra-eng" && o.data != "synthetic")
        fail("--data", "expected auto, fra-eng or synthetic, found '" + o.data + "'");
    if (o.data == "auto") check_data_dir_flag(o.data_dir, {"fra-eng"});  // an explicit --data-dir must hold it
    Seq2SeqData d;
    d.direction = o.direction;
    std::vector<std::string> looked;
    std::string dir = o.data == "synthetic" ? "" : find_dataset("fra-eng", o.data_dir, &looked);
    if (o.data == "fra-eng" && dir.empty()) fail_missing_dataset("fra-eng", looked);
    if (!dir.empty()) {
        PairOptions po;
        po.max_len = o.max_len, po.max_pairs = o.max_pairs, po.direction = o.direction;
        d.pairs = load_pairs(dir + "/fra.txt", po);
        d.dataset = "fra-eng";
        if (d.pairs.pairs.empty())
            fail(dir + "/fra.txt", "expected pairs of at most " + std::to_string(o.max_len) + " tokens, found none",
                 "raise --max-len");
    } else {
        if (note) *note = "fra-eng not found (set ATTN_DATA or --data-dir; data_tools/fetch_fra_eng.sh); using the "
                          "synthetic translation task";
        SynthTranslationOptions so;
        so.min_len = o.synth_min_len, so.max_len = o.synth_max_len;
        d.pairs = synth_translation(o.synth_pairs, o.seed, so);
        d.dataset = "synthetic";
        d.direction = "src-tgt";
    }
    d.source = d.pairs.source;
    d.split = split_by_english(d.pairs, o.direction == "fr-en" && d.dataset == "fra-eng", o.val_frac,
                               o.test_frac, o.seed);
    std::vector<std::string> src_train, tgt_train;
    for (int i : d.split.train) {
        src_train.push_back(d.pairs.pairs[i].src);
        tgt_train.push_back(d.pairs.pairs[i].tgt);
    }
    d.src_vocab = Vocab::build(src_train, o.min_freq, 0);
    d.tgt_vocab = Vocab::build(tgt_train, o.min_freq, 0);
    encode_pairs(d);
    return d;
}

// ---- batches for teacher forcing ----------------------------------------------------------------
struct Seq2SeqBatch {
    int B = 0, S = 0, T = 0;
    std::vector<int> src, src_len;             // (B,S), (B)
    std::vector<uint8_t> src_mask;             // (B,S) 1 = real token (attention masks padding with it)
    std::vector<int> dec_in, dec_out, dec_len;  // (B,T), (B,T), (B)
};

// The sentences idx[0..B) of (src_ids, tgt_ids) as one padded batch (layout at the top of this file).
inline Seq2SeqBatch make_seq2seq_batch(const std::vector<std::vector<int>>& src_ids,
                                       const std::vector<std::vector<int>>& tgt_ids, const std::vector<int>& idx) {
    Seq2SeqBatch b;
    TokenBatch tb = make_batch(src_ids, idx);
    b.B = tb.B, b.S = tb.T;
    b.src = std::move(tb.ids), b.src_len = std::move(tb.lengths), b.src_mask = std::move(tb.mask);
    for (int i = 0; i < b.B; i++)
        if (b.src_len[i] < 1) fail("make_seq2seq_batch", "expected a non-empty source sentence (at least <eos>)");
    b.T = 1;
    for (int i : idx) b.T = std::max(b.T, (int)tgt_ids[i].size() + 1);
    b.dec_in.assign((size_t)b.B * b.T, Vocab::PAD);
    b.dec_out.assign((size_t)b.B * b.T, Vocab::PAD);
    b.dec_len.resize(b.B);
    for (int r = 0; r < b.B; r++) {
        const std::vector<int>& y = tgt_ids[idx[r]];
        int m = (int)y.size();
        b.dec_in[(size_t)r * b.T] = Vocab::BOS;
        for (int t = 0; t < m; t++) {
            b.dec_in[(size_t)r * b.T + t + 1] = y[t];
            b.dec_out[(size_t)r * b.T + t] = y[t];
        }
        b.dec_out[(size_t)r * b.T + m] = Vocab::EOS;
        b.dec_len[r] = m + 1;
    }
    return b;
}

// ---- evaluation sets: one item per distinct source, every translation a reference ---------------
struct EvalItem {
    std::string src;
    std::vector<std::string> refs;  // all targets of this source in the split
    int src_len = 0;                // tokens
};

inline std::vector<EvalItem> group_by_source(const PairSet& ps, const std::vector<int>& idx) {
    std::vector<EvalItem> items;
    std::unordered_map<std::string, int> where;
    for (int i : idx) {
        const Pair& p = ps.pairs[i];
        auto [it, fresh] = where.emplace(p.src, (int)items.size());
        if (fresh) items.push_back({p.src, {}, count_tokens(p.src)});
        items[it->second].refs.push_back(p.tgt);
    }
    return items;
}

}  // namespace ch01
