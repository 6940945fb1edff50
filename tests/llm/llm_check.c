/* llm-check DIR...: for each model folder (made by make_models.py, with
 * reference.safetensors from the plain-torch forward passes): logits of the
 * whole sequence in one pass and through the KV cache in small chunks (the
 * cache grown in small steps), both within 1e-4 of the reference; 32 greedy
 * tokens identical through a session (prefix reuse checked by a second run);
 * sampling deterministic for a seed; a worker-thread session cancelled. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/ember.h"
#include "ember/llm.h"
#include "llm_test.h"

typedef struct {
    int32_t ids[256];
    int n;
    int cancel_after;
} collect;

static bool on_tok(void *u, int32_t id, const char *text, size_t len)
{
    collect *c = u;
    if (id >= 0 && c->n < 256)
        c->ids[c->n++] = id;
    return c->cancel_after <= 0 || c->n < c->cancel_after;
}

static void check_model(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/reference.safetensors", dir);
    em_safetensors *st = em_safetensors_open(path);
    em_llm *m = st ? em_llm_load(dir, NULL, NULL) : NULL;
    CHECK(m, "%s: %s", dir, em_error_message());
    if (!m) {
        em_safetensors_close(st);
        em_error_clear();
        return;
    }
    int64_t np, nt, nall;
    int32_t *prompt = read_i32(st, "prompt", &np), *toks = read_i32(st, "tokens", &nt),
            *all = read_i32(st, "ids", &nall);
    em_array *ref = em_safetensors_get(st, "logits");
    int64_t V = em_llm_vocab_size(m);
    const float *rl = em_array_data(ref);
    /* 1. one pass over the whole sequence */
    em_array *lg = em_llm_forward(m, all, nall, NULL, true);
    double d1 = lg ? max_diff(lg, rl, nall * V) : INFINITY;
    CHECK(d1 <= 1e-4, "%s: logits (one pass) differ by %g: %s", dir, d1, em_error_message());
    em_release(lg);
    /* 2. through the cache, 3 tokens at a time, grown 16 positions at a time */
    em_llm_cache *c = em_llm_cache_new(m, 16);
    double d2 = 0;
    for (int64_t i = 0; i < nall; i += 3) {
        int64_t k = nall - i < 3 ? nall - i : 3;
        em_array *l = em_llm_forward(m, all + i, k, c, true);
        d2 = fmax(d2, l ? max_diff(l, rl + i * V, k * V) : INFINITY);
        em_release(l);
    }
    CHECK(d2 <= 1e-4, "%s: logits (cached, chunks of 3) differ by %g: %s", dir, d2, em_error_message());
    CHECK(em_llm_cache_length(c) == nall && em_llm_cache_capacity(c) == (nall + 15) / 16 * 16,
          "%s: cache length %lld capacity %lld", dir, (long long)em_llm_cache_length(c),
          (long long)em_llm_cache_capacity(c));
    em_llm_cache_free(c);
    /* 2b. through the cache one token at a time (decoding's one-token path:
     * direct matvecs, residual adds, norms and activation in plain loops) */
    c = em_llm_cache_new(m, 16);
    double d3 = 0;
    for (int64_t i = 0; i < nall; i++) {
        em_array *l = em_llm_forward(m, all + i, 1, c, false);
        d3 = fmax(d3, l ? max_diff(l, rl + i * V, V) : INFINITY);
        em_release(l);
    }
    CHECK(d3 <= 1e-4, "%s: logits (cached, one token at a time) differ by %g: %s", dir, d3,
          em_error_message());
    em_llm_cache_free(c);
    /* 3. greedy generation through a session, prefill in chunks of 5 */
    em_llm_session *s = em_llm_session_new(m);
    em_llm_gen_params p;
    em_llm_gen_params_defaults(&p);
    p.max_tokens = (int)nt;
    p.prefill_chunk = 5;
    p.ignore_eos = true;
    collect col = {.n = 0};
    int rc = em_llm_session_generate(s, prompt, np, &p, on_tok, &col);
    CHECK(rc == 0 && col.n == nt && !memcmp(col.ids, toks, nt * sizeof *toks),
          "%s: greedy tokens differ (%d of %lld; %s)", dir, col.n, (long long)nt, em_llm_session_error(s));
    em_llm_stats stt = em_llm_session_stats(s);
    CHECK(stt.generated_tokens == nt && stt.prompt_tokens == np && stt.ttft_seconds > 0 &&
              stt.peak_memory > 0,
          "%s: stats (%lld generated, %lld prompt)", dir, (long long)stt.generated_tokens,
          (long long)stt.prompt_tokens);
    /* the conversation continues: the prompt + 10 generated tokens as the next
     * prompt reuses the cache and gives the same continuation */
    int32_t more[512];
    memcpy(more, all, (np + 10) * sizeof *more);
    collect col2 = {.n = 0};
    p.max_tokens = 5;
    rc = em_llm_session_generate(s, more, np + 10, &p, on_tok, &col2);
    stt = em_llm_session_stats(s);
    CHECK(rc == 0 && col2.n == 5 && !memcmp(col2.ids, toks + 10, 5 * sizeof *toks) &&
              stt.reused_tokens == np + 10 - 1,
          "%s: continued generation (reused %lld)", dir, (long long)stt.reused_tokens);
    /* 4. sampling is deterministic for a seed; a worker can be cancelled */
    em_llm_session_reset(s);
    p.max_tokens = 12;
    p.sampler.temperature = 0.8;
    p.sampler.top_k = 40;
    p.sampler.top_p = 0.9;
    p.sampler.min_p = 0.02;
    p.sampler.repetition_penalty = 1.1;
    p.sampler.seed = 7;
    collect a = {.n = 0}, b = {.n = 0};
    em_llm_session_generate(s, prompt, np, &p, on_tok, &a);
    em_llm_session_reset(s);
    rc = em_llm_session_start(s, prompt, np, &p, on_tok, &b);
    CHECK(rc == 0 && em_llm_session_wait(s) == 0 && a.n == 12 && b.n == 12 &&
              !memcmp(a.ids, b.ids, sizeof a.ids[0] * 12),
          "%s: sampling with a seed is not repeatable", dir);
    collect cc = {.n = 0, .cancel_after = 3};
    p.max_tokens = 30;
    rc = em_llm_session_start(s, prompt, np, &p, on_tok, &cc);
    em_llm_session_wait(s);
    CHECK(rc == 0 && cc.n == 3 && !strcmp(em_llm_session_stats(s).stop_reason, "cancelled"),
          "%s: cancel (%d tokens, %s)", dir, cc.n, em_llm_session_stats(s).stop_reason);
    em_llm_session_free(s);
    printf("%s %s: logits %.2g / %.2g / %.2g (one pass / cached / token by token), %lld greedy tokens\n",
           failures ? "..." : "ok", dir, d1, d2, d3, (long long)nt);
    free(prompt);
    free(toks);
    free(all);
    em_release(ref);
    em_safetensors_close(st);
    em_llm_free(m);
}

static void check_errors(const char *tmp)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/nonexistent-model", tmp);
    CHECK(!em_llm_load(dir, NULL, NULL) && strstr(em_error_message(), "config.json"), "missing folder: %s",
          em_error_message());
    em_error_clear();
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: llm-check DIR...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        check_model(argv[i]);
    check_errors(argv[1]);
    em_memory_stats ms = em_memory_stats_get();
    CHECK(ms.active == 0, "memory still active: %zu bytes", ms.active);
    printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
