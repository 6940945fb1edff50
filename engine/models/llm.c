/* Language models: config.json and safetensors to a weight tree, and the
 * forward pass of every supported family written with ops (as mlx-lm does).
 * Activations are float32; weights stay in their stored type. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/array_internal.h"
#include "core/error_internal.h"
#include "cpu/decode.h"
#include "cpu/quantize.h"
#include "ember/gpu.h"
#include "llm_internal.h"

/* ---- small helpers ---- */

char *llm__path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

json_object *llm__json_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = 0;
    json_tokener *tk = json_tokener_new();
    json_object *o = tk ? json_tokener_parse_ex(tk, buf, (int)n) : NULL;
    if (tk && json_tokener_get_error(tk) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tk);
    free(buf);
    return o;
}

int llm__copy_file(const char *src, const char *dst)
{
    FILE *a = fopen(src, "rb");
    if (!a)
        return em__error("convert: cannot read %s: %s", src, strerror(errno));
    FILE *b = fopen(dst, "wb");
    if (!b) {
        fclose(a);
        return em__error("convert: cannot write %s: %s", dst, strerror(errno));
    }
    char buf[1 << 16];
    size_t k;
    int rc = 0;
    while ((k = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, k, b) != k) {
            rc = em__error("convert: writing %s failed", dst);
            break;
        }
    fclose(a);
    if (fclose(b) != 0 && rc == 0)
        rc = em__error("convert: writing %s failed", dst);
    return rc;
}

static json_object *jget(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
        return NULL;
    return v;
}
static int64_t jint(json_object *o, const char *key, int64_t def)
{
    json_object *v = jget(o, key);
    return v ? json_object_get_int64(v) : def;
}
static double jdbl(json_object *o, const char *key, double def)
{
    json_object *v = jget(o, key);
    return v ? json_object_get_double(v) : def;
}
static bool jbool(json_object *o, const char *key, bool def)
{
    json_object *v = jget(o, key);
    return v ? json_object_get_boolean(v) : def;
}
static const char *jstr(json_object *o, const char *key, const char *def)
{
    json_object *v = jget(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : def;
}

static void add_eos(em_llm *m, json_object *v)
{
    if (!v)
        return;
    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            add_eos(m, json_object_array_get_idx(v, i));
        return;
    }
    if (!json_object_is_type(v, json_type_int))
        return;
    int32_t id = (int32_t)json_object_get_int64(v);
    for (int i = 0; i < m->n_eos; i++)
        if (m->eos[i] == id)
            return;
    if (m->n_eos < 16)
        m->eos[m->n_eos++] = id;
}

/* ---- loading ---- */

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int load_tensors(em_llm *m, em_llm_progress_fn progress, void *user)
{
    DIR *d = opendir(m->dir);
    if (!d)
        return em__error("llm: cannot open model folder %s: %s", m->dir, strerror(errno));
    char **files = NULL;
    int nf = 0, capf = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 12 && !strcmp(e->d_name + l - 12, ".safetensors")) {
            if (nf == capf) {
                capf = capf ? 2 * capf : 8;
                char **nfiles = realloc(files, capf * sizeof *files);
                if (!nfiles)
                    break;
                files = nfiles;
            }
            files[nf++] = strdup(e->d_name);
        }
    }
    closedir(d);
    int rc = 0;
    if (nf == 0) {
        free(files);
        return em__error("llm: no .safetensors files in %s", m->dir);
    }
    qsort(files, nf, sizeof *files, cmpstr);
    /* a sharded model's index names its files: check they are all there */
    char *ip = llm__path(m->dir, "model.safetensors.index.json");
    json_object *idx = ip ? llm__json_file(ip) : NULL;
    free(ip);
    json_object *wm = jget(idx, "weight_map");
    if (wm) {
        json_object_object_foreach(wm, key, val) {
            (void)key;
            const char *fn = json_object_get_string(val);
            bool found = false;
            for (int i = 0; i < nf && !found; i++)
                found = !strcmp(files[i], fn);
            if (!found) {
                rc = em__error("llm: %s names shard %s (for %s), which is missing",
                               "model.safetensors.index.json", fn, key);
                break;
            }
        }
    }
    json_object_put(idx);
    em_safetensors **st = calloc(nf, sizeof *st);
    int total = 0;
    for (int i = 0; i < nf && rc == 0; i++) {
        char *p = llm__path(m->dir, files[i]);
        st[i] = p ? em_safetensors_open(p) : NULL;
        free(p);
        if (!st[i])
            rc = -1;
        else
            total += em_safetensors_count(st[i]);
    }
    int done = 0;
    for (int i = 0; i < nf && rc == 0; i++) {
        for (int j = 0; j < em_safetensors_count(st[i]) && rc == 0; j++) {
            const char *name = em_safetensors_name(st[i], j);
            if (em_safetensors_dtype(st[i], j) < 0)
                continue; /* not loadable and not needed by these models */
            em_array *a = em_safetensors_get_index(st[i], j); /* the load's scope owns it */
            if (!a || em_tree_set(m->weights, name, a) < 0)
                rc = -1;
            done++;
            if (progress && !progress(user, done, total))
                rc = em__error("llm: loading %s cancelled", m->dir);
        }
    }
    for (int i = 0; i < nf; i++) {
        em_safetensors_close(st ? st[i] : NULL);
        free(files[i]);
    }
    free(st);
    free(files);
    return rc;
}

static bool has(const em_llm *m, const char *name)
{
    for (int i = 0; i < em_tree_size(m->weights); i++)
        if (!strcmp(em_tree_name(m->weights, i), name))
            return true;
    return false;
}

/* A tensor by name, or an error naming it. */
static em_array *need(const em_llm *m, const char *name)
{
    if (!has(m, name)) {
        em__error("llm: %s model in %s: missing tensor %s", m->model_type, m->dir, name);
        return NULL;
    }
    return em_get(m->weights, name);
}

static em_array *as_f32(em_array *a)
{
    if (!a)
        return NULL;
    em_array *r = em_astype(a, EM_FLOAT32);
    if (!r || em_eval(r) < 0)
        return NULL;
    return em_retain(r); /* a reference of ours beside the scope's */
}

static void quant_of(json_object *q, const char *module, int *bits, int *gs)
{
    json_object *o = jget(q, module);
    if (o && json_object_is_type(o, json_type_object)) {
        *bits = (int)jint(o, "bits", *bits);
        *gs = (int)jint(o, "group_size", *gs);
    }
}

/* prefix.weight (+ .scales/.biases, + .bias). out: the expected output size
 * (N), in: the input size (K), or 0 to skip a check. */
static int load_linear(em_llm *m, json_object *qcfg, const char *prefix, llm_linear *L,
                       int64_t out, int64_t in, bool in_out, bool allow_bias)
{
    char name[512];
    memset(L, 0, sizeof *L);
    snprintf(name, sizeof name, "%s.weight", prefix);
    L->w = need(m, name);
    if (!L->w)
        return -1;
    snprintf(name, sizeof name, "%s.scales", prefix);
    if (has(m, name)) {
        L->scales = em_get(m->weights, name);
        snprintf(name, sizeof name, "%s.biases", prefix);
        if (!(L->biases = need(m, name)))
            return -1;
        L->bits = m->qbits ? m->qbits : 4;
        L->group_size = m->qgroup ? m->qgroup : 64;
        quant_of(qcfg, prefix, &L->bits, &L->group_size);
        int64_t K = em_array_dim(L->scales, -1) * L->group_size;
        if (em_array_dtype(L->w) != EM_UINT32 || em_array_ndim(L->w) != 2 ||
            em_array_dim(L->w, -1) * 32 != K * L->bits) {
            return em__error("llm: %s: quantized weight of shape [%lld, %lld] %s does not match "
                             "%d-bit groups of %d with %lld scales per row",
                             prefix, (long long)em_array_dim(L->w, 0),
                             (long long)em_array_dim(L->w, -1), em_dtype_name(em_array_dtype(L->w)),
                             L->bits, L->group_size, (long long)em_array_dim(L->scales, -1));
        }
        in_out = false; /* quantized matrices are stored (out, in) */
        if ((out && em_array_dim(L->w, 0) != out) || (in && K != in))
            return em__error("llm: %s: quantized weight is [%lld, %lld] (dequantized), expected "
                             "[%lld, %lld]",
                             prefix, (long long)em_array_dim(L->w, 0), (long long)K,
                             (long long)out, (long long)in);
    } else {
        if (!em_dtype_is_float(em_array_dtype(L->w)) || em_array_ndim(L->w) != 2)
            return em__error("llm: %s.weight: expected a 2-d float matrix, got %s with %d dims",
                             prefix, em_dtype_name(em_array_dtype(L->w)), em_array_ndim(L->w));
        int64_t r = em_array_dim(L->w, 0), c = em_array_dim(L->w, 1);
        int64_t eo = in_out ? c : r, ei = in_out ? r : c;
        if ((out && eo != out) || (in && ei != in))
            return em__error("llm: %s.weight is [%lld, %lld], expected [%lld, %lld]", prefix,
                             (long long)r, (long long)c, (long long)(in_out ? in : out),
                             (long long)(in_out ? out : in));
        if (em_array_dtype(L->w) == EM_FLOAT64) {
            em_array *w = as_f32(L->w);
            em_tree_set(m->weights, name, w); /* the tree keeps it */
            em_release(w);  /* as_f32's own reference */
            snprintf(name, sizeof name, "%s.weight", prefix);
            L->w = em_get(m->weights, name);
        }
    }
    L->in_out = in_out;
    snprintf(name, sizeof name, "%s.bias", prefix);
    if (allow_bias && has(m, name)) {
        L->bias = as_f32(em_get(m->weights, name));
        if (!L->bias)
            return -1;
    }
    return 0;
}

