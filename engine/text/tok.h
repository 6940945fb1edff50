/* Internal pieces of the tokenizer: buffers, maps, UTF-8, patterns and the
 * pipeline stages (normalizer, pre-tokenizer, model, post-processor, decoder). */
#ifndef EMBER_TEXT_TOK_H
#define EMBER_TEXT_TOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "error_internal.h"
#include "ember/tokenizer.h"

/* ---- growable buffers ---- */
typedef struct {
    char *p;
    size_t n, cap;
} tk_buf;
int tk_buf_reserve(tk_buf *b, size_t extra);
int tk_buf_add(tk_buf *b, const void *s, size_t n);
int tk_buf_addc(tk_buf *b, char c);
int tk_buf_addcp(tk_buf *b, int32_t cp); /* a code point as UTF-8 */
int tk_buf_nul(tk_buf *b);               /* terminate without counting the NUL */
void tk_buf_free(tk_buf *b);

typedef struct {
    int32_t *v;
    size_t n, cap;
} tk_ids;
int tk_ids_push(tk_ids *a, int32_t id);
int tk_ids_add(tk_ids *a, const int32_t *ids, size_t n);
void tk_ids_free(tk_ids *a);

/* ---- string -> int32 map; keys are copied into an arena ---- */
typedef struct {
    uint64_t *slot; /* hash << 32 | entry index + 1; 0 = empty */
    size_t mask;
    struct tk_sm_entry { uint32_t off, len; int32_t val; uint32_t hash; } *e;
    size_t n, cap;
    tk_buf keys;
} tk_strmap;
uint32_t tk_hash(const void *p, size_t n);
/* Inserts or replaces; returns 0 or -1. */
int tk_strmap_put(tk_strmap *m, const char *k, size_t n, int32_t val);
/* Returns the value or -1. */
int32_t tk_strmap_get(const tk_strmap *m, const char *k, size_t n);
/* Room for N keys of KEY_BYTES in all, so loading does not rehash. */
int tk_strmap_reserve(tk_strmap *m, size_t n, size_t key_bytes);
const char *tk_strmap_key(const tk_strmap *m, size_t i, size_t *len);
void tk_strmap_free(tk_strmap *m);

/* ---- uint64 -> uint64 map (BPE merges); key UINT64_MAX is reserved ---- */
typedef struct {
    uint64_t *k, *v;
    size_t mask, n;
} tk_u64map;
int tk_u64map_init(tk_u64map *m, size_t expected);
int tk_u64map_put(tk_u64map *m, uint64_t k, uint64_t v);
bool tk_u64map_get(const tk_u64map *m, uint64_t k, uint64_t *v);
void tk_u64map_free(tk_u64map *m);

/* ---- UTF-8 ---- */
/* Decodes one code point of valid UTF-8 at S (N > 0 bytes left); *LEN gets its size. */
int32_t tk_utf8_next(const char *s, size_t n, size_t *len);
size_t tk_utf8_len(unsigned char lead);
/* Copies S to OUT replacing ill-formed sequences by U+FFFD (maximal subparts,
 * as String::from_utf8_lossy and TextDecoder). Returns true if it was valid. */
bool tk_utf8_sanitize(const char *s, size_t n, tk_buf *out);
bool tk_utf8_valid(const char *s, size_t n);
bool tk_is_whitespace(int32_t c);  /* Rust char::is_whitespace */
bool tk_is_numeric(int32_t c);     /* Rust char::is_numeric (N*) */
bool tk_is_alphanumeric(int32_t c);
bool tk_is_punctuation(int32_t c); /* ASCII punctuation or Unicode P* */
bool tk_is_word_char(int32_t c);   /* \w */

/* ---- JSON helpers; errors name the field ---- */
typedef struct {
    const char *src; /* file name for messages */
} tk_load;
/* The member KEY of OBJ, or NULL when absent or null. */
json_object *tk_json_get(json_object *obj, const char *key);
/* These record an error naming WHERE.KEY and return -1 when the type is wrong;
 * absent or null members leave *OUT at its default. */
