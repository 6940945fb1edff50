/* Language models: Hugging Face / MLX-community model folders, a KV cache,
 * sampling and a generation session (what mlx-lm does for MLX).
 *
 * Architectures (config.json "model_type"): llama, mistral, qwen2, qwen3,
 * gemma2, gemma3_text (and gemma3 with a text_config), phi3, gpt2. Weights in
 * f32, f16 or bf16; MLX-community quantized folders (config "quantization":
 * {"group_size", "bits"} with .scales/.biases beside each quantized weight)
 * run through em_quantized_matmul, never dequantized as a whole.
 *
 * Compute type: activations, norms, attention and logits are float32 whatever
 * the weights' type; half weights are read as they are stored (converted on
 * the fly inside the products), so a bf16 model takes bf16 memory.
 *
 * Device: a model runs on the device of the calling thread's current stream
 * when it is loaded (em_set_default_device(em_gpu()) before em_llm_load puts
 * it on the GPU; cpu otherwise), or the one given to em_llm_set_device. Its
 * weights are copied to that device once, its forward passes (and the KV
 * caches they fill) run there whatever thread calls them (a session's worker
 * too). On the gpu, half weights stay half in GPU memory; quantized scales and
 * biases are kept as float32 there.
 *
 * Threads: a model may be used by one thread at a time; a session runs its
 * generation on its own worker thread (em_llm_session_start) and calls the
 * token callback there. */
#ifndef EMBER_LLM_H
#define EMBER_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ember/array.h"
#include "ember/tokenizer.h"
#include "ember/transforms.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct em_llm em_llm;

/* Loading progress: done of total tensors; return false to cancel the load. */
typedef bool (*em_llm_progress_fn)(void *user, int done, int total);

/* DIR holds config.json, *.safetensors (one file or shards with
 * model.safetensors.index.json) and the tokenizer files (optional: without
 * them the model works on ids only). NULL with an error naming the
 * architecture, the missing tensor or file otherwise. */
em_llm *em_llm_load(const char *dir, em_llm_progress_fn progress, void *user);
void em_llm_free(em_llm *m);

/* Moves the weights to device d (a copy each, once; nothing happens if they
 * are there) and runs later forward passes there. 0, or -1 with an error when
 * the device is not available. Not while the model is generating. */
int em_llm_set_device(em_llm *m, em_device d);
em_device em_llm_device(const em_llm *m);

/* "llama", "qwen3", ... as config.json says. */
const char *em_llm_model_type(const em_llm *m);
int64_t em_llm_vocab_size(const em_llm *m);
int em_llm_num_layers(const em_llm *m);
int64_t em_llm_hidden_size(const em_llm *m);
/* 0 when not quantized. */
int em_llm_quant_bits(const em_llm *m);
int em_llm_quant_group_size(const em_llm *m);
/* Bytes of weights read per generated token (every matrix once; the embedding
 * row gather not counted unless it is also the output head). */
size_t em_llm_weight_bytes(const em_llm *m);
/* The weights by their file names (borrowed). */
const em_tree *em_llm_weights(const em_llm *m);
/* NULL when the folder has no tokenizer.json / chat template (borrowed). */
const em_tokenizer *em_llm_tokenizer(const em_llm *m);
const em_chat_template *em_llm_chat_template(const em_llm *m);
/* End-of-sequence ids (config.json, generation_config.json, tokenizer). */
int em_llm_eos_ids(const em_llm *m, const int32_t **ids);

/* ---- KV cache: per layer keys and values in buffers allocated ahead,
 * grown by `step` positions (default 256) when full ---- */
typedef struct em_llm_cache em_llm_cache;
em_llm_cache *em_llm_cache_new(const em_llm *m, int64_t step);
void em_llm_cache_free(em_llm_cache *c);
/* Positions held. */
int64_t em_llm_cache_length(const em_llm_cache *c);
/* Drops positions from `length` on (0: empty). */
void em_llm_cache_trim(em_llm_cache *c, int64_t length);
/* Positions allocated. */
int64_t em_llm_cache_capacity(const em_llm_cache *c);

/* Logits (float32, lazy) for N ids following what the cache holds (cache may
 * be NULL: a fresh sequence). all: (N, vocab) for every position, else
 * (1, vocab) for the last. The cache is extended by N. */