static int load_norm(em_llm *m, const char *prefix, llm_norm *N, int64_t size)
{
    char name[512];
    snprintf(name, sizeof name, "%s.weight", prefix);
    em_array *w = need(m, name);
    if (!w)
        return -1;
    if (em_array_ndim(w) != 1 || em_array_dim(w, 0) != size)
        return em__error("llm: %s has %d dims (first %lld), expected [%lld]", name,
                         em_array_ndim(w), (long long)em_array_dim(w, 0), (long long)size);
    if (m->norm_kind == NORM_RMS_GEMMA) {
        N->w = em_retain(em_add(em_astype(w, EM_FLOAT32), em_scalar_f(1.0)));
        if (!N->w || em_eval(N->w) < 0)
            return -1;
    } else if (!(N->w = as_f32(w))) {
        return -1;
    }
    if (m->norm_kind == NORM_LAYER) {
        snprintf(name, sizeof name, "%s.bias", prefix);
        if (!(N->b = as_f32(need(m, name))))
            return -1;
    }
    return 0;
}

/* ---- rope scaling (frequencies as HF computes them) ---- */

static int setup_rope(em_llm *m, llm_layer *ly, json_object *cfg, double base, json_object *rs)
{
    ly->rope_base = base;
    ly->rope_scale = 1.0;
    ly->rope_mscale = 1.0;
    ly->rope_freqs = NULL;
    if (!rs)
        return 0;
    const char *type = jstr(rs, "rope_type", jstr(rs, "type", "default"));
    double factor = jdbl(rs, "factor", 1.0);
    int dims = m->rope_dims, half = dims / 2;
    if (!strcmp(type, "default"))
        return 0;
    if (!strcmp(type, "linear")) {
        ly->rope_scale = 1.0 / factor;
        return 0;
    }
    double *inv = malloc(half * sizeof *inv);
    float *fr = malloc(half * sizeof *fr);
    if (!inv || !fr) {
        free(inv);
        free(fr);
        return em__error("out of memory");
    }
    for (int i = 0; i < half; i++)
        inv[i] = 1.0 / pow(base, (2.0 * i) / dims);
    if (!strcmp(type, "llama3")) {
        double lo = jdbl(rs, "low_freq_factor", 1.0), hi = jdbl(rs, "high_freq_factor", 4.0);
        double old = jdbl(rs, "original_max_position_embeddings", 8192);
        double lo_wl = old / lo, hi_wl = old / hi;
        for (int i = 0; i < half; i++) {
            double wl = 2 * M_PI / inv[i], f = inv[i];
            if (wl > lo_wl)
                f = inv[i] / factor;
            if (!(wl < hi_wl) && !(wl > lo_wl)) {
                double s = (old / wl - lo) / (hi - lo);
                f = (1 - s) * f / factor + s * f;
            }
            inv[i] = f;
        }
    } else if (!strcmp(type, "yarn")) {
        double orig = jdbl(rs, "original_max_position_embeddings", (double)m->max_pos);
        double bf = jdbl(rs, "beta_fast", 32), bs = jdbl(rs, "beta_slow", 1);
        bool truncate = jbool(rs, "truncate", true);
        double lo = dims * log(orig / (bf * 2 * M_PI)) / (2 * log(base));
        double hi = dims * log(orig / (bs * 2 * M_PI)) / (2 * log(base));
        if (truncate) {
            lo = floor(lo);
            hi = ceil(hi);
        }
        if (lo < 0)
            lo = 0;
        if (hi > dims - 1)
            hi = dims - 1;
        if (lo == hi)
            hi += 0.001;
        for (int i = 0; i < half; i++) {
            double r = ((double)i - lo) / (hi - lo);
            r = r < 0 ? 0 : r > 1 ? 1 : r;
            double ext = 1 - r; /* extrapolation weight */
            inv[i] = inv[i] / factor * (1 - ext) + inv[i] * ext;
        }
        double af = jdbl(rs, "attention_factor", 0);
        if (af == 0) {
            double ms = jdbl(rs, "mscale", 0), msa = jdbl(rs, "mscale_all_dim", 0);
#define GETM(sc, mm) ((sc) <= 1 ? 1.0 : 0.1 * (mm) * log(sc) + 1.0)
            af = ms != 0 && msa != 0 ? GETM(factor, ms) / GETM(factor, msa) : GETM(factor, 1.0);
#undef GETM
        }
        ly->rope_mscale = af;
    } else {
        free(inv);
        free(fr);
        return em__error("llm: %s model: rope_scaling type \"%s\" is not supported (linear, "
                         "llama3 and yarn are)",
                         m->model_type, type);
    }
    (void)cfg;
    for (int i = 0; i < half; i++)
        fr[i] = (float)(1.0 / inv[i]);
    int64_t sh = half;
    ly->rope_freqs = em_retain(em_array_from_data(fr, 1, &sh, EM_FLOAT32));
    free(inv);
    free(fr);
    return ly->rope_freqs ? 0 : -1;
}

static int parse_config(em_llm *m, json_object *cfg0, json_object **cfg_out)
{
    const char *mt = jstr(cfg0, "model_type", NULL);
    if (!mt)
        return em__error("llm: %s/config.json has no model_type", m->dir);
    json_object *cfg = cfg0;
    if (!strcmp(mt, "gemma3") && jget(cfg0, "text_config")) {
        cfg = jget(cfg0, "text_config");
        mt = "gemma3";
    }
    snprintf(m->model_type, sizeof m->model_type, "%s", mt);
    if (!strcmp(mt, "llama") || !strcmp(mt, "mistral"))
        m->arch = ARCH_LLAMA;
    else if (!strcmp(mt, "qwen2"))
        m->arch = ARCH_QWEN2;
    else if (!strcmp(mt, "qwen3"))
        m->arch = ARCH_QWEN3;
    else if (!strcmp(mt, "gemma2"))
        m->arch = ARCH_GEMMA2;
    else if (!strcmp(mt, "gemma3") || !strcmp(mt, "gemma3_text"))
        m->arch = ARCH_GEMMA3;
    else if (!strcmp(mt, "phi3"))
        m->arch = ARCH_PHI3;
    else if (!strcmp(mt, "gpt2"))
        m->arch = ARCH_GPT2;
    else
        return em__error("llm: unsupported architecture \"%s\" in %s/config.json (supported: "
                         "llama, mistral, qwen2, qwen3, gemma2, gemma3, gemma3_text, phi3, gpt2)",
                         mt, m->dir);
    *cfg_out = cfg;
    bool gpt2 = m->arch == ARCH_GPT2, gemma = m->arch == ARCH_GEMMA2 || m->arch == ARCH_GEMMA3;
    m->hidden = jint(cfg, gpt2 ? "n_embd" : "hidden_size", 0);
    m->n_layers = jint(cfg, gpt2 ? "n_layer" : "num_hidden_layers", 0);
    m->n_heads = jint(cfg, gpt2 ? "n_head" : "num_attention_heads", 0);
    m->n_kv_heads = jint(cfg, "num_key_value_heads", m->n_heads);
    m->vocab = jint(cfg, "vocab_size", 0);
    if (m->hidden <= 0 || m->n_layers <= 0 || m->n_heads <= 0 || m->vocab <= 0 ||
        m->n_kv_heads <= 0 || m->n_heads % m->n_kv_heads)
        return em__error("llm: %s/config.json: bad or missing sizes (hidden %lld, layers %lld, "
                         "heads %lld, kv heads %lld, vocab %lld)",
                         m->dir, (long long)m->hidden, (long long)m->n_layers,
                         (long long)m->n_heads, (long long)m->n_kv_heads, (long long)m->vocab);
    m->head_dim = jint(cfg, "head_dim", m->hidden / m->n_heads);
    m->inter = gpt2 ? jint(cfg, "n_inner", 4 * m->hidden) : jint(cfg, "intermediate_size", 0);
    m->max_pos = jint(cfg, gpt2 ? "n_positions" : "max_position_embeddings", 1 << 20);
    m->eps = gpt2 ? jdbl(cfg, "layer_norm_epsilon", 1e-5) : jdbl(cfg, "rms_norm_eps", 1e-6);
    m->rope_dims = (int)(m->head_dim * jdbl(cfg, "partial_rotary_factor", 1.0));
    m->rope_dims -= m->rope_dims % 2;
    m->attn_scale = 1.0 / sqrt((double)m->head_dim);
    if (gemma)
        m->attn_scale = 1.0 / sqrt(jdbl(cfg, "query_pre_attn_scalar", (double)m->head_dim));
    m->attn_softcap = m->arch == ARCH_GEMMA2 ? jdbl(cfg, "attn_logit_softcapping", 0) : 0;
    m->final_softcap = gemma ? jdbl(cfg, "final_logit_softcapping", 0) : 0;
    m->embed_scale = gemma ? sqrt((double)m->hidden) : 1.0;
    m->norm_kind = gpt2 ? NORM_LAYER : gemma ? NORM_RMS_GEMMA : NORM_RMS;
    const char *act = jstr(cfg, gpt2 ? "activation_function" : "hidden_activation",
                           jstr(cfg, "hidden_act", gemma || gpt2 ? "gelu_pytorch_tanh" : "silu"));
    if (!strcmp(act, "silu") || !strcmp(act, "swish"))
        m->act = ACT_SILU;
    else if (!strcmp(act, "gelu_pytorch_tanh") || !strcmp(act, "gelu_new") ||
             !strcmp(act, "gelu_fast"))
        m->act = ACT_GELU_TANH;
    else if (!strcmp(act, "gelu"))
        m->act = ACT_GELU;
    else
        return em__error("llm: %s model: activation \"%s\" is not supported", mt, act);
    /* sliding windows */
    m->sliding_window = 0;
    if (m->arch == ARCH_QWEN2)
        m->sliding_window = jbool(cfg, "use_sliding_window", false) ? jint(cfg, "sliding_window", 0) : 0;
    else if (!gpt2)
        m->sliding_window = jint(cfg, "sliding_window", 0);
    json_object *q = jget(cfg0, "quantization");
    if (!q)
        q = jget(cfg0, "quantization_config");
    if (q) {
        m->qbits = (int)jint(q, "bits", 0);
        m->qgroup = (int)jint(q, "group_size", 64);
    }
    return 0;
}

