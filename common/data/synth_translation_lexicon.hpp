// synth_translation_lexicon.hpp — the words of the synthetic translation task
// (synth_translation.hpp): each source word with its target word, each noun with its gender.
// Internal to synth_translation*.cpp, hence the namespace attn::synth_tr.
#pragma once
#include <cstddef>

namespace attn::synth_tr {

struct Noun {
    const char *sg, *pl, *tgt;
    bool fem;
};
inline constexpr Noun kNouns[] = {
    {"dog", "dogs", "kano", 0},        {"cat", "cats", "mirsa", 1},
    {"man", "men", "viro", 0},         {"woman", "women", "fema", 1},
    {"child", "children", "kido", 0},  {"girl", "girls", "pua", 1},
    {"teacher", "teachers", "magistro", 0}, {"doctor", "doctors", "medik", 0},
    {"farmer", "farmers", "agrik", 0}, {"king", "kings", "rego", 0},
    {"queen", "queens", "regina", 1},  {"bird", "birds", "avi", 1},
    {"horse", "horses", "kabal", 0},   {"frog", "frogs", "rano", 0},
    {"river", "rivers", "rivel", 1},   {"house", "houses", "domo", 1},
    {"garden", "gardens", "horto", 0}, {"city", "cities", "urba", 1},
    {"car", "cars", "auto", 0},        {"book", "books", "libro", 0},
    {"letter", "letters", "litera", 1}, {"song", "songs", "himno", 0},
    {"apple", "apples", "pomo", 0},    {"tree", "trees", "arbor", 0},
    {"flower", "flowers", "flora", 1}, {"table", "tables", "tabla", 1},
    {"door", "doors", "porta", 1},     {"window", "windows", "fenestra", 1},
    {"road", "roads", "via", 1},       {"ship", "ships", "navo", 1},
    {"friend", "friends", "amik", 0},  {"student", "students", "studento", 0},
    {"soldier", "soldiers", "soldat", 0}, {"baker", "bakers", "pistor", 0},
    {"mouse", "mice", "musa", 1},      {"cow", "cows", "vaka", 1},
    {"boat", "boats", "barko", 0},     {"lamp", "lamps", "lampa", 1},
    {"cake", "cakes", "torta", 1},     {"key", "keys", "klavo", 0},
};
inline constexpr const char* kAdjs[][2] = {  // source, target stem
    {"big", "grand"},   {"small", "pik"},    {"red", "rub"},      {"blue", "blu"},
    {"green", "verd"},  {"old", "vet"},      {"young", "jun"},    {"happy", "felic"},
    {"sad", "trist"},   {"tall", "alt"},     {"quick", "rapid"},  {"slow", "lent"},
    {"brave", "brav"},  {"quiet", "kviet"},  {"clever", "sag"},   {"lazy", "pigr"},
    {"hungry", "famel"}, {"kind", "bon"},    {"strange", "strang"}, {"black", "nigr"},
};
enum VerbKind { kIntrans, kTrans, kSay };
struct Verb {
    const char *sg, *pl, *tgt;  // "sees" (3rd singular), "see" (plural), target stem
    VerbKind kind;
};
inline constexpr Verb kVerbs[] = {
    {"sees", "see", "vid", kTrans},       {"likes", "like", "am", kTrans},
    {"chases", "chase", "chas", kTrans},  {"finds", "find", "trov", kTrans},
    {"helps", "help", "help", kTrans},    {"watches", "watch", "observ", kTrans},
    {"follows", "follow", "sekv", kTrans}, {"carries", "carry", "port", kTrans},
    {"paints", "paint", "pentr", kTrans}, {"visits", "visit", "vizit", kTrans},
    {"fears", "fear", "tim", kTrans},     {"calls", "call", "vok", kTrans},
    {"sleeps", "sleep", "dorm", kIntrans}, {"runs", "run", "kur", kIntrans},
    {"sings", "sing", "kant", kIntrans},  {"laughs", "laugh", "rid", kIntrans},
    {"waits", "wait", "atend", kIntrans}, {"dances", "dance", "danc", kIntrans},
    {"swims", "swim", "nag", kIntrans},   {"works", "work", "labor", kIntrans},
    {"says", "say", "dir", kSay},         {"thinks", "think", "pens", kSay},
    {"knows", "know", "sci", kSay},       {"hopes", "hope", "esper", kSay},
};
inline constexpr const char* kPreps[][2] = {{"in", "en"},     {"near", "apud"}, {"behind", "post"},
                                            {"under", "sub"}, {"with", "kun"},  {"from", "de"}};
inline constexpr const char* kAdvs[][2] = {{"today", "hodiau"}, {"often", "ofte"},   {"quickly", "rapide"},
                                           {"again", "denove"}, {"slowly", "lante"}, {"never", "neniam"}};
inline constexpr const char* kConjs[][2] = {{"and", "kaj"}, {"but", "sed"}, {"while", "dum"}};

template <class T, size_t N> constexpr int count_of(const T (&)[N]) { return (int)N; }

}  // namespace attn::synth_tr
