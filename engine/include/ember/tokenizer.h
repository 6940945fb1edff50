/* Tokenizers: Hugging Face tokenizer.json files and chat templates.
 *
 * em_tokenizer reads a tokenizer.json as the `tokenizers` library does (BPE,
 * byte-level or with byte fallback; WordPiece; Unigram; their normalizers,
 * pre-tokenizers, post-processors, decoders and added tokens) and gives the
 * same ids. em_chat_template renders tokenizer_config.json's `chat_template`
 * with a small Jinja interpreter.
 *
 * All functions return NULL / -1 on failure and leave a message in
 * em_error_message(). Returned strings and arrays are malloc'd: free() them.
 * A tokenizer may be shared by threads for encode/decode once loaded. */
#ifndef EMBER_TOKENIZER_H
#define EMBER_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct em_tokenizer em_tokenizer;

/* PATH is a tokenizer.json or a folder holding one (and, optionally,
 * tokenizer_config.json, which names the BOS/EOS/PAD tokens). */
em_tokenizer *em_tokenizer_load(const char *path);
/* The text of a tokenizer.json. */
em_tokenizer *em_tokenizer_load_string(const char *json, size_t len);
void em_tokenizer_free(em_tokenizer *tok);

/* Encodes LEN bytes of TEXT (invalid UTF-8 is replaced by U+FFFD as
 * `tokenizers` does when given the lossy string). On success *IDS is a
 * malloc'd array of *N_IDS ids (NULL when empty); returns 0, or -1. */
int em_tokenizer_encode(const em_tokenizer *tok, const char *text, size_t len,
                        bool add_special_tokens, int32_t **ids, size_t *n_ids);

/* Decodes N ids to a malloc'd NUL-terminated string (*OUT_LEN, if given,
 * receives its length). Unknown ids are skipped, as `tokenizers` does. */
char *em_tokenizer_decode(const em_tokenizer *tok, const int32_t *ids, size_t n,
                          bool skip_special_tokens, size_t *out_len);

/* Vocabulary size, added tokens included. */
size_t em_tokenizer_vocab_size(const em_tokenizer *tok);
/* -1 if the token is not in the vocabulary. */
int32_t em_tokenizer_token_to_id(const em_tokenizer *tok, const char *token);
/* The token's text (owned by the tokenizer), or NULL for an unknown id. */
const char *em_tokenizer_id_to_token(const em_tokenizer *tok, int32_t id);
/* true for added tokens marked special. */
bool em_tokenizer_is_special(const em_tokenizer *tok, int32_t id);

/* Special tokens named by tokenizer_config.json (when loaded from a folder or
 * beside the file), else by the post-processor's template or common names.
 * -1 where there is none. */
int32_t em_tokenizer_bos_id(const em_tokenizer *tok);
int32_t em_tokenizer_eos_id(const em_tokenizer *tok);
int32_t em_tokenizer_pad_id(const em_tokenizer *tok);
int32_t em_tokenizer_unk_id(const em_tokenizer *tok);

/* Streaming decode: feed ids one at a time; text comes out as soon as it is
 * whole UTF-8 (partial characters are held back). */
typedef struct em_tokenizer_stream em_tokenizer_stream;
em_tokenizer_stream *em_tokenizer_stream_new(const em_tokenizer *tok, bool skip_special_tokens);
/* Returns the new text (possibly ""), valid until the next call; NULL on error. */
const char *em_tokenizer_stream_step(em_tokenizer_stream *s, int32_t id, size_t *len);
/* Whatever is still held back (an incomplete character comes out as U+FFFD). */
const char *em_tokenizer_stream_flush(em_tokenizer_stream *s, size_t *len);
void em_tokenizer_stream_free(em_tokenizer_stream *s);

/* Chat templates (tokenizer_config.json's chat_template). */
typedef struct em_chat_template em_chat_template;

/* PATH is a tokenizer_config.json or a folder holding one. Takes the
 * template named "default" when chat_template is a list. */
em_chat_template *em_chat_template_load(const char *path);
/* A template from its source; BOS/EOS may be NULL. */
em_chat_template *em_chat_template_new(const char *source, const char *bos_token,
                                       const char *eos_token);
/* MESSAGES_JSON is a JSON array of messages, or an object whose keys become
 * template variables (messages, tools, enable_thinking, ...). bos_token,
 * eos_token, add_generation_prompt and raise_exception() are provided.
 * Returns the malloc'd prompt, or NULL (raise_exception's message, or what was
 * wrong, in em_error_message()). */
char *em_chat_template_render(const em_chat_template *t, const char *messages_json,
                              bool add_generation_prompt);
void em_chat_template_free(em_chat_template *t);

#ifdef __cplusplus
}
#endif
#endif