static void layer_sliding(em_llm *m, json_object *cfg, int i, llm_layer *ly)
{
    json_object *lt = jget(cfg, "layer_types");
    if (lt && json_object_is_type(lt, json_type_array) && (size_t)i < json_object_array_length(lt)) {
        const char *s = json_object_get_string(json_object_array_get_idx(lt, i));
        ly->sliding = s && !strcmp(s, "sliding_attention") && m->sliding_window > 0;
        return;
    }
    switch (m->arch) {
    case ARCH_GEMMA2: ly->sliding = i % 2 == 0; break;
    case ARCH_GEMMA3: ly->sliding = (i + 1) % jint(cfg, "sliding_window_pattern", 6) != 0; break;
    case ARCH_QWEN2: ly->sliding = i >= jint(cfg, "max_window_layers", 0); break;
    default: ly->sliding = true; break;
    }
    if (m->sliding_window <= 0)
        ly->sliding = false;
}

static int load_layers(em_llm *m, json_object *cfg, json_object *qcfg, const char *pre)
{
    char p[256], nm[320];
    int64_t H = m->hidden, D = m->head_dim, Hq = m->n_heads * D, Hk = m->n_kv_heads * D;
    m->layers = calloc(m->n_layers, sizeof *m->layers);
    if (!m->layers)
        return em__error("out of memory");
    double theta = jdbl(cfg, "rope_theta", 10000.0);
    json_object *rs = jget(cfg, "rope_scaling");
    for (int i = 0; i < m->n_layers; i++) {
        llm_layer *ly = &m->layers[i];
        if (m->arch == ARCH_GPT2) {
            snprintf(p, sizeof p, "%sh.%d", pre, i);
#define L(field, sub, o, in)                                                                   \
    snprintf(nm, sizeof nm, "%s.%s", p, sub);                                                  \
    if (load_linear(m, qcfg, nm, &ly->field, o, in, true, true) < 0)                          \
        return -1;
            L(qkv, "attn.c_attn", 3 * H, H)
            L(o, "attn.c_proj", H, H)
            L(up, "mlp.c_fc", m->inter, H)
            L(down, "mlp.c_proj", H, m->inter)
#undef L
            snprintf(nm, sizeof nm, "%s.ln_1", p);
            if (load_norm(m, nm, &ly->ln_in, H) < 0)
                return -1;
            snprintf(nm, sizeof nm, "%s.ln_2", p);
            if (load_norm(m, nm, &ly->ln_pre_ff, H) < 0)
                return -1;
            continue;
        }
        snprintf(p, sizeof p, "%slayers.%d", pre, i);
#define L(field, sub, o, in)                                                                   \
    snprintf(nm, sizeof nm, "%s.%s", p, sub);                                                  \
    if (load_linear(m, qcfg, nm, &ly->field, o, in, false, true) < 0)                         \
        return -1;
#define N(field, sub, size)                                                                    \
    snprintf(nm, sizeof nm, "%s.%s", p, sub);                                                  \
    if (load_norm(m, nm, &ly->field, size) < 0)                                                \
        return -1;
        if (m->arch == ARCH_PHI3) {
            L(qkv, "self_attn.qkv_proj", Hq + 2 * Hk, H)
            L(gate_up, "mlp.gate_up_proj", 2 * m->inter, H)
        } else {
            L(q, "self_attn.q_proj", Hq, H)
            L(k, "self_attn.k_proj", Hk, H)
            L(v, "self_attn.v_proj", Hk, H)
            L(gate, "mlp.gate_proj", m->inter, H)
            L(up, "mlp.up_proj", m->inter, H)
        }
        L(o, "self_attn.o_proj", H, Hq)
        L(down, "mlp.down_proj", H, m->inter)
        N(ln_in, "input_layernorm", H)
        if (m->arch == ARCH_GEMMA2 || m->arch == ARCH_GEMMA3) {
            N(ln_post_attn, "post_attention_layernorm", H)
            N(ln_pre_ff, "pre_feedforward_layernorm", H)
            N(ln_post_ff, "post_feedforward_layernorm", H)
        } else {
            N(ln_pre_ff, "post_attention_layernorm", H)
        }
        if (m->arch == ARCH_QWEN3 || m->arch == ARCH_GEMMA3) {
            N(q_norm, "self_attn.q_norm", D)
            N(k_norm, "self_attn.k_norm", D)
        }
#undef L
#undef N
        layer_sliding(m, cfg, i, ly);
        double base = theta;
        json_object *lrs = rs;
        if (m->arch == ARCH_GEMMA3 && ly->sliding) {
            base = jdbl(cfg, "rope_local_base_freq", 10000.0);
            lrs = NULL;
        }
        if (setup_rope(m, ly, cfg, base, lrs) < 0)
            return -1;
    }
    return 0;
}

/* The order a one-token step runs the linears in, as groups sharing an input
 * (attention's input, o, the MLP's input, down; lm_head; then layer 0 again):
 * each linear learns the group after its own (llm_linear.then). */
static void link_decode_order(em_llm *m)
{
    int ng = 0;
    llm_linear *(*g)[3] = calloc(4 * m->n_layers + 1, sizeof *g);
    int *gn = calloc(4 * m->n_layers + 1, sizeof *gn);
    if (!g || !gn) { /* the prefetching is an optimisation only */
        free(g);
        free(gn);
        return;
    }
#define GROUP(...)                                                                             \
    do {                                                                                       \
        llm_linear *l_[] = {__VA_ARGS__};                                                      \
        for (int j_ = 0; j_ < (int)(sizeof l_ / sizeof *l_); j_++)                             \
            g[ng][gn[ng]++] = l_[j_];                                                          \
        ng++;                                                                                  \
    } while (0)
    for (int i = 0; i < m->n_layers; i++) {
        llm_layer *ly = &m->layers[i];
        if (m->arch == ARCH_PHI3 || m->arch == ARCH_GPT2)
            GROUP(&ly->qkv);
        else
            GROUP(&ly->q, &ly->k, &ly->v);
        GROUP(&ly->o);
        if (m->arch == ARCH_GPT2)
            GROUP(&ly->up);
        else if (m->arch == ARCH_PHI3)
            GROUP(&ly->gate_up);
        else
            GROUP(&ly->gate, &ly->up);
        GROUP(&ly->down);
    }
    GROUP(&m->lm_head);
#undef GROUP
    for (int a = 0; a < ng; a++) {
        int b = (a + 1) % ng;
        for (int j = 0; j < gn[a]; j++) {
            g[a][j]->n_then = gn[b];
            for (int k = 0; k < gn[b]; k++)
                g[a][j]->then[k] = g[b][k];
        }
    }
    free(g);
    free(gn);
}

