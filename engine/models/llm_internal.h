/* Language models: the loaded model (shared by llm.c, llm_generate.c and
 * llm_convert.c). */
#ifndef EMBER_MODELS_LLM_INTERNAL_H
#define EMBER_MODELS_LLM_INTERNAL_H

#include <json-c/json.h>

#include "ember/ember.h"
#include "ember/llm.h"

typedef enum { ARCH_LLAMA, ARCH_QWEN2, ARCH_QWEN3, ARCH_GEMMA2, ARCH_GEMMA3, ARCH_PHI3, ARCH_GPT2 } llm_arch;
typedef enum { NORM_RMS, NORM_RMS_GEMMA, NORM_LAYER } llm_norm_kind;
typedef enum { ACT_SILU, ACT_GELU_TANH, ACT_GELU } llm_act;

/* A linear map: dense w (N, K) (or (K, N) when in_out: GPT-2's Conv1D), or
 * MLX-quantized w/scales/biases; optional bias (float32). */
typedef struct llm_linear llm_linear;
struct llm_linear {
    em_array *w, *scales, *biases, *bias;
    int bits, group_size;
    bool in_out;
    /* the linears a one-token step multiplies next (1 to 3 sharing an input):
     * their first weights are prefetched as this one ends */
    const llm_linear *then[3];
    int n_then;
};

typedef struct {
    em_array *w, *b; /* float32; gemma: 1 + w */
} llm_norm;

typedef struct {
    llm_norm ln_in, ln_post_attn, ln_pre_ff, ln_post_ff; /* pre/post only for gemma */
    llm_norm q_norm, k_norm;                              /* qwen3, gemma3 */
    llm_linear q, k, v, o, qkv, gate, up, gate_up, down;
    bool sliding;
    double rope_base, rope_scale, rope_mscale;
    em_array *rope_freqs; /* float32 (dims/2) or NULL */
} llm_layer;

struct em_llm {
    char *dir;
    char model_type[64];
    llm_arch arch;
    int64_t hidden, n_layers, n_heads, n_kv_heads, head_dim, inter, vocab, max_pos;
    int rope_dims;
    double eps, attn_scale, attn_softcap, final_softcap, embed_scale;
    int64_t sliding_window;
    llm_norm_kind norm_kind;
    llm_act act;
    int qbits, qgroup;
    em_tree *weights;
    llm_linear embed, lm_head; /* lm_head.w == embed.w when tied */
    em_array *wpe;             /* gpt2 positions, float32 */
    llm_norm final_norm;
    llm_layer *layers;
    em_tokenizer *tok;
    em_chat_template *tmpl;
    int32_t eos[16];
    int n_eos;
    em_device device; /* where the weights live and the forward pass runs */
};

struct em_llm_cache {
    const em_llm *m;
    int64_t len, cap, step;
    em_array **k, **v; /* per layer (1, Hkv, cap, D) float32 */
};

/* json helpers */
json_object *llm__json_file(const char *path);
char *llm__path(const char *dir, const char *name);
int llm__copy_file(const char *src, const char *dst);

#endif
