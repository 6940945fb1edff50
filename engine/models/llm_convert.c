/* Conversion to an MLX-community style quantized folder: the matrices of the
 * linear layers and the token embedding quantized (MLX affine, scales and
 * biases in the weights' type), everything else as it was; config.json gains
 * "quantization"; tokenizer files are copied. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error_internal.h"
#include "llm_internal.h"

static bool ends_with(const char *s, const char *t)
{
    size_t a = strlen(s), b = strlen(t);
    return a >= b && !strcmp(s + a - b, t);
}

/* Which 2-d weights are matrices of linear layers or the token embedding. */
static bool quantizable(const em_llm *m, const char *name, em_array *a, int gs)
{
    if (em_array_ndim(a) != 2 || !em_dtype_is_float(em_array_dtype(a)) || !ends_with(name, ".weight"))
        return false;
    if (m->arch == ARCH_GPT2 && ends_with(name, "wpe.weight"))
        return false;
    bool conv1d = m->arch == ARCH_GPT2 && !ends_with(name, "wte.weight");
    int64_t k = conv1d ? em_array_dim(a, 0) : em_array_dim(a, 1);
    return k % gs == 0;
}

int em_llm_convert(const char *src, const char *out, int bits, int gs)
{
    if (!src || !out)
        return em__error("convert: no model or output folder");
    if (bits != 2 && bits != 3 && bits != 4 && bits != 6 && bits != 8)
        return em__error("convert: %d bits is not supported (4 or 8; 2, 3, 6 too)", bits);
    if (gs != 32 && gs != 64 && gs != 128)
        return em__error("convert: group size %d is not supported (32, 64 or 128)", gs);
    em_llm *m = em_llm_load(src, NULL, NULL);
    if (!m)
        return -1;
    if (m->qbits) {
        em_llm_free(m);
        return em__error("convert: %s is already quantized (%d bits)", src, m->qbits);
    }
    if (mkdir(out, 0755) < 0 && errno != EEXIST) {
        em_llm_free(m);
        return em__error("convert: cannot create %s: %s", out, strerror(errno));
    }
    int n = em_tree_size(m->weights), cnt = 0, rc = 0;
    char **names = calloc(3 * (size_t)n, sizeof *names);
    em_array **arrs = calloc(3 * (size_t)n, sizeof *arrs);
    if (!names || !arrs)
        rc = em__error("out of memory");
    for (int i = 0; i < n && rc == 0; i++) {
        const char *name = em_tree_name(m->weights, i);
        em_array *a = em_tree_at(m->weights, i);
        if (!quantizable(m, name, a, gs)) {
            names[cnt] = strdup(name);
            arrs[cnt++] = em_retain(a);
            continue;
        }
        em_scope *sco = em_scope_begin();
        em_array *w = a, *wq = NULL, *sc = NULL, *bi = NULL;
        bool conv1d = m->arch == ARCH_GPT2 && !ends_with(name, "wte.weight");
        if (conv1d)
            w = em_contiguous(em_transpose(a, NULL)); /* MLX keeps linear weights (out, in) */
        if (em_quantize(w, gs, bits, &wq, &sc, &bi) < 0) {
            rc = -1;
        } else {
            em_array *three[3] = {wq, sc, bi};
            rc = em_eval_many(three, 3);
            size_t l = strlen(name) - strlen(".weight");
            const char *suf[3] = {".weight", ".scales", ".biases"};
            for (int j = 0; j < 3; j++) {
                names[cnt] = malloc(l + 8);
                memcpy(names[cnt], name, l);
                strcpy(names[cnt] + l, suf[j]);
                arrs[cnt++] = em_retain(three[j]);
            }
        }
        em_scope_end(sco);
    }
    if (rc == 0) {
        char *p = llm__path(out, "model.safetensors");
        const char *mk[1] = {"format"}, *mv[1] = {"mlx"};
        rc = em_save_safetensors(p, (const char *const *)names, arrs, cnt, mk, mv, 1);
        free(p);
    }
    for (int i = 0; i < cnt; i++) {
        free(names[i]);
        em_release(arrs[i]);
    }
    free(names);
    free(arrs);
    if (rc == 0) {
        char *cp = llm__path(src, "config.json");
        json_object *cfg = llm__json_file(cp);
        free(cp);
        if (!cfg) {
            rc = em__error("convert: cannot read %s/config.json", src);
        } else {
            for (int k = 0; k < 2; k++) {
                json_object *q = json_object_new_object();
                json_object_object_add(q, "group_size", json_object_new_int(gs));
                json_object_object_add(q, "bits", json_object_new_int(bits));
                json_object_object_add(cfg, k ? "quantization_config" : "quantization", q);
            }
            char *op = llm__path(out, "config.json");
            if (json_object_to_file_ext(op, cfg, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) < 0)
                rc = em__error("convert: cannot write %s", op);
            free(op);
            json_object_put(cfg);
        }
    }
    static const char *const copy[] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                       "generation_config.json", "tokenizer.model", "vocab.json",
                                       "merges.txt", "chat_template.jinja", "chat_template.json"};
    for (size_t i = 0; i < sizeof copy / sizeof *copy && rc == 0; i++) {
        char *a = llm__path(src, copy[i]), *b = llm__path(out, copy[i]);
        struct stat sb;
        if (a && b && stat(a, &sb) == 0)
            rc = llm__copy_file(a, b);
        free(a);
        free(b);
    }
    em_llm_free(m);
    return rc;
}