static void load_tokenizer(em_llm *m)
{
    char *p = llm__path(m->dir, "tokenizer.json");
    struct stat sb;
    if (p && stat(p, &sb) == 0) {
        m->tok = em_tokenizer_load(m->dir);
        if (!m->tok)
            em_error_clear(); /* ids only */
        char *tc = llm__path(m->dir, "tokenizer_config.json");
        if (tc && stat(tc, &sb) == 0) {
            m->tmpl = em_chat_template_load(m->dir);
            if (!m->tmpl)
                em_error_clear();
        }
        free(tc);
    }
    free(p);
}

em_llm *em_llm_load(const char *dir, em_llm_progress_fn progress, void *user)
{
    if (!dir) {
        em__error("llm: no model folder given");
        return NULL;
    }
    em_llm *m = calloc(1, sizeof *m);
    if (!m) {
        em__error("out of memory");
        return NULL;
    }
    m->dir = strdup(dir);
    m->weights = em_tree_new();
    char *cp = llm__path(dir, "config.json");
    json_object *cfg0 = cp ? llm__json_file(cp) : NULL, *cfg = NULL;
    free(cp);
    em_scope *scope = em_scope_begin();
    int rc = 0;
    if (!cfg0)
        rc = em__error("llm: %s/config.json is missing or not valid JSON", dir);
    if (rc == 0)
        rc = parse_config(m, cfg0, &cfg);
    if (rc == 0)
        rc = load_tensors(m, progress, user);
    json_object *qcfg = jget(cfg0, "quantization");
    if (rc == 0) {
        /* where the decoder lives in the file */
        static const char *const llama_pre[] = {"model.", "language_model.model.", "model.language_model.", ""};
        static const char *const gpt2_pre[] = {"", "transformer."};
        const char *const *pres = m->arch == ARCH_GPT2 ? gpt2_pre : llama_pre;
        int npre = m->arch == ARCH_GPT2 ? 2 : 4;
        const char *pre = NULL;
        char nm[256];
        for (int i = 0; i < npre && !pre; i++) {
            snprintf(nm, sizeof nm, "%s%s", pres[i], m->arch == ARCH_GPT2 ? "wte.weight" : "embed_tokens.weight");
            if (has(m, nm))
                pre = pres[i];
        }
        if (!pre) {
            rc = em__error("llm: %s model in %s: missing tensor %s", m->model_type, dir,
                           m->arch == ARCH_GPT2 ? "wte.weight" : "model.embed_tokens.weight");
        } else {
            snprintf(nm, sizeof nm, "%s%s", pre, m->arch == ARCH_GPT2 ? "wte" : "embed_tokens");
            rc = load_linear(m, qcfg, nm, &m->embed, m->vocab, m->hidden, false, false);
        }
        if (rc == 0 && m->arch == ARCH_GPT2) {
            snprintf(nm, sizeof nm, "%swpe.weight", pre);
            m->wpe = as_f32(need(m, nm));
            rc = m->wpe ? 0 : -1;
        }
        if (rc == 0)
            rc = load_layers(m, cfg, qcfg, pre);
        if (rc == 0) {
            snprintf(nm, sizeof nm, "%s%s", pre, m->arch == ARCH_GPT2 ? "ln_f" : "norm");
            rc = load_norm(m, nm, &m->final_norm, m->hidden);
        }
        if (rc == 0) {
            /* lm_head beside the decoder ("model." -> "lm_head."), else tied */
            char head[256] = "lm_head";
            if (!strcmp(pre, "language_model.model."))
                snprintf(head, sizeof head, "language_model.lm_head");
            snprintf(nm, sizeof nm, "%s.weight", head);
            bool tied = m->arch == ARCH_GPT2 || !has(m, nm);
            if (!tied && jbool(cfg, "tie_word_embeddings", false) && m->arch != ARCH_LLAMA &&
                m->arch != ARCH_PHI3)
                tied = false; /* present anyway: use it */
            if (tied)
                m->lm_head = m->embed;
            else
                rc = load_linear(m, qcfg, head, &m->lm_head, m->vocab, m->hidden, false, false);
        }
        if (rc == 0)
            link_decode_order(m);
    }
    if (rc == 0) {
        add_eos(m, jget(cfg0, "eos_token_id"));
        add_eos(m, jget(cfg, "eos_token_id"));
        char *gp = llm__path(dir, "generation_config.json");
        json_object *gc = gp ? llm__json_file(gp) : NULL;
        free(gp);
        add_eos(m, jget(gc, "eos_token_id"));
        json_object_put(gc);
        load_tokenizer(m);
        if (m->tok && em_tokenizer_eos_id(m->tok) >= 0) {
            json_object *v = json_object_new_int(em_tokenizer_eos_id(m->tok));
            add_eos(m, v);
            json_object_put(v);
        }
    }
    em_scope_end(scope);
    json_object_put(cfg0);
    if (rc == 0) {
        /* the caller's device: the gpu if it is usable (gpu streams without
         * a Vulkan device run on the CPU anyway) */
        em_device d = em_current_stream().device;
        if (d.type == EM_GPU && em_device_available(d))
            rc = em_llm_set_device(m, d);
    }
    if (rc < 0) {
        em_llm_free(m);
        return NULL;
    }
    return m;
}

/* ---- devices: the weights copied to the device once ---- */

typedef struct {
    em_array **from, **to;
    int n, cap;
} moved;

/* The copy of a (or a itself when it is already there, or NULL). */
static em_array *moved_find(const moved *mv, em_array *a)
{
    for (int i = 0; i < mv->n; i++)
        if (mv->from[i] == a)
            return mv->to[i];
    return a;
}

static bool on_device(em_array *a, em_device d)
{
    em_eval(a);
    em_device_type t = a->buf && a->buf->device == EM_GPU ? EM_GPU : EM_CPU;
    return t == d.type;
}

/* A dense copy of a made on d's default stream, evaluated (a reference of
 * the caller's). float32 when to_f32 (quantized scales and biases on the gpu,
 * whose kernels want them in the activations' type). */
static em_array *copy_to(em_array *a, em_device d, bool to_f32)
{
    em_stream old = em_current_stream();
    em_set_current_stream(em_default_stream(d));
    em_scope *s = em_scope_begin();
    em_array *c = em_contiguous(a);
    if (c && to_f32 && em_array_dtype(c) != EM_FLOAT32)
        c = em_astype(c, EM_FLOAT32);
    if (c && em_eval(c) == 0)
        em_retain(c);
    else
        c = NULL;
    em_scope_end(s);
    em_set_current_stream(old);
    return c;
}

/* Moves one array the model owns (a reference of its own). */
static int move_owned(em_array **a, em_device d)
{
    if (!*a || on_device(*a, d))
        return 0;
    em_array *c = copy_to(*a, d, false);
    if (!c)
        return -1;
    em_release(*a);
    *a = c;
    return 0;
}

static void remap_lin(const moved *mv, llm_linear *L)
{
    L->w = L->w ? moved_find(mv, L->w) : NULL;
    L->scales = L->scales ? moved_find(mv, L->scales) : NULL;
    L->biases = L->biases ? moved_find(mv, L->biases) : NULL;
}

static int move_lin_bias(llm_linear *L, em_device d) { return move_owned(&L->bias, d); }
static int move_norm(llm_norm *N, em_device d)
{
    return move_owned(&N->w, d) < 0 || move_owned(&N->b, d) < 0 ? -1 : 0;
}