int tk_json_bool(const tk_load *L, json_object *obj, const char *where, const char *key, bool *out);
int tk_json_int(const tk_load *L, json_object *obj, const char *where, const char *key,
                int64_t lo, int64_t hi, int64_t *out);
int tk_json_double(const tk_load *L, json_object *obj, const char *where, const char *key, double *out);
/* *OUT is a malloc'd copy (NULL when absent). */
int tk_json_str(const tk_load *L, json_object *obj, const char *where, const char *key, char **out);
const char *tk_json_type_name(json_object *o);
/* The "type" of a pipeline component object (the caller frees it); -1 with an
 * error naming `where` when o is not an object or has no type. */
int tk_json_component_type(const tk_load *L, json_object *o, const char *where, char **type);

/* ---- patterns: literal string, regex (PCRE2), or a character class ---- */
enum { TK_PAT_LIT, TK_PAT_RE, TK_PAT_CHARFN };
typedef struct {
    int kind;
    char *lit;
    size_t lit_len;
    pcre2_code *re;
    pcre2_match_context *mc; /* bounds backtracking on hostile regexes */
    bool (*charfn)(int32_t c, int32_t arg);
    int32_t arg;
} tk_pattern;
/* A {"String": s} or {"Regex": r} object. */
int tk_pattern_from_json(const tk_load *L, tk_pattern *p, json_object *o, const char *where);
int tk_pattern_regex(tk_pattern *p, const char *re, const char *where);
void tk_pattern_lit(tk_pattern *p, const char *s, size_t n); /* borrows nothing: copies */
void tk_pattern_free(tk_pattern *p);

/* One match list entry: [start, end) and whether it matched. */
typedef struct {
    uint32_t s, e;
    bool m;
} tk_span;
typedef struct {
    tk_span *v;
    size_t n, cap;
} tk_spans;
/* `tokenizers`' Pattern::find_matches: the text cut into matches and gaps. */
int tk_find_matches(const tk_pattern *p, const char *s, size_t n, tk_spans *out,
                    pcre2_match_data *md);
/* Replaces every match of P in S by REP, appending to OUT. */
int tk_pattern_replace(const tk_pattern *p, const char *s, size_t n, const char *rep,
                       size_t rep_n, tk_buf *out, pcre2_match_data *md);

/* Delimiter behaviours of Split and friends. */
enum { TK_REMOVED, TK_ISOLATED, TK_MERGED_PREV, TK_MERGED_NEXT, TK_CONTIGUOUS };
int tk_behavior_from_json(const tk_load *L, json_object *o, const char *where, int *out);
/* Rewrites SP per BEHAVIOR (INVERT flips match flags first); kept spans have m == false. */
int tk_apply_behavior(tk_spans *sp, int behavior, bool invert);

/* ---- the per-call working state of an encode ---- */
typedef struct {
    uint32_t off, len; /* in ctx->text */
    int32_t id;        /* >= 0: already a token (an added token) */
    bool at_start;     /* starts at offset 0 of the original text */
} tk_piece;
typedef struct {
    tk_piece *v;
    size_t n, cap;
} tk_pieces;
int tk_pieces_push(tk_pieces *a, uint32_t off, uint32_t len, int32_t id, bool at_start);

typedef struct {
    tk_buf text;
    tk_pieces a, b;
    tk_spans spans;
    tk_buf tmp, tmp2;
    pcre2_match_data *md;
    tk_ids ids;
    /* scratch for models */
    void *sym;
    size_t sym_cap;
    void *heap;
    size_t heap_cap;
} tk_ctx;
tk_ctx *tk_ctx_new(void);
void tk_ctx_free(tk_ctx *c);

