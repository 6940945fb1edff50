/* Text generation from a fortunes GPT checkpoint: temperature and top-k
 * sampling with keyed random numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error_internal.h"
#include "ember/data.h"
#include "ember/ember.h"
#include "ember/train.h"
#include "train/models.h"

struct em_text_model {
    em__model model;
    em_tree *params;
    uint8_t vocab[256];
    int16_t id_of[256];
};

void em_text_model_free(em_text_model *m)
{
    if (!m)
        return;
    em_tree_free(m->params);
    free(m);
}

static int meta_int(em_safetensors *st, const char *k, int *v)
{
    const char *s = em_safetensors_metadata(st, k);
    if (!s)
        return em__error("sample: the checkpoint lacks '%s'", k);
    *v = atoi(s);
    return 0;
}

em_text_model *em_text_model_load(const char *path)
{
    if (!path) {
        em__error("sample: no checkpoint given");
        return NULL;
    }
    char p[4200];
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        snprintf(p, sizeof p, "%s/checkpoint.safetensors", path);
    else
        snprintf(p, sizeof p, "%s", path);
    em_safetensors *st = em_safetensors_open(p);
    if (!st)
        return NULL;
    em_text_model *m = calloc(1, sizeof *m);
    const char *model = em_safetensors_metadata(st, "model");
    const char *hex = em_safetensors_metadata(st, "gpt.vocab");
    if (!m || !model || strcmp(model, "gpt") || !hex) {
        em__error("sample: %s is not a checkpoint of a fortunes gpt (model '%s')", p,
                  model ? model : "none");
        goto fail;
    }
    m->model.kind = EM__MODEL_GPT;
    if (meta_int(st, "gpt.n_layers", &m->model.n_layers) < 0 ||
        meta_int(st, "gpt.n_heads", &m->model.n_heads) < 0 ||
        meta_int(st, "gpt.d_model", &m->model.d_model) < 0 ||
        meta_int(st, "gpt.context", &m->model.context) < 0)
        goto fail;
    size_t hl = strlen(hex);
    if (hl % 2 || hl > 512 || hl == 0) {
        em__error("sample: %s: bad vocabulary", p);
        goto fail;
    }
    m->model.vocab = (int)(hl / 2);
    for (int i = 0; i < 256; i++)
        m->id_of[i] = -1;
    for (int i = 0; i < m->model.vocab; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            em__error("sample: %s: bad vocabulary", p);
            goto fail;
        }
        m->vocab[i] = (uint8_t)v;
        m->id_of[v] = (int16_t)i;
    }
    m->params = em_tree_new();
    for (int i = 0; i < em_safetensors_count(st); i++) {
        const char *nm = em_safetensors_name(st, i);
        if (strncmp(nm, "model.", 6))
            continue;
        int rc = 0;
        EM_SCOPE {
            em_array *a = em_multiply(em_astype(em_safetensors_get_index(st, i), EM_FLOAT32),
                                      em_scalar_f(1.0));
            if (!a || em_eval(a) < 0 || em_tree_set(m->params, nm + 6, a) < 0)
                rc = -1;
        }
        if (rc < 0)
            goto fail;
    }
    em_safetensors_close(st);
    return m;
fail:
    em_safetensors_close(st);
    em_text_model_free(m);
    return NULL;
}

int64_t em_text_model_sample(em_text_model *m, const char *prompt, int64_t max_tokens,
                             double temp, int top_k, uint64_t seed,
                             void (*on_text)(const char *text, size_t len, void *user), void *user)
{
    if (!m)
        return em__error("sample: no model");
    if (max_tokens < 0 || temp < 0 || top_k < 0)
        return em__error("sample: max tokens, temperature and top-k must not be negative");
    int T = m->model.context, V = m->model.vocab;
    size_t plen = prompt ? strlen(prompt) : 0;
    int64_t cap = (int64_t)plen + max_tokens + 1;
    int32_t *ids = malloc((size_t)cap * sizeof *ids);
    float *logits = malloc((size_t)V * sizeof *logits);
    if (!ids || !logits) {
        free(ids);
        free(logits);
        return em__error("sample: out of memory");
    }
    int64_t n = 0;
    for (size_t i = 0; i < plen; i++) {
        int id = m->id_of[(unsigned char)prompt[i]];
        if (id >= 0)
            ids[n++] = id;
    }
    if (n == 0) /* start as after a fortune's end */
        for (const char *s = "%\n"; *s; s++)
            if (m->id_of[(unsigned char)*s] >= 0)
                ids[n++] = m->id_of[(unsigned char)*s];
    if (n == 0)
        ids[n++] = 0;
    int64_t made = 0;
    int rc = 0;
    for (; made < max_tokens && rc == 0; made++) {
        int64_t start = n > T ? n - T : 0, len = n - start;
        int64_t shape[2] = {1, len};
        int next = -1;
        EM_SCOPE {
            em_array *x = em_array_from_data(ids + start, 2, shape, EM_INT32);
            em_array *lg = em__model_forward(&m->model, m->params, x);
            em_array *last = em_slice(lg, (int64_t[]){0, len - 1, 0}, (int64_t[]){1, len, V}, NULL);
            if (!last || em_array_read(last, EM_FLOAT32, logits, V) != V) {
                rc = -1;
                break;
            }
            if (temp == 0) {
                int best = 0;
                for (int i = 1; i < V; i++)
                    if (logits[i] > logits[best])
                        best = i;
                next = best;
                break;
            }
            if (top_k > 0 && top_k < V) {
                /* keep the top_k largest: find the k-th value */
                float *sorted = malloc((size_t)V * sizeof *sorted);
                memcpy(sorted, logits, (size_t)V * sizeof *sorted);
                for (int i = 0; i < top_k; i++) /* partial selection */
                    for (int j = i + 1; j < V; j++)
                        if (sorted[j] > sorted[i]) {
                            float t = sorted[i];
                            sorted[i] = sorted[j];
                            sorted[j] = t;
                        }
                float kth = sorted[top_k - 1];
                free(sorted);
                for (int i = 0; i < V; i++)
                    if (logits[i] < kth)
                        logits[i] = -INFINITY;
            }
            for (int i = 0; i < V; i++)
                logits[i] = (float)(logits[i] / temp);
            int64_t vs = V;
            em_array *l = em_array_from_data(logits, 1, &vs, EM_FLOAT32);
            em_array *c = em_random_categorical(l, 0, em_data_key(seed, 5, (uint64_t)made));
            if (!c) {
                rc = -1;
                break;
            }
            next = (int)em_item_i64(c);
        }
        if (rc < 0 || next < 0 || next >= V) {
            rc = -1;
            break;
        }
        ids[n++] = next;
        if (on_text)
            on_text((const char *)&m->vocab[next], 1, user);
    }
    free(ids);
    free(logits);
    return rc < 0 ? -1 : made;
}