int em_llm_set_device(em_llm *m, em_device d)
{
    if (!m)
        return em__error("llm: no model");
    if (d.type != EM_CPU && d.type != EM_GPU)
        return em__error("llm: unknown device type %d", (int)d.type);
    if (d.type == EM_GPU && !em_device_available(d))
        return em__error("llm: the gpu device is not available: %s", em_gpu_unavailable_reason());
    int nt = em_tree_size(m->weights);
    moved mv = {calloc(nt + 1, sizeof *mv.from), calloc(nt + 1, sizeof *mv.to), 0, nt};
    int rc = mv.from && mv.to ? 0 : em__error("out of memory");
    /* which tree entries are quantized scales or biases (float32 on the gpu) */
    for (int i = 0; i < nt && rc == 0; i++) {
        const char *name = em_tree_name(m->weights, i);
        em_array *a = em_tree_at(m->weights, i);
        size_t l = strlen(name);
        bool qparam = d.type == EM_GPU && l > 7 &&
                      (!strcmp(name + l - 7, ".scales") || !strcmp(name + l - 7, ".biases"));
        bool here = on_device(a, d);
        if (here && (!qparam || em_array_dtype(a) == EM_FLOAT32))
            continue;
        em_array *c = copy_to(a, d, qparam);
        if (!c) {
            rc = -1;
            break;
        }
        mv.from[mv.n] = em_retain(a); /* alive until the structs point at the copy */
        mv.to[mv.n++] = c;
        if (em_tree_set(m->weights, name, c) < 0)
            rc = -1;
    }
    if (rc == 0) {
        remap_lin(&mv, &m->embed);
        remap_lin(&mv, &m->lm_head);
        for (int i = 0; i < m->n_layers; i++) {
            llm_layer *ly = &m->layers[i];
            llm_linear *ls[] = {&ly->q, &ly->k, &ly->v, &ly->o, &ly->qkv, &ly->gate, &ly->up, &ly->gate_up, &ly->down};
            for (size_t j = 0; j < sizeof ls / sizeof *ls; j++) {
                remap_lin(&mv, ls[j]);
                if (rc == 0)
                    rc = move_lin_bias(ls[j], d);
            }
            llm_norm *ns[] = {&ly->ln_in, &ly->ln_post_attn, &ly->ln_pre_ff, &ly->ln_post_ff, &ly->q_norm, &ly->k_norm};
            for (size_t j = 0; j < sizeof ns / sizeof *ns && rc == 0; j++)
                rc = move_norm(ns[j], d);
            if (rc == 0)
                rc = move_owned(&ly->rope_freqs, d);
        }
        /* embed and a tied head share their bias: moved once */
        bool tied_bias = m->lm_head.bias == m->embed.bias;
        if (rc == 0)
            rc = move_lin_bias(&m->embed, d);
        if (tied_bias)
            m->lm_head.bias = m->embed.bias;
        else if (rc == 0)
            rc = move_lin_bias(&m->lm_head, d);
        if (rc == 0)
            rc = move_norm(&m->final_norm, d);
        if (rc == 0)
            rc = move_owned(&m->wpe, d);
    }
    for (int i = 0; i < mv.n; i++) {
        em_release(mv.from[i]);
        em_release(mv.to[i]); /* the tree keeps it */
    }
    free(mv.from);
    free(mv.to);
    if (rc == 0)
        m->device = d;
    return rc;
}

em_device em_llm_device(const em_llm *m) { return m ? m->device : em_cpu(); }

static void free_lin(llm_linear *L) { em_release(L->bias); }
static void free_norm(llm_norm *N)
{
    em_release(N->w);
    em_release(N->b);
}

void em_llm_free(em_llm *m)
{
    if (!m)
        return;
    if (m->layers) {
        for (int i = 0; i < m->n_layers; i++) {
            llm_layer *ly = &m->layers[i];
            llm_linear *ls[] = {&ly->q, &ly->k, &ly->v, &ly->o, &ly->qkv, &ly->gate, &ly->up, &ly->gate_up, &ly->down};
            for (size_t j = 0; j < sizeof ls / sizeof *ls; j++)
                free_lin(ls[j]);
            free_norm(&ly->ln_in);
            free_norm(&ly->ln_post_attn);
            free_norm(&ly->ln_pre_ff);
            free_norm(&ly->ln_post_ff);
            free_norm(&ly->q_norm);
            free_norm(&ly->k_norm);
            em_release(ly->rope_freqs);
        }
        free(m->layers);
    }
    free_lin(&m->embed);
    if (m->lm_head.w != m->embed.w || m->lm_head.bias != m->embed.bias)
        free_lin(&m->lm_head);
    free_norm(&m->final_norm);
    em_release(m->wpe);
    em_tree_free(m->weights);
    em_tokenizer_free(m->tok);
    em_chat_template_free(m->tmpl);
    free(m->dir);
    free(m);
}

const char *em_llm_model_type(const em_llm *m) { return m ? m->model_type : NULL; }
int64_t em_llm_vocab_size(const em_llm *m) { return m ? m->vocab : 0; }
int em_llm_num_layers(const em_llm *m) { return m ? (int)m->n_layers : 0; }
int64_t em_llm_hidden_size(const em_llm *m) { return m ? m->hidden : 0; }
int em_llm_quant_bits(const em_llm *m) { return m ? m->qbits : 0; }
int em_llm_quant_group_size(const em_llm *m) { return m && m->qbits ? m->qgroup : 0; }
const em_tree *em_llm_weights(const em_llm *m) { return m ? m->weights : NULL; }
const em_tokenizer *em_llm_tokenizer(const em_llm *m) { return m ? m->tok : NULL; }
const em_chat_template *em_llm_chat_template(const em_llm *m) { return m ? m->tmpl : NULL; }
int em_llm_eos_ids(const em_llm *m, const int32_t **ids)
{
    if (ids)
        *ids = m ? m->eos : NULL;
    return m ? m->n_eos : 0;
}

static size_t lin_bytes(const llm_linear *L)
{
    if (!L->w)
        return 0;
    size_t b = em_array_nbytes(L->w);
    if (L->scales)
        b += em_array_nbytes(L->scales) + em_array_nbytes(L->biases);
    if (L->bias)
        b += em_array_nbytes(L->bias);
    return b;
}

size_t em_llm_weight_bytes(const em_llm *m)
{
    if (!m)
        return 0;
    size_t b = lin_bytes(&m->lm_head);
    for (int i = 0; i < m->n_layers; i++) {
        const llm_layer *ly = &m->layers[i];
        const llm_linear *ls[] = {&ly->q, &ly->k, &ly->v, &ly->o, &ly->qkv, &ly->gate, &ly->up, &ly->gate_up, &ly->down};
        for (size_t j = 0; j < sizeof ls / sizeof *ls; j++)
            b += lin_bytes(ls[j]);
    }
    return b;
}

/* ---- KV cache ---- */

em_llm_cache *em_llm_cache_new(const em_llm *m, int64_t step)
{
    if (!m) {
        em__error("llm cache: no model");
        return NULL;
    }
    em_llm_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->k = calloc(m->n_layers, sizeof *c->k)) || !(c->v = calloc(m->n_layers, sizeof *c->v))) {
        if (c)
            free(c->k);
        free(c);
        em__error("out of memory");
        return NULL;
    }
    c->m = m;
    c->step = step > 0 ? step : 256;
    return c;
}

void em_llm_cache_free(em_llm_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->m->n_layers; i++) {
        em_release(c->k[i]);
        em_release(c->v[i]);
    }
    free(c->k);
    free(c->v);
    free(c);
}

int64_t em_llm_cache_length(const em_llm_cache *c) { return c ? c->len : 0; }
int64_t em_llm_cache_capacity(const em_llm_cache *c) { return c ? c->cap : 0; }
void em_llm_cache_trim(em_llm_cache *c, int64_t length)
{
    if (c && length >= 0 && length < c->len)
        c->len = length;
}

/* *buf with room for need_cap positions (grown in steps; lazily) */
static void cache_reserve(em_llm_cache *c, em_array **buf, int64_t need_cap)
{
    const em_llm *m = c->m;
    int64_t Hk = m->n_kv_heads, D = m->head_dim;
    if (!*buf || em_array_dim(*buf, 2) < need_cap) {
        int64_t cap = (need_cap + c->step - 1) / c->step * c->step;
        int64_t old = *buf ? em_array_dim(*buf, 2) : 0;
        int64_t sh[4] = {1, Hk, cap - old, D};
        em_array *z = em_zeros(4, sh, EM_FLOAT32), *nb;
        if (*buf) {
            /* keep only what is used: later positions are rewritten anyway */
            em_array *parts[2] = {*buf, z};
            nb = em_concatenate(parts, 2, 2);
        } else {
            nb = z;
        }
        em_retain(nb);
        em_release(*buf);
        *buf = nb;
        if (cap > c->cap)
            c->cap = cap;
    }
}

static em_array *cache_put(em_llm_cache *c, em_array **buf, em_array *x, int64_t off, int64_t n)
{
    const em_llm *m = c->m;
    int64_t Hk = m->n_kv_heads, D = m->head_dim;
    cache_reserve(c, buf, off + n);
    int64_t st[4] = {0, 0, off, 0}, sp[4] = {1, Hk, off + n, D}, one[4] = {1, 1, 1, 1};
    em_array *nb = em_slice_update(*buf, x, st, sp, one);
    em_retain(nb);
    em_release(*buf);
    *buf = nb;
    int64_t z4[4] = {0, 0, 0, 0};
    return em_slice(nb, z4, sp, one);
}