/* ---- normalizers ---- */
typedef struct tk_norm tk_norm;
tk_norm *tk_norm_from_json(const tk_load *L, json_object *o, const char *where);
void tk_norm_free(tk_norm *n);
/* Appends the normalized S to OUT. */
int tk_norm_apply(const tk_norm *n, const char *s, size_t len, tk_buf *out, tk_ctx *c);

/* ---- pre-tokenizers ---- */
typedef struct tk_pretok tk_pretok;
tk_pretok *tk_pretok_from_json(const tk_load *L, json_object *o, const char *where);
void tk_pretok_free(tk_pretok *p);
/* Splits the pieces of C->a (those without an id) in place. */
int tk_pretok_apply(const tk_pretok *p, tk_ctx *c);

/* ---- models ---- */
typedef struct tk_model tk_model;
tk_model *tk_model_from_json(const tk_load *L, json_object *o);
void tk_model_free(tk_model *m);
/* Appends the ids of one pre-tokenized word to C->ids. */
int tk_model_tokenize(const tk_model *m, tk_ctx *c, const char *s, size_t n);
int32_t tk_model_token_to_id(const tk_model *m, const char *s, size_t n);
const char *tk_model_id_to_token(const tk_model *m, int32_t id, size_t *len);
size_t tk_model_vocab_size(const tk_model *m);
int32_t tk_model_unk_id(const tk_model *m);

/* ---- post-processors ---- */
typedef struct tk_post tk_post;
struct em_tokenizer;
tk_post *tk_post_from_json(const tk_load *L, json_object *o, const char *where,
                           const struct em_tokenizer *tok);
void tk_post_free(tk_post *p);
/* Adds the special tokens around IDS (single sequence). */
int tk_post_apply(const tk_post *p, tk_ids *ids);
/* A BOS-like id the template puts first, or -1. */
int32_t tk_post_first_special(const tk_post *p);

/* ---- decoders ---- */
typedef struct tk_dec tk_dec;
tk_dec *tk_dec_from_json(const tk_load *L, json_object *o, const char *where);
void tk_dec_free(tk_dec *d);
/* TOKS: an array of N malloc'd strings (with lengths); replaced in place by
 * the decoded chain. Returns the new count or -1. */
typedef struct {
    char *s;
    size_t n;
} tk_str;
int tk_dec_chain(const tk_dec *d, tk_str **toks, size_t *n, size_t *cap, tk_ctx *c);

/* ---- added tokens ---- */
typedef struct {
    char *content;
    size_t len;
    int32_t id;
    bool special, single_word, lstrip, rstrip, normalized;
} tk_added;

struct em_tokenizer {
    tk_model *model;
    tk_norm *norm;
    tk_pretok *pretok;
    tk_post *post;
    tk_dec *dec;
    tk_added *added;
    size_t n_added;
    tk_strmap added_map; /* content -> index in added */
    int32_t *added_by_id; /* id -> index in added, for ids >= added_base */
    int32_t added_lo, added_hi; /* id range covered by added_by_id */
    /* matchers for the two passes: raw text, then normalized text */
    struct tk_trie *trie_raw, *trie_norm;
    int32_t bos, eos, pad, unk;
    /* encode scratch: reused by one thread at a time, else a fresh one */
    tk_ctx *spare;
    int spare_lock;
    /* BPE word cache lives in the model */
};

/* Added-token matcher: leftmost-longest over a set of strings. */
struct tk_trie;
struct tk_trie *tk_trie_new(void);
int tk_trie_add(struct tk_trie *t, const char *s, size_t n, int32_t val);
/* Longest entry starting at S; returns its value or -1, and its length. */
int32_t tk_trie_match(const struct tk_trie *t, const char *s, size_t n, size_t *len);
void tk_trie_free(struct tk_trie *t);
int tk_added_split(const em_tokenizer *tok, tk_ctx *c, bool normalized_pass);

/* ---- files ---- */
char *tk_read_file(const char *path, size_t *len); /* NUL-terminated */
json_object *tk_parse_json(const char *src, const char *s, size_t n);
bool tk_is_dir(const char *path);

#endif
