/* Generation: sampling, stop conditions, streamed text, statistics, and a
 * session that keeps its KV cache between prompts and can run on a worker
 * thread. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/array_internal.h"
#include "core/error_internal.h"
#include "llm_internal.h"

void em_llm_sampler_defaults(em_llm_sampler *s)
{
    memset(s, 0, sizeof *s);
    s->temperature = 0.0;
    s->top_p = 1.0;
    s->repetition_penalty = 1.0;
}

void em_llm_gen_params_defaults(em_llm_gen_params *p)
{
    memset(p, 0, sizeof *p);
    em_llm_sampler_defaults(&p->sampler);
    p->max_tokens = 256;
    p->prefill_chunk = 512;
    p->skip_special_tokens = true;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
    float v;
    int32_t i;
} cand;

static int cand_desc(const void *a, const void *b)
{
    float x = ((const cand *)a)->v, y = ((const cand *)b)->v;
    if (x != y)
        return x > y ? -1 : 1;
    return ((const cand *)a)->i - ((const cand *)b)->i;
}

/* Picks the next id from logits (modified in place). u is uniform in [0, 1). */
/* The logits into lg: one memcpy when they are float32, row-major and in
 * host memory (decoding's case), em_array_read (element by element) else. */
static int64_t read_logits(em_array *logits, float *lg, int64_t V)
{
    if (em_eval(logits) == 0 && logits->dtype == EM_FLOAT32 && logits->size == V && logits->buf &&
        logits->buf->device == EM_CPU && em__is_row_contiguous(logits)) {
        memcpy(lg, em__data(logits), V * sizeof *lg);
        return V;
    }
    return em_array_read(logits, EM_FLOAT32, lg, V);
}

/* The first index of the largest of lg[0 .. V) (NaNs never win, as with a
 * loop keeping i when lg[i] > lg[best]), in two passes the compiler
 * vectorises: that loop waited on each comparison, 0.1 ms a token over
 * Qwen's 151936 logits. */
static int32_t argmax(const float *lg, int64_t V)
{
    float m = lg[0], part[16];
    for (int l = 0; l < 16; l++)
        part[l] = m;
    int64_t i = 1;
    for (; i + 16 <= V; i += 16)
        for (int l = 0; l < 16; l++)
            part[l] = lg[i + l] > part[l] ? lg[i + l] : part[l];
    for (; i < V; i++)
        m = lg[i] > m ? lg[i] : m;
    for (int l = 0; l < 16; l++)
        m = part[l] > m ? part[l] : m;
    if (m != m) /* lg[0] NaN: nothing compares greater */
        return 0;
    for (i = 0; i < V; i++)
        if (lg[i] == m)
            break;
    return (int32_t)i;
}

static int32_t sample(float *lg, int64_t V, const em_llm_sampler *sp, const int32_t *hist,
                      int64_t nh, double u, cand *buf)
{
    if (sp->repetition_penalty > 0 && sp->repetition_penalty != 1.0) {
        int64_t ctx = sp->repetition_context > 0 ? sp->repetition_context : 64;
        for (int64_t i = nh > ctx ? nh - ctx : 0; i < nh; i++) {
            int32_t t = hist[i];
            if (t < 0 || t >= V)
                continue;
            /* a token seen twice is penalised once, as HF's gather/scatter */
            bool seen = false;
            for (int64_t j = nh > ctx ? nh - ctx : 0; j < i && !seen; j++)
                seen = hist[j] == t;
            if (!seen)
                lg[t] = lg[t] > 0 ? (float)(lg[t] / sp->repetition_penalty)
                                  : (float)(lg[t] * sp->repetition_penalty);
        }
    }
    if (sp->temperature <= 0)
        return argmax(lg, V);
    float mx = -INFINITY;
    for (int64_t i = 0; i < V; i++) {
        lg[i] = (float)(lg[i] / sp->temperature);
        if (lg[i] > mx)
            mx = lg[i];
    }
    /* candidates: all, or the top k (a partial selection by threshold) */
    int64_t n = 0;
    for (int64_t i = 0; i < V; i++)
        if (lg[i] > -INFINITY)
            buf[n++] = (cand){lg[i], (int32_t)i};
    qsort(buf, n, sizeof *buf, cand_desc);
    if (sp->top_k > 0 && n > sp->top_k)
        n = sp->top_k;
    double z = 0;
    for (int64_t i = 0; i < n; i++) {
        buf[i].v = expf(buf[i].v - mx);
        z += buf[i].v;
    }
    if (sp->min_p > 0) { /* keep p >= min_p * p_max */
        double thr = sp->min_p * buf[0].v;
        int64_t k = 1;
        while (k < n && buf[k].v >= thr)
            k++;
        n = k;
        z = 0;
        for (int64_t i = 0; i < n; i++)
            z += buf[i].v;
    }
    if (sp->top_p > 0 && sp->top_p < 1) { /* smallest prefix reaching top_p */
        double c = 0;
        int64_t k = 0;
        while (k < n) {
            c += buf[k].v / z;
            k++;
            if (c >= sp->top_p)
                break;
        }
        n = k;
        z = 0;
        for (int64_t i = 0; i < n; i++)
            z += buf[i].v;
    }
    double t = u * z, c = 0;
    for (int64_t i = 0; i < n; i++) {
        c += buf[i].v;
        if (t < c)
            return buf[i].i;
    }
    return buf[n - 1].i;
}

