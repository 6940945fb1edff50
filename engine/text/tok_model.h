/* The model behind tk_model: shared by BPE, WordPiece, WordLevel and Unigram. */
#ifndef EMBER_TEXT_TOK_MODEL_H
#define EMBER_TEXT_TOK_MODEL_H

#include <pthread.h>

#include "tok.h"

enum { M_BPE, M_WORDPIECE, M_WORDLEVEL, M_UNIGRAM };

struct tk_model {
    int kind;
    tk_strmap vocab;  /* token -> id */
    int32_t *id2e;    /* id -> entry of vocab, -1 for holes */
    size_t n_ids;     /* 1 + the largest id */
    int32_t unk;      /* -1: none */
    char *unk_token;
    /* BPE */
    tk_u64map merges; /* (left id << 32 | right id) -> (rank << 32 | new id) */
    char *prefix, *suffix;
    bool fuse_unk, byte_fallback, ignore_merges;
    int32_t byte_ids[256]; /* <0xXX> tokens, -1 if absent */
    bool all_bytes;        /* every <0xXX> exists */
    /* word cache: word -> offset in cache_ids (count, then ids) */
    pthread_mutex_t lock;
    tk_strmap cache;
    tk_ids cache_ids;
    /* WordPiece */
    int64_t max_chars;
    /* Unigram */
    double *scores;
    double min_score;
    size_t max_piece;
};

int tk_bpe_load(const tk_load *L, tk_model *m, json_object *o);
int tk_bpe_tokenize(const tk_model *m, tk_ctx *c, const char *s, size_t n);
int tk_unigram_load(const tk_load *L, tk_model *m, json_object *o);
int tk_unigram_tokenize(const tk_model *m, tk_ctx *c, const char *s, size_t n);
/* Builds id2e from the vocabulary; rejects absurd ids. */
int tk_model_index(const tk_load *L, tk_model *m);
/* Reads {"token": id, ...} into m->vocab. */
int tk_vocab_object(const tk_load *L, tk_model *m, json_object *v);

#endif