/* ---- forward ---- */

/* ---- half-precision weights: decoding reads them as stored ---- */

void em__llm_gemv_rows_avx2(const uint16_t *w, const float *x, float *y, int64_t n0, int64_t n1,
                            int64_t K, int bf16);

typedef struct {
    const uint16_t *w;
    const float *x;
    float *y;
    int64_t K;
    int bf16;
    bool avx2;
} gemv_job;

static void gemv_range(void *ctx, int64_t n0, int64_t n1)
{
    const gemv_job *j = ctx;
    if (j->avx2) {
        em__llm_gemv_rows_avx2(j->w, j->x, j->y, n0, n1, j->K, j->bf16);
        return;
    }
    for (int64_t n = n0; n < n1; n++) {
        const uint16_t *r = j->w + n * j->K;
        float s = 0;
        for (int64_t k = 0; k < j->K; k++)
            s += (j->bf16 ? em_bf16_to_f32(r[k]) : em_f16_to_f32(r[k])) * j->x[k];
        j->y[n] = s;
    }
}

static void free_buf(void *p, void *ctx)
{
    (void)ctx;
    free(p);
}

/* x (..., K) with one row, w (N, K) half, contiguous: y = x @ w.T now
 * (evaluates x), without converting w. NULL when this path does not apply. */
static em_array *half_matvec(em_array *x, em_array *w)
{
    em_dtype t = em_array_dtype(w);
    int64_t K = em_array_dim(w, 1), N = em_array_dim(w, 0);
    if ((t != EM_BFLOAT16 && t != EM_FLOAT16) || em_array_size(x) != K || !em_array_is_evaluated(w) ||
        !em_array_is_contiguous(w) || em_current_stream().device.type != EM_CPU)
        return NULL; /* on the gpu: em_matmul on the device (see linear) */
    em_array *xc = em_contiguous(em_astype(x, EM_FLOAT32));
    if (!xc || em_eval(xc) < 0)
        return NULL;
    float *y = malloc(N * sizeof *y);
    if (!y) {
        em__error("out of memory");
        return NULL;
    }
    static int avx2 = -1;
    if (avx2 < 0)
        /* every AVX2 CPU has F16C; clang has no "f16c" feature name to ask */
        avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    gemv_job j = {em_array_data(w), em_array_data(xc), y, K, t == EM_BFLOAT16, avx2 == 1};
    em__parallel_for(N, 1 + (1 << 16) / K, gemv_range, &j);
    int64_t shape[EM_MAX_DIMS];
    int nd = em_array_ndim(x);
    for (int d = 0; d < nd; d++)
        shape[d] = em_array_shape(x)[d];
    shape[nd - 1] = N;
    return em_array_from_buffer(y, nd, shape, EM_FLOAT32, free_buf, NULL);
}

/* ---- quantized weights: decoding calls the matvec kernels directly ---- */

static em_array *linear(em_array *x, const llm_linear *L);

/* set by em_llm_forward for one-token steps: in a prompt's forward the direct
 * path would evaluate the whole chunk's graph inside its scope (the lm_head
 * sees one row), keeping every intermediate alive to the end */
static _Thread_local bool decode_step;

/* ys[i] = x @ Ls[i]->w.T (+ its bias) for n quantized linears that share x
 * (one row), now, with x prepared once and all their rows in one parallel
 * region (cpu/quantize.h). 1 when this path does not apply. */
static int quant_matvecs(em_array *x, const llm_linear *const *Ls, int n, em_array **ys)
{
    if (!x || !decode_step)
        return 1;
    int64_t K = em_array_dim(x, em_array_ndim(x) - 1);
    if (n > EM_QMV_MAX_ITEMS || em_array_size(x) != K || em_current_stream().device.type != EM_CPU)
        return 1;
    em_qmv_item it[EM_QMV_MAX_ITEMS], next[3];
    for (int i = 0; i < n; i++) {
        if (!Ls[i]->scales || Ls[i]->in_out)
            return 1;
        it[i] = (em_qmv_item){Ls[i]->w, Ls[i]->scales, Ls[i]->biases, Ls[i]->group_size, Ls[i]->bits, NULL};
    }
    int n_next = Ls[0]->n_then;
    for (int i = 0; i < n_next; i++) {
        const llm_linear *t = Ls[0]->then[i];
        if (!t->scales || t->in_out)
            n_next = 0; /* not a quantized matvec: nothing to prefetch */
        else
            next[i] = (em_qmv_item){t->w, t->scales, t->biases, t->group_size, t->bits, NULL};
    }
    if (em_eval(x) < 0)
        return -1;
    em_array *xc = x; /* float32 and row-major already, most often: no copy */
    if (em_array_dtype(x) != EM_FLOAT32 || !em__is_row_contiguous(x)) {
        xc = em_contiguous(em_astype(x, EM_FLOAT32));
        if (!xc || em_eval(xc) < 0)
            return -1;
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        if (!(it[i].y = malloc(em_array_dim(Ls[i]->w, 0) * sizeof(float) + 1)))
            rc = em__error("out of memory");
    if (rc == 0)
        rc = em__qmv_direct(em_array_data(xc), K, it, n, next, n_next);
    int64_t shape[EM_MAX_DIMS];
    int nd = em_array_ndim(x);
    for (int d = 0; d < nd; d++)
        shape[d] = em_array_shape(x)[d];
    for (int i = 0; i < n; i++) {
        if (rc == 0) {
            int64_t N = em_array_dim(Ls[i]->w, 0);
            em_array *bias = Ls[i]->bias;
            bool in_place = bias && em_eval(bias) == 0 && em_array_dtype(bias) == EM_FLOAT32 &&
                            em_array_size(bias) == N && em__is_row_contiguous(bias);
            if (in_place) { /* the add em_add would do, without its two nodes */
                const float *bd = em_array_data(bias);
                for (int64_t k = 0; k < N; k++)
                    it[i].y[k] += bd[k];
            }
            shape[nd - 1] = N;
            ys[i] = em_array_from_buffer(it[i].y, nd, shape, EM_FLOAT32, free_buf, NULL);
            if (bias && !in_place)
                ys[i] = em_add(ys[i], bias);
        } else {
            free(it[i].y);
        }
    }
    return rc;
}

/* linear() of n linears on the same x: one quant_matvecs call when it applies */
static void linears(em_array *x, const llm_linear *const *Ls, int n, em_array **ys)
{
    if (quant_matvecs(x, Ls, n, ys) == 0)
        return;
    for (int i = 0; i < n; i++)
        ys[i] = linear(x, Ls[i]);
}

static em_array *linear(em_array *x, const llm_linear *L)
{
    em_array *y;
    em_dtype wt = em_array_dtype(L->w);
    bool half = wt == EM_BFLOAT16 || wt == EM_FLOAT16;
    if (half && !L->in_out && (y = half_matvec(x, L->w)))
        ; /* decoding */
    else if (L->scales && quant_matvecs(x, &L, 1, &y) == 0)
        return y; /* decoding (bias added) */
    else if (half && L->in_out)
        y = em_matmul(x, em_astype(L->w, EM_FLOAT32));
    else if (half) /* converted row-major, then used transposed */
        y = em_matmul(x, em_transpose(em_astype(L->w, EM_FLOAT32), NULL));
    else if (L->scales)
        y = em_quantized_matmul(x, L->w, L->scales, L->biases, true, L->group_size, L->bits);
    else if (L->in_out)
        y = em_matmul(x, L->w);
    else
        y = em_matmul(x, em_transpose(L->w, NULL));
    if (y && em_array_dtype(y) != EM_FLOAT32)
        y = em_astype(y, EM_FLOAT32);
    return L->bias ? em_add(y, L->bias) : y;
}

static em_array *norm(const em_llm *m, em_array *x, const llm_norm *N)
{
    if (m->norm_kind == NORM_LAYER)
        return em_layer_norm(x, N->w, N->b, m->eps);
    return em_rms_norm(x, N->w, m->eps);
}

/* ---- one-token steps: the layer's elementwise work in plain loops ----
 * A token's row is a few thousand floats: a graph node for each residual
 * add, norm and activation costs more than its arithmetic, so on the CPU the
 * one-token path computes them directly on evaluated buffers (as the matvecs
 * are), falling back to the graph ops where this does not apply. */

/* a's float32 row-major data (n values) now, or NULL when the direct path
 * does not apply */
static const float *direct_f32(em_array *a, int64_t n)
{
    if (!a || !decode_step || em_current_stream().device.type != EM_CPU || em_array_size(a) != n ||
        em_array_dtype(a) != EM_FLOAT32 || em_eval(a) < 0 || !em__is_row_contiguous(a))
        return NULL;
    return em_array_data(a);
}

static bool same_shape(em_array *a, em_array *b)
{
    if (!a || !b || em_array_ndim(a) != em_array_ndim(b))
        return false;
    for (int d = 0; d < em_array_ndim(a); d++)
        if (em_array_dim(a, d) != em_array_dim(b, d))
            return false;
    return true;
}

static em_array *direct_out(float *y, em_array *like)
{
    int64_t shape[EM_MAX_DIMS];
    int nd = em_array_ndim(like);
    for (int d = 0; d < nd; d++)
        shape[d] = em_array_shape(like)[d];
    em_array *r = em_array_from_buffer(y, nd, shape, EM_FLOAT32, free_buf, NULL);
    if (!r)
        free(y);
    return r;
}

/* *sum = x + a and, with N, *h = norm(x + a); N NULL: the sum alone */
static void add_norm(const em_llm *m, em_array *x, em_array *a, const llm_norm *N, em_array **sum,
                     em_array **h)
{
    int64_t n = x ? em_array_size(x) : 0;
    bool rms = !N || m->norm_kind != NORM_LAYER;
    const float *xd = rms && same_shape(x, a) ? direct_f32(x, n) : NULL;
    const float *ad = xd ? direct_f32(a, n) : NULL;
    const float *wd = ad && N ? direct_f32(N->w, n) : NULL;
    float *s = ad && (wd || !N) ? malloc(n * sizeof *s + 1) : NULL;
    float *hd = s && N ? malloc(n * sizeof *hd + 1) : NULL;
    if (!s || (N && !hd)) {
        free(s);
        *sum = em_add(x, a);
        if (N)
            *h = norm(m, *sum, N);
        return;
    }
    /* the sum of squares in 8 independent double lanes (they vectorise;
     * one running sum waits on each add) */
    double lane[8] = {0}, ss = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) {
            s[i + k] = xd[i + k] + ad[i + k];
            lane[k] += (double)s[i + k] * s[i + k];
        }
    for (; i < n; i++) {
        s[i] = xd[i] + ad[i];
        ss += (double)s[i] * s[i];
    }
    for (int k = 0; k < 8; k++)
        ss += lane[k];
    if (N) {
        float k = 1.0f / sqrtf((float)(ss / (double)n) + (float)m->eps);
        for (i = 0; i < n; i++)
            hd[i] = s[i] * k * wd[i];
        *h = direct_out(hd, x);
    }
    *sum = direct_out(s, x);
}