/* ---- session ---- */

struct em_llm_session {
    em_llm *m;
    em_llm_cache *cache;
    int32_t *toks; /* what the cache holds */
    int64_t ntoks, captoks;
    em_llm_stats stats;
    atomic_bool cancel, running;
    pthread_t thread;
    bool joinable;
    int status;
    char error[1024];
    /* a worker's job */
    int32_t *job_prompt;
    int64_t job_n;
    em_llm_gen_params job_p;
    char **job_stops;
    em_llm_token_fn job_fn;
    void *job_user;
    pthread_mutex_t lock; /* guards stats for readers */
};

em_llm_session *em_llm_session_new(em_llm *m)
{
    if (!m) {
        em__error("llm session: no model");
        return NULL;
    }
    em_llm_session *s = calloc(1, sizeof *s);
    if (!s) {
        em__error("out of memory");
        return NULL;
    }
    s->m = m;
    s->cache = em_llm_cache_new(m, 256);
    if (!s->cache) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

static void free_job(em_llm_session *s)
{
    free(s->job_prompt);
    s->job_prompt = NULL;
    if (s->job_stops) {
        for (int i = 0; i < s->job_p.n_stop_strings; i++)
            free(s->job_stops[i]);
        free(s->job_stops);
        s->job_stops = NULL;
    }
}

void em_llm_session_free(em_llm_session *s)
{
    if (!s)
        return;
    em_llm_session_cancel(s);
    em_llm_session_wait(s);
    free_job(s);
    em_llm_cache_free(s->cache);
    free(s->toks);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void em_llm_session_reset(em_llm_session *s)
{
    if (!s || atomic_load(&s->running))
        return;
    em_llm_cache_trim(s->cache, 0);
    s->ntoks = 0;
}

void em_llm_session_cancel(em_llm_session *s)
{
    if (s)
        atomic_store(&s->cancel, true);
}
bool em_llm_session_running(const em_llm_session *s) { return s && atomic_load(&s->running); }
const char *em_llm_session_error(const em_llm_session *s) { return s ? s->error : ""; }

em_llm_stats em_llm_session_stats(const em_llm_session *s)
{
    em_llm_stats st = {0};
    if (!s)
        return st;
    pthread_mutex_lock((pthread_mutex_t *)&s->lock);
    st = s->stats;
    pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
    return st;
}

int64_t em_llm_session_tokens(const em_llm_session *s, const int32_t **ids)
{
    if (ids)
        *ids = s ? s->toks : NULL;
    return s ? s->ntoks : 0;
}

static int push_tok(em_llm_session *s, int32_t t)
{
    if (s->ntoks == s->captoks) {
        int64_t cap = s->captoks ? 2 * s->captoks : 1024;
        int32_t *n = realloc(s->toks, cap * sizeof *n);
        if (!n)
            return em__error("out of memory");
        s->toks = n;
        s->captoks = cap;
    }
    s->toks[s->ntoks++] = t;
    return 0;
}

/* Text held back while it could still become a stop string. */
typedef struct {
    char *buf;
    size_t len, cap;
} strbuf;

static int sb_add(strbuf *b, const char *t, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *nb = realloc(b->buf, cap);
        if (!nb)
            return em__error("out of memory");
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, t, n);
    b->len += n;
    b->buf[b->len] = 0;
    return 0;
}

/* How many bytes of held text can go out: all but a tail that is a prefix of
 * a stop string. *hit: where a stop string starts (or -1). */
static size_t releasable(const strbuf *b, char *const *stops, int ns, long *hit)
{
    *hit = -1;
    for (int i = 0; i < ns; i++) {
        if (!stops[i][0])
            continue;
        char *p = b->len ? strstr(b->buf, stops[i]) : NULL;
        if (p && (*hit < 0 || p - b->buf < *hit))
            *hit = p - b->buf;
    }
    if (*hit >= 0)
        return (size_t)*hit;
    size_t keep = 0;
    for (int i = 0; i < ns; i++) {
        size_t sl = strlen(stops[i]);
        for (size_t k = sl > 1 ? sl - 1 : 0; k > keep; k--)
            if (k <= b->len && !memcmp(b->buf + b->len - k, stops[i], k)) {
                keep = k;
                break;
            }
    }
    return b->len - keep;
}

static int generate(em_llm_session *s, const int32_t *prompt, int64_t n, const em_llm_gen_params *p,
                    char *const *stops, em_llm_token_fn fn, void *user)
{
    em_llm *m = s->m;
    double t0 = now();
    em_llm_stats st = {0};
    st.stop_reason = "length";
    em_memory_reset_peak();
    if (n <= 0)
        return em__error("generate: empty prompt");
    /* reuse the cached prefix (at least one token is run again for logits) */
    int64_t common = 0;
    while (common < s->ntoks && common < n && s->toks[common] == prompt[common])
        common++;
    if (common == n)
        common = n - 1;
    em_llm_cache_trim(s->cache, common);
    s->ntoks = common;
    st.reused_tokens = common;
    st.prompt_tokens = n - common;
    int64_t chunk = p->prefill_chunk > 0 ? p->prefill_chunk : 512;
    em_array *logits = NULL;
    int rc = 0;
    for (int64_t i = common; i < n && rc == 0; i += chunk) {
        int64_t k = n - i < chunk ? n - i : chunk;
        em_release(logits);
        logits = em_llm_forward(m, prompt + i, k, s->cache, false);
        if (!logits || em_eval(logits) < 0)
            rc = -1;
        for (int64_t j = 0; j < k && rc == 0; j++)
            rc = push_tok(s, prompt[i + j]);
        if (atomic_load(&s->cancel)) {
            st.stop_reason = "cancelled";
            break;
        }
    }
    double t1 = now();
    st.prompt_seconds = t1 - t0;
    st.prompt_tps = st.prompt_seconds > 0 ? st.prompt_tokens / st.prompt_seconds : 0;
    int64_t V = m->vocab;
    float *lg = malloc(V * sizeof *lg);
    cand *cb = malloc(V * sizeof *cb);
    if (!lg || !cb)
        rc = em__error("out of memory");
    em_array *key = em_random_key(p->sampler.seed);
    em_tokenizer_stream *ts = m->tok ? em_tokenizer_stream_new(m->tok, p->skip_special_tokens) : NULL;
    strbuf held = {0};
    bool done = rc < 0 || atomic_load(&s->cancel);
    if (atomic_load(&s->cancel))
        st.stop_reason = "cancelled";
    int64_t produced = 0;
    bool plain = p->sampler.temperature <= 0 &&
                 (p->sampler.repetition_penalty <= 0 || p->sampler.repetition_penalty == 1.0);
    while (!done && produced < p->max_tokens) {
        /* greedy without a penalty reads the logits where they are (a 600 KB
         * copy a token for Qwen's vocabulary, else) */
        const float *row = NULL;
        if (plain && em_eval(logits) == 0 && logits->dtype == EM_FLOAT32 && logits->size == V &&
            logits->buf && logits->buf->device == EM_CPU && em__is_row_contiguous(logits))
            row = em__data(logits);
        if (!row && read_logits(logits, lg, V) != V) {
            rc = -1;
            break;
        }
        double u = 0;
        if (p->sampler.temperature > 0) {
            /* one split per token: the next key and this token's uniform */
            em_scope *sc = em_scope_begin();
            int64_t z0[2] = {0, 0}, z1[2] = {1, 0}, e0[2] = {1, 2}, e1[2] = {2, 2}, one[2] = {1, 1},
                    two[1] = {2};
            em_array *sp = em_random_split(key, 2);
            em_array *next = em_reshape(em_slice(sp, z0, e0, one), 1, two);
            em_array *ua = em_random_uniform(0, NULL, 0.0, 1.0, EM_FLOAT32,
                                             em_reshape(em_slice(sp, z1, e1, one), 1, two));
            u = ua ? em_item_f32(ua) : 0;
            if (!next || em_eval(next) < 0)
                rc = -1;
            em_retain(next);
            em_scope_end(sc);
            em_release(key);
            key = next;
            if (rc < 0)
                break;
        }
        int32_t id = row ? argmax(row, V) : sample(lg, V, &p->sampler, s->toks, s->ntoks, u, cb);
        produced++;
        double tn = now();
        if (produced == 1)
            st.ttft_seconds = tn - t0;
        st.generated_tokens = produced;
        st.generate_seconds = tn - t1;
        bool eos = false;
        for (int i = 0; i < m->n_eos && !p->ignore_eos; i++)
            eos |= m->eos[i] == id;
        const char *text = "";
        size_t tl = 0;
        if (ts && !eos) {
            text = em_tokenizer_stream_step(ts, id, &tl);
            if (!text) {
                text = "";
                tl = 0;
                em_error_clear();
            }
        }
        /* stop strings: hold back what could become one */
        long hit = -1;
        size_t out = 0;
        if (p->n_stop_strings > 0) {
            sb_add(&held, text, tl);
            out = releasable(&held, stops, p->n_stop_strings, &hit);
            text = held.buf ? held.buf : "";
            tl = out;
        }
        bool go_on = true;
        pthread_mutex_lock(&s->lock);
        s->stats = st;
        pthread_mutex_unlock(&s->lock);
        if (fn)
            go_on = fn(user, id, text, tl);
        if (p->n_stop_strings > 0 && held.len) {
            memmove(held.buf, held.buf + out, held.len - out + 1);
            held.len -= out;
        }
        if (eos) {
            st.stop_reason = "eos";
            break;
        }
        if (hit >= 0) {
            st.stop_reason = "stop string";
            push_tok(s, id);
            break;
        }
        if (!go_on || atomic_load(&s->cancel)) {
            st.stop_reason = "cancelled";
            push_tok(s, id);
            break;
        }
        if (produced >= p->max_tokens) {
            push_tok(s, id); /* not run through the model: the next prompt runs it */
            break;
        }
        em_release(logits);
        logits = em_llm_forward(m, &id, 1, s->cache, false);
        if (!logits || em_eval(logits) < 0 || push_tok(s, id) < 0) {
            rc = -1;
            break;
        }
    }
    /* whatever the stream or the stop-string buffer still holds */
    if (rc == 0 && strcmp(st.stop_reason, "stop string")) {
        size_t tl = 0;
        const char *t = ts ? em_tokenizer_stream_flush(ts, &tl) : NULL;
        if (t && tl)
            sb_add(&held, t, tl);
        if (held.len && fn)
            fn(user, -1, held.buf, held.len);
    }
    if (em_llm_cache_length(s->cache) < s->ntoks)
        s->ntoks = em_llm_cache_length(s->cache); /* the last token is not in the cache */
    free(held.buf);
    em_tokenizer_stream_free(ts);
    em_release(key);
    em_release(logits);
    free(lg);
    free(cb);
    double t2 = now();
    st.generate_seconds = t2 - t1;
    st.generate_tps = st.generate_seconds > 0 && produced > 1
                          ? (produced - 1) / (t2 - t1 - (st.ttft_seconds - st.prompt_seconds))
                          : 0;
    st.peak_memory = em_memory_stats_get().peak;
    if (rc < 0)
        st.stop_reason = "error";
    pthread_mutex_lock(&s->lock);
    s->stats = st;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int em_llm_session_generate(em_llm_session *s, const int32_t *prompt, int64_t n,
                            const em_llm_gen_params *p, em_llm_token_fn fn, void *user)
{
    if (!s || !prompt)
        return em__error("generate: no session or prompt");
    if (atomic_load(&s->running))
        return em__error("generate: the session is already generating");
    em_llm_gen_params def;
    if (!p) {
        em_llm_gen_params_defaults(&def);
        p = &def;
    }
    atomic_store(&s->cancel, false);
    int rc = generate(s, prompt, n, p, (char *const *)p->stop_strings, fn, user);
    s->status = rc;
    snprintf(s->error, sizeof s->error, "%s", rc < 0 ? em_error_message() : "");
    return rc;
}

static void *worker(void *arg)
{
    em_llm_session *s = arg;
    int rc = generate(s, s->job_prompt, s->job_n, &s->job_p, s->job_stops, s->job_fn, s->job_user);
    s->status = rc;
    snprintf(s->error, sizeof s->error, "%s", rc < 0 ? em_error_message() : "");
    if (rc < 0)
        em_error_clear();
    atomic_store(&s->running, false);
    return NULL;
}

int em_llm_session_start(em_llm_session *s, const int32_t *prompt, int64_t n,
                         const em_llm_gen_params *p, em_llm_token_fn fn, void *user)
{
    if (!s || !prompt || n <= 0)
        return em__error("generate: no session or prompt");
    if (atomic_load(&s->running))
        return em__error("generate: the session is already generating");
    em_llm_session_wait(s);
    free_job(s);
    if (p)
        s->job_p = *p;
    else
        em_llm_gen_params_defaults(&s->job_p);
    s->job_prompt = malloc(n * sizeof *prompt);
    s->job_stops = calloc(s->job_p.n_stop_strings + 1, sizeof *s->job_stops);
    if (!s->job_prompt || !s->job_stops) {
        free_job(s);
        return em__error("out of memory");
    }
    memcpy(s->job_prompt, prompt, n * sizeof *prompt);
    for (int i = 0; i < s->job_p.n_stop_strings; i++)
        s->job_stops[i] = strdup(p->stop_strings[i]);
    s->job_p.stop_strings = (const char *const *)s->job_stops;
    s->job_n = n;
    s->job_fn = fn;
    s->job_user = user;
    atomic_store(&s->cancel, false);
    atomic_store(&s->running, true);
    memset(&s->stats, 0, sizeof s->stats);
    if (pthread_create(&s->thread, NULL, worker, s) != 0) {
        atomic_store(&s->running, false);
        return em__error("generate: cannot start a worker thread");
    }
    s->joinable = true;
    return 0;
}

int em_llm_session_wait(em_llm_session *s)
{
    if (!s)
        return -1;
    if (s->joinable) {
        pthread_join(s->thread, NULL);
        s->joinable = false;
    }
    return s->status;
}

int em_llm_encode_prompt(const em_llm *m, const char *text, const char *messages_json,
                         int32_t **ids, int64_t *n)
{
    if (!m || !ids || !n)
        return em__error("encode prompt: no model");
    if (!m->tok)
        return em__error("encode prompt: %s has no tokenizer.json", m->dir);
    char *rendered = NULL;
    bool special = true;
    if (messages_json) {
        if (!m->tmpl)
            return em__error("encode prompt: %s has no chat template", m->dir);
        rendered = em_chat_template_render(m->tmpl, messages_json, true);
        if (!rendered)
            return -1;
        text = rendered;
        special = false;
    }
    if (!text) {
        free(rendered);
        return em__error("encode prompt: no text");
    }
    size_t cnt = 0;
    int rc = em_tokenizer_encode(m->tok, text, strlen(text), special, ids, &cnt);
    *n = (int64_t)cnt;
    free(rendered);
    return rc;
}
