/* llm-gpu-check DIR...: language models on the gpu device (lavapipe here).
 * For each model folder (made by make_models.py, with reference.safetensors
 * from the plain-torch forward passes):
 *  - loaded with the gpu as the thread's device, the model says it is on the
 *    gpu and its weights are in GPU memory (em_memory_stats gpu_active);
 *  - the logits of one pass over the sequence, and of the first generation
 *    step through the KV cache, within 1e-3 of the reference;
 *  - 16 greedy tokens identical to the CPU's (same API, a cpu-loaded model)
 *    and to the reference's, with no op falling back to the CPU;
 *  - decoding uploads no weights: the bytes copied from host arrays into GPU
 *    memory per generated token (ids, scalars) stay far below the smallest
 *    weight matrix;
 *  - a session on a worker thread still runs on the gpu; moving the model to
 *    the cpu and back gives the same tokens. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array_internal.h"
#include "ember/ember.h"
#include "ember/gpu.h"
#include "ember/llm.h"
#include "llm_test.h"

uint64_t em__vk_fallbacks(int prim);

#define NGEN 16

static uint64_t all_fallbacks(void)
{
    uint64_t n = 0;
    for (int p = 0; p < EM_P_COUNT; p++)
        n += em__vk_fallbacks(p);
    return n;
}

typedef struct {
    int32_t ids[NGEN];
    uint64_t uploaded[NGEN]; /* em_gpu_upload_bytes() when each token came */
    int n;
} collect;

static bool on_tok(void *u, int32_t id, const char *text, size_t len)
{
    (void)text;
    (void)len;
    collect *c = u;
    if (id >= 0 && c->n < NGEN) {
        c->uploaded[c->n] = em_gpu_upload_bytes();
        c->ids[c->n++] = id;
    }
    return true;
}

static int generate(em_llm *m, const int32_t *prompt, int64_t np, collect *c, bool worker)
{
    em_llm_session *s = em_llm_session_new(m);
    em_llm_gen_params p;
    em_llm_gen_params_defaults(&p);
    p.max_tokens = NGEN;
    p.ignore_eos = true;
    memset(c, 0, sizeof *c);
    int rc = !s ? -1
             : worker ? (em_llm_session_start(s, prompt, np, &p, on_tok, c) < 0 ? -1 : em_llm_session_wait(s))
                      : em_llm_session_generate(s, prompt, np, &p, on_tok, c);
    if (rc < 0)
        printf("  generate: %s\n", s ? em_llm_session_error(s) : em_error_message());
    em_llm_session_free(s);
    return rc;
}