static em_array *activation(const em_llm *m, em_array *x);

/* activation(g) * u */
static em_array *act_mul(const em_llm *m, em_array *g, em_array *u)
{
    int64_t n = g ? em_array_size(g) : 0;
    const float *gd = m->act == ACT_SILU && same_shape(g, u) ? direct_f32(g, n) : NULL;
    const float *ud = gd ? direct_f32(u, n) : NULL;
    float *y = ud ? malloc(n * sizeof *y + 1) : NULL;
    if (!y)
        return em_multiply(activation(m, g), u);
    em__silu_mul_f32(gd, ud, y, n); /* cpu/fast.c */
    return direct_out(y, g);
}

static em_array *activation(const em_llm *m, em_array *x)
{
    switch (m->act) {
    case ACT_SILU: return em_multiply(x, em_sigmoid(x));
    case ACT_GELU:
        return em_multiply(em_multiply(x, em_scalar_f(0.5)),
                           em_add(em_scalar_f(1.0), em_erf(em_multiply(x, em_scalar_f(M_SQRT1_2)))));
    case ACT_GELU_TANH: {
        em_array *x3 = em_multiply(em_multiply(x, x), x);
        em_array *in = em_multiply(em_add(x, em_multiply(x3, em_scalar_f(0.044715))),
                                   em_scalar_f(sqrt(2.0 / M_PI)));
        return em_multiply(em_multiply(x, em_scalar_f(0.5)), em_add(em_scalar_f(1.0), em_tanh(in)));
    }
    }
    return NULL;
}

static em_array *softcap(em_array *x, double cap)
{
    return em_multiply(em_tanh(em_multiply(x, em_scalar_f(1.0 / cap))), em_scalar_f(cap));
}

/* (1, n, H*D) -> (1, H, n, D) */
static em_array *heads(em_array *x, int64_t n, int64_t h, int64_t d)
{
    if (n == 1) { /* the same layout: one view instead of two */
        int64_t s1[4] = {1, h, 1, d};
        return em_reshape(x, 4, s1);
    }
    int64_t sh[4] = {1, n, h, d};
    int perm[4] = {0, 2, 1, 3};
    return em_transpose(em_reshape(x, 4, sh), perm);
}

/* Additive mask (n, L) for queries at off.. and keys 0..L-1: causal, and
 * within `window` when window > 0. */
static em_array *make_mask(int64_t n, int64_t off, int64_t L, int64_t window)
{
    float *mk = malloc((size_t)(n * L) * sizeof *mk);
    if (!mk) {
        em__error("out of memory");
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t p = off + i;
        for (int64_t j = 0; j < L; j++)
            mk[i * L + j] = j <= p && (window <= 0 || p - j < window) ? 0.0f : -INFINITY;
    }
    int64_t sh[2] = {n, L};
    em_array *a = em_array_from_data(mk, 2, sh, EM_FLOAT32);
    free(mk);
    return a;
}

/* The cache's buffer of one layer as writable float32 data with room for
 * need positions, or NULL when it is shared or not plain (the graph path
 * then writes a new one). */
static float *cache_rows(em_llm_cache *c, em_array **buf, int64_t need)
{
    cache_reserve(c, buf, need);
    em_array *b = *buf;
    if (em_eval(b) < 0 || em_array_dtype(b) != EM_FLOAT32 || !em__is_row_contiguous(b) ||
        atomic_load(&b->refs) != 1 || atomic_load(&b->buf->refs) != 1)
        return NULL;
    return em__data(b);
}

/* One token's attention on the CPU without a graph: q, k and v (float32
 * rows, Hq D, Hk D and Hk D values) copied, normed and rotated as the graph
 * path does (cpu/decode.h: the same kernels), k and v written into the
 * cache at off, and the attention read from it: (1, 1, Hq D). NULL when this
 * does not apply (nothing changed: the graph path runs). */
static em_array *attention_one(const em_llm *m, const llm_layer *ly, const float *qd, const float *kd,
                               const float *vd, int64_t off, em_llm_cache *c, int li)
{
    int64_t Hq = m->n_heads, Hk = m->n_kv_heads, D = m->head_dim, L = off + 1;
    if (m->attn_softcap > 0 || !qd || !kd || !vd)
        return NULL;
    const float *qw = NULL, *kw = NULL;
    if (ly->q_norm.w && (!(qw = direct_f32(ly->q_norm.w, D)) || !(kw = direct_f32(ly->k_norm.w, D))))
        return NULL;
    bool rope = m->arch != ARCH_GPT2;
    if (rope && ly->rope_freqs && em_eval(ly->rope_freqs) < 0)
        return NULL;
    float *kc = cache_rows(c, &c->k[li], L), *vc = kc ? cache_rows(c, &c->v[li], L) : NULL;
    float *q = vc ? malloc((Hq * D + 2 * Hk * D) * sizeof *q) : NULL;
    float *out = q ? malloc(Hq * D * sizeof *out + 1) : NULL;
    if (!out) {
        free(q);
        return NULL;
    }
    float *k = q + Hq * D;
    memcpy(q, qd, Hq * D * sizeof *q);
    memcpy(k, kd, Hk * D * sizeof *k);
    if (qw) {
        em__rms_rows_f32(q, Hq, D, qw, m->eps);
        em__rms_rows_f32(k, Hk, D, kw, m->eps);
    }
    if (rope) {
        if (ly->rope_mscale != 1.0) {
            float ms = (float)ly->rope_mscale;
            for (int64_t i = 0; i < (Hq + Hk) * D; i++)
                q[i] *= ms;
        }
        if (em__rope_rows_f32(q, Hq + Hk, D, m->rope_dims, false, ly->rope_base, ly->rope_scale, off,
                              ly->rope_freqs) < 0) {
            free(q);
            free(out);
            return NULL;
        }
    }
    int64_t cap = em_array_dim(c->k[li], 2);
    for (int64_t h = 0; h < Hk; h++) {
        memcpy(kc + (h * cap + off) * D, k + h * D, D * sizeof *kc);
        memcpy(vc + (h * cap + off) * D, vd + h * D, D * sizeof *vc);
    }
    /* a sliding window sees the last `window` positions: the masked ones
     * add nothing to the softmax */
    int64_t window = ly->sliding ? m->sliding_window : 0, first = window > 0 && L > window ? L - window : 0;
    em__attend_one_f32(q, Hq, kc + first * D, vc + first * D, Hk, cap * D, L - first, D, (float)m->attn_scale,
                       out);
    free(q);
    int64_t s3[3] = {1, 1, Hq * D};
    em_array *o = em_array_from_buffer(out, 3, s3, EM_FLOAT32, free_buf, NULL);
    if (!o)
        free(out);
    return o;
}