em_array *em_llm_forward(em_llm *m, const int32_t *ids, int64_t n, em_llm_cache *cache, bool all);

/* ---- sampling ---- */
typedef struct em_llm_sampler {
    double temperature;        /* 0: greedy (argmax) */
    int top_k;                 /* 0: off */
    double top_p;              /* 1: off */
    double min_p;              /* 0: off */
    double repetition_penalty; /* 1: off (as HF: logit / p if > 0 else * p) */
    int repetition_context;    /* last N tokens the penalty looks at (0: 64) */
    uint64_t seed;
} em_llm_sampler;
void em_llm_sampler_defaults(em_llm_sampler *s);

/* ---- generation ---- */
typedef struct em_llm_gen_params {
    em_llm_sampler sampler;
    int max_tokens;            /* default 256 */
    int prefill_chunk;         /* prompt tokens per forward pass (default 512) */
    const char *const *stop_strings;  /* copied */
    int n_stop_strings;
    bool ignore_eos;
    bool skip_special_tokens;  /* in the streamed text (default true) */
} em_llm_gen_params;
void em_llm_gen_params_defaults(em_llm_gen_params *p);

typedef struct em_llm_stats {
    int64_t prompt_tokens;     /* tokens prefilled this time (cached prefix excluded) */
    int64_t reused_tokens;     /* prompt tokens found in the cache */
    int64_t generated_tokens;
    double prompt_seconds, generate_seconds;
    double prompt_tps, generate_tps;
    double ttft_seconds;       /* start to the first generated token */
    size_t peak_memory;        /* em_memory_stats peak over the run */
    const char *stop_reason;   /* "eos", "stop string", "length", "cancelled", "error" */
} em_llm_stats;

/* Called for each generated token, on the generating thread: TEXT is the new
 * decoded text (may be empty; stop strings are held back and cut), ID the
 * token, or -1 for text still held at the end (an incomplete character, text
 * held back for a stop string that did not come). Return false to stop. */
typedef bool (*em_llm_token_fn)(void *user, int32_t id, const char *text, size_t len);

/* A session keeps a model's KV cache between generations: a new prompt that
 * starts with what the cache holds (a chat continuing) prefills only the rest. */
typedef struct em_llm_session em_llm_session;
em_llm_session *em_llm_session_new(em_llm *m);
/* Waits for a running generation, then frees. Does not free the model. */
void em_llm_session_free(em_llm_session *s);
/* Generates on the calling thread. 0, or -1 with an error message. */
int em_llm_session_generate(em_llm_session *s, const int32_t *prompt, int64_t n,
                            const em_llm_gen_params *p, em_llm_token_fn fn, void *user);
/* The same on a worker thread; returns at once (-1 if one is running). */
int em_llm_session_start(em_llm_session *s, const int32_t *prompt, int64_t n,
                         const em_llm_gen_params *p, em_llm_token_fn fn, void *user);
/* Asks a running generation to stop after the current token (any thread). */
void em_llm_session_cancel(em_llm_session *s);
bool em_llm_session_running(const em_llm_session *s);
/* Waits for the worker; its status (0 / -1; the message: em_llm_session_error). */
int em_llm_session_wait(em_llm_session *s);
const char *em_llm_session_error(const em_llm_session *s);
/* Statistics of the last (or running: so far) generation. */
em_llm_stats em_llm_session_stats(const em_llm_session *s);
/* Every id of the sequence the cache holds (prompt and generated). */
int64_t em_llm_session_tokens(const em_llm_session *s, const int32_t **ids);
void em_llm_session_reset(em_llm_session *s);

/* Prompt ids: the chat template applied to MESSAGES_JSON (a JSON array of
 * {"role","content"}) with the generation prompt, or the plain text with the
 * tokenizer's special tokens when messages_json is NULL. malloc'd *ids. */
int em_llm_encode_prompt(const em_llm *m, const char *text, const char *messages_json,
                         int32_t **ids, int64_t *n);

/* ---- conversion ---- */
/* Writes an MLX-compatible quantized folder: every linear weight and the
 * embedding (last dim divisible by group_size) quantized, config.json with
 * "quantization", tokenizer files copied. 0 or -1. */
int em_llm_convert(const char *src_dir, const char *out_dir, int bits, int group_size);

#ifdef __cplusplus
}
#endif
#endif