static void check_model(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/reference.safetensors", dir);
    em_safetensors *st = em_safetensors_open(path);
    CHECK(st, "%s: %s", dir, em_error_message());
    if (!st) {
        em_error_clear();
        return;
    }
    int64_t np, nt, nall;
    int32_t *prompt = read_i32(st, "prompt", &np), *toks = read_i32(st, "tokens", &nt),
            *all = read_i32(st, "ids", &nall);
    em_array *ref = em_safetensors_get(st, "logits");
    const float *rl = em_array_data(ref);

    /* the CPU's tokens */
    em_set_default_device(em_cpu());
    em_llm *mc = em_llm_load(dir, NULL, NULL);
    CHECK(mc && em_llm_device(mc).type == EM_CPU, "%s (cpu): %s", dir, em_error_message());
    collect cpu = {0};
    if (mc)
        CHECK(generate(mc, prompt, np, &cpu, false) == 0 && cpu.n == NGEN, "%s: cpu generation", dir);
    em_llm_free(mc);

    /* on the gpu: the thread's device when the model is loaded */
    em_set_default_device(em_gpu());
    em_llm *m = em_llm_load(dir, NULL, NULL);
    em_set_default_device(em_cpu()); /* the model keeps its device */
    CHECK(m && em_llm_device(m).type == EM_GPU, "%s (gpu): %s", dir, m ? "model not on the gpu" : em_error_message());
    if (!m) {
        em_error_clear();
        goto out;
    }
    int64_t V = em_llm_vocab_size(m);
    size_t wbytes = em_llm_weight_bytes(m);
    em_memory_stats ms = em_memory_stats_get();
    CHECK(ms.gpu_active >= wbytes, "%s: %zu bytes of GPU memory in use, the weights take %zu", dir,
          ms.gpu_active, wbytes);
    /* the smallest weight matrix (bytes): per-token uploads must stay well below it */
    size_t smallest = SIZE_MAX;
    const em_tree *w = em_llm_weights(m);
    for (int i = 0; i < em_tree_size(w); i++) {
        em_array *a = em_tree_at(w, i);
        const char *nm = em_tree_name(w, i);
        size_t l = strlen(nm);
        if (em_array_ndim(a) == 2 && l > 7 && !strcmp(nm + l - 7, ".weight") && em_array_nbytes(a) < smallest)
            smallest = em_array_nbytes(a);
    }
    uint64_t fb0 = all_fallbacks();

    /* logits: one pass over the whole sequence, and the first generation
     * step (the prompt's last position) through the cache */
    em_array *lg = em_llm_forward(m, all, nall, NULL, true);
    CHECK(lg && em_array_stream(lg).device.type == EM_GPU, "%s: logits not made on the gpu", dir);
    double d1 = lg ? max_diff(lg, rl, nall * V) : INFINITY;
    CHECK(d1 <= 1e-3, "%s: gpu logits (one pass) differ from the reference by %g: %s", dir, d1,
          em_error_message());
    em_release(lg);
    em_llm_cache *c = em_llm_cache_new(m, 8);
    em_array *l1 = em_llm_forward(m, prompt, np, c, false);
    double d2 = l1 ? max_diff(l1, rl + (np - 1) * V, V) : INFINITY;
    em_release(l1);
    em_array *l2 = em_llm_forward(m, all + np, 1, c, false);
    double d3 = l2 ? max_diff(l2, rl + np * V, V) : INFINITY;
    em_release(l2);
    em_llm_cache_free(c);
    CHECK(d2 <= 1e-3 && d3 <= 1e-3, "%s: gpu logits of the first steps differ by %g, %g", dir, d2, d3);

    /* 16 greedy tokens */
    collect gpu = {0};
    CHECK(generate(m, prompt, np, &gpu, false) == 0 && gpu.n == NGEN, "%s: gpu generation", dir);
    CHECK(!memcmp(gpu.ids, cpu.ids, sizeof gpu.ids), "%s: gpu tokens differ from the cpu's", dir);
    CHECK(nt >= NGEN && !memcmp(gpu.ids, toks, sizeof gpu.ids), "%s: gpu tokens differ from the reference's", dir);
    uint64_t fb = all_fallbacks() - fb0;
    CHECK(fb == 0, "%s: %llu ops fell back to the cpu on the gpu", dir, (unsigned long long)fb);
    double per_tok = (double)(gpu.uploaded[NGEN - 1] - gpu.uploaded[0]) / (NGEN - 1);
    CHECK(per_tok < smallest / 4.0 && per_tok < 4096,
          "%s: %.0f bytes uploaded to the gpu per generated token (smallest weight: %zu bytes)", dir,
          per_tok, smallest);

    /* a session's worker thread (whose default device is the cpu) */
    collect wk = {0};
    uint64_t up0 = em_gpu_upload_bytes();
    CHECK(generate(m, prompt, np, &wk, true) == 0 && !memcmp(wk.ids, cpu.ids, sizeof wk.ids),
          "%s: worker-thread generation differs", dir);
    CHECK(em_gpu_upload_bytes() - up0 < smallest, "%s: the worker uploaded %llu bytes", dir,
          (unsigned long long)(em_gpu_upload_bytes() - up0));
    CHECK(all_fallbacks() - fb0 == 0, "%s: worker-thread ops fell back to the cpu", dir);

    /* to the cpu and back */
    collect back = {0};
    CHECK(em_llm_set_device(m, em_cpu()) == 0 && em_llm_device(m).type == EM_CPU &&
              generate(m, prompt, np, &back, false) == 0 && !memcmp(back.ids, cpu.ids, sizeof back.ids),
          "%s: moved to the cpu: %s", dir, em_error_message());
    CHECK(em_llm_set_device(m, em_gpu()) == 0 && generate(m, prompt, np, &back, false) == 0 &&
              !memcmp(back.ids, cpu.ids, sizeof back.ids),
          "%s: moved back to the gpu: %s", dir, em_error_message());
    printf("%s %s: gpu logits %.2g (one pass), %.2g / %.2g (first steps); %d tokens as the cpu's; "
           "%.0f bytes uploaded per token; weights %zu bytes\n",
           failures ? "..." : "ok", dir, d1, d2, d3, NGEN, per_tok, wbytes);
    em_llm_free(m);
out:
    free(prompt);
    free(toks);
    free(all);
    em_release(ref);
    em_safetensors_close(st);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: llm-gpu-check DIR...\n");
        return 2;
    }
    em_gpu_info info;
    if (!em_device_available(em_gpu()) || !em_gpu_get_info(&info)) {
        printf("no gpu device: %s\n", em_gpu_unavailable_reason());
        return getenv("EMBER_REQUIRE_GPU") ? 1 : 77;
    }
    printf("gpu: %s\n", info.name);
    for (int i = 1; i < argc; i++)
        check_model(argv[i]);
    em_memory_stats ms = em_memory_stats_get();
    CHECK(ms.active == 0 && ms.gpu_active == 0, "memory still active: %zu bytes, %zu on the gpu",
          ms.active, ms.gpu_active);
    printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