static em_array *attention(const em_llm *m, const llm_layer *ly, em_array *h, int64_t n,
                           int64_t off, em_llm_cache *c, int li)
{
    int64_t Hq = m->n_heads, Hk = m->n_kv_heads, D = m->head_dim;
    em_array *q, *k, *v;
    if (m->arch == ARCH_PHI3 || m->arch == ARCH_GPT2) {
        em_array *qkv = linear(h, &ly->qkv), *parts[3];
        const float *d = n == 1 && c ? direct_f32(qkv, (Hq + 2 * Hk) * D) : NULL;
        em_array *o = d ? attention_one(m, ly, d, d + Hq * D, d + (Hq + Hk) * D, off, c, li) : NULL;
        if (o)
            return linear(o, &ly->o);
        int64_t at[2] = {Hq * D, Hq * D + Hk * D};
        if (em_split_at(qkv, at, 2, 2, parts) < 0)
            return NULL;
        q = parts[0];
        k = parts[1];
        v = parts[2];
    } else {
        const llm_linear *Ls[3] = {&ly->q, &ly->k, &ly->v};
        em_array *ys[3];
        linears(h, Ls, 3, ys);
        q = ys[0];
        k = ys[1];
        v = ys[2];
    }
    if (n == 1 && c) {
        em_array *o = attention_one(m, ly, direct_f32(q, Hq * D), direct_f32(k, Hk * D), direct_f32(v, Hk * D),
                                    off, c, li);
        if (o)
            return linear(o, &ly->o);
    }
    q = heads(q, n, Hq, D);
    k = heads(k, n, Hk, D);
    v = heads(v, n, Hk, D);
    if (ly->q_norm.w) {
        q = em_rms_norm(q, ly->q_norm.w, m->eps);
        k = em_rms_norm(k, ly->k_norm.w, m->eps);
    }
    if (m->arch != ARCH_GPT2) {
        if (ly->rope_mscale != 1.0) {
            q = em_multiply(q, em_scalar_f(ly->rope_mscale));
            k = em_multiply(k, em_scalar_f(ly->rope_mscale));
        }
        q = em_rope(q, m->rope_dims, false, ly->rope_base, ly->rope_scale, off, ly->rope_freqs);
        k = em_rope(k, m->rope_dims, false, ly->rope_base, ly->rope_scale, off, ly->rope_freqs);
    }
    int64_t L = off + n;
    if (c) {
        k = cache_put(c, &c->k[li], k, off, n);
        v = cache_put(c, &c->v[li], v, off, n);
    }
    int64_t window = ly->sliding ? m->sliding_window : 0;
    bool need_mask = window > 0 && L > window;
    em_array *o;
    if (m->attn_softcap > 0) {
        int64_t rep = Hq / Hk;
        int64_t s5[5] = {1, Hk, rep, n, D};
        int ax[1] = {2};
        em_array *q5 = em_reshape(em_contiguous(q), 5, s5);
        em_array *k5 = em_expand_dims(k, ax, 1), *v5 = em_expand_dims(v, ax, 1);
        em_array *s = em_multiply(em_matmul(q5, em_swapaxes(k5, -1, -2)), em_scalar_f(m->attn_scale));
        s = softcap(s, m->attn_softcap);
        if (n > 1 || need_mask)
            s = em_add(s, make_mask(n, off, L, window));
        o = em_matmul(em_softmax(s, -1), v5);
        int64_t s4[4] = {1, Hq, n, D};
        o = em_reshape(o, 4, s4);
    } else if (need_mask) {
        o = em_scaled_dot_product_attention(q, k, v, m->attn_scale, make_mask(n, off, L, window), false);
    } else {
        o = em_scaled_dot_product_attention(q, k, v, m->attn_scale, NULL, n > 1);
    }
    int perm[4] = {0, 2, 1, 3};
    int64_t s3[3] = {1, n, Hq * D};
    o = em_reshape(n == 1 ? o : em_transpose(o, perm), 3, s3); /* n 1: the same order */
    return linear(o, &ly->o);
}

static em_array *mlp(const em_llm *m, const llm_layer *ly, em_array *h)
{
    if (m->arch == ARCH_GPT2)
        return linear(activation(m, linear(h, &ly->up)), &ly->down);
    em_array *g, *u;
    if (m->arch == ARCH_PHI3) {
        em_array *parts[2];
        if (em_split(linear(h, &ly->gate_up), 2, -1, parts) < 0)
            return NULL;
        g = parts[0];
        u = parts[1];
    } else {
        const llm_linear *Ls[2] = {&ly->gate, &ly->up};
        em_array *ys[2];
        linears(h, Ls, 2, ys);
        g = ys[0];
        u = ys[1];
    }
    return linear(act_mul(m, g, u), &ly->down);
}

static em_array *embed(const em_llm *m, em_array *ids)
{
    const llm_linear *E = &m->embed;
    em_array *x;
    if (E->scales)
        x = em_dequantize(em_take(E->w, ids, 0), em_astype(em_take(E->scales, ids, 0), EM_FLOAT32),
                          em_astype(em_take(E->biases, ids, 0), EM_FLOAT32), E->group_size, E->bits);
    else
        x = em_take(E->w, ids, 0);
    if (x && em_array_dtype(x) != EM_FLOAT32)
        x = em_astype(x, EM_FLOAT32);
    return x;
}

em_array *em_llm_forward(em_llm *m, const int32_t *ids, int64_t n, em_llm_cache *c, bool all)
{
    if (!m || !ids || n <= 0) {
        em__error("llm forward: %s", !m ? "no model" : "no input ids");
        return NULL;
    }
    if (c && c->m != m) {
        em__error("llm forward: the cache belongs to another model");
        return NULL;
    }
    for (int64_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= m->vocab) {
            em__error("llm forward: token id %d out of range for vocabulary %lld", ids[i],
                      (long long)m->vocab);
            return NULL;
        }
    int64_t off = c ? c->len : 0;
    decode_step = n == 1;
    if (m->arch == ARCH_GPT2 && off + n > m->max_pos) {
        em__error("llm forward: gpt2 has %lld positions, asked for %lld", (long long)m->max_pos,
                  (long long)(off + n));
        return NULL;
    }
    /* the model's device, whatever this thread's default */
    em_stream caller_stream = em_current_stream();
    if (caller_stream.device.type != m->device.type)
        em_set_current_stream(em_default_stream(m->device));
    em_scope *s = em_scope_begin();
    int64_t sh1[1] = {n}, s3[3] = {1, n, m->hidden};
    em_array *idx = em_array_from_data(ids, 1, sh1, EM_INT32);
    em_array *x = em_reshape(embed(m, idx), 3, s3);
    if (m->embed_scale != 1.0)
        x = em_multiply(x, em_scalar_f(m->embed_scale));
    if (m->wpe) {
        int64_t st[2] = {off, 0}, sp[2] = {off + n, m->hidden}, one[2] = {1, 1};
        x = em_add(x, em_slice(m->wpe, st, sp, one));
    }
    bool gemma = m->arch == ARCH_GEMMA2 || m->arch == ARCH_GEMMA3;
    /* h: the next layer's normed input, computed with the residual add */
    em_array *h = m->n_layers ? norm(m, x, &m->layers[0].ln_in) : NULL;
    for (int i = 0; i < m->n_layers; i++) {
        const llm_layer *ly = &m->layers[i];
        em_array *a = attention(m, ly, h, n, off, c, i);
        if (gemma)
            a = norm(m, a, &ly->ln_post_attn);
        add_norm(m, x, a, &ly->ln_pre_ff, &x, &h);
        em_array *f = mlp(m, ly, h);
        if (gemma)
            f = norm(m, f, &ly->ln_post_ff);
        add_norm(m, x, f, i + 1 < m->n_layers ? &m->layers[i + 1].ln_in : NULL, &x, &h);
    }
    if (!all && n > 1) {
        int64_t st[3] = {0, n - 1, 0}, sp[3] = {1, n, m->hidden}, one[3] = {1, 1, 1};
        x = em_slice(x, st, sp, one);
    }
    x = norm(m, x, &m->final_norm);
    em_array *logits = linear(x, &m->lm_head);
    if (m->final_softcap > 0)
        logits = softcap(logits, m->final_softcap);
    int64_t s2[2] = {all ? n : 1, m->vocab};
    logits = em_reshape(logits, 2, s2);
    if (c && logits)
        c->len = off + n;
    em_keep(logits);
    em_scope_end(s);
    em_set_current_stream(caller_stream);
    return logits;
}
