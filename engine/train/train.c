/* The training run: data, model, optimizer, loop, callbacks, cancellation,
 * checkpoints and resume. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "ember/data.h"
#include "ember/ember.h"
#include "ember/optim.h"
#include "ember/train.h"
#include "train/models.h"

struct em_train_run {
    em_train_config c;
    char *task, *model_name, *optimizer_name, *device, *data_dir, *checkpoint_dir;
    em__model model;
    em_mnist *mnist;
    em_text *text;
    em_tree *params;
    em_optimizer *opt;
    atomic_bool cancel;
    /* run state */
    int64_t step;          /* optimizer steps done */
    int64_t epoch;         /* 0-based epoch in progress */
    int64_t batch;         /* batches of this epoch done */
    double epoch_loss_sum; /* losses of this epoch (period) so far */
    int64_t epoch_loss_n;
    int64_t batches_per_epoch, total_steps;
    int64_t *order;        /* fashion-mnist: the epoch's order */
    int64_t order_epoch;
    double epoch_seconds;  /* training time of the epoch in progress */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

void em_train_config_default(em_train_config *c, const char *task, const char *model)
{
    memset(c, 0, sizeof *c);
    c->task = task ? task : "fashion-mnist";
    bool text = !strcmp(c->task, "fortunes");
    c->model = model ? model : (text ? "gpt" : "mlp");
    c->optimizer = "adam";
    c->seed = 0;
    c->device = "cpu";
    if (text) {
        c->epochs = 1;
        c->batch_size = 32;
        c->lr = 2e-3;
        c->optimizer = "adamw";
        c->weight_decay = 0.01;
        c->n_layers = 4;
        c->n_heads = 4;
        c->d_model = 256;
        c->context = 128;
        c->eval_every = 100;
        c->eval_batches = 8;
        c->warmup_steps = 100;
        c->cosine = true;
        c->min_lr_ratio = 0.1;
        c->grad_clip = 1.0;
    } else {
        c->epochs = 10;
        c->batch_size = 128;
        c->lr = 1e-3;
    }
}

static bool is_fashion(const em_train_run *r) { return r->model.kind != EM__MODEL_GPT; }

/* ---- loss ---- */

static em_array *loss_fn(void *payload, const em_tree *params, em_array *const *args, int n)
{
    const em__model *m = payload;
    return em__cross_entropy_mean(em__model_forward(m, params, args[0]), args[1]);
}

/* ---- batches ---- */

static int fashion_order(em_train_run *r)
{
    if (r->order_epoch == r->epoch)
        return 0;
    int64_t n = em_mnist_count(r->mnist, EM_DATA_TRAIN);
    if (em_data_epoch_order(r->c.seed, r->epoch, n, r->order) < 0)
        return -1;
    r->order_epoch = r->epoch;
    return 0;
}

static int next_batch(em_train_run *r, em_array **x, em_array **y)
{
    if (is_fashion(r)) {
        if (fashion_order(r) < 0)
            return -1;
        int64_t start = r->batch * r->c.batch_size;
        int64_t n = em_mnist_count(r->mnist, EM_DATA_TRAIN) - start;
        if (n > r->c.batch_size)
            n = r->c.batch_size;
        return em_mnist_batch(r->mnist, EM_DATA_TRAIN, r->order + start, n,
                              r->model.kind == EM__MODEL_CNN, x, y);
    }
    int64_t B = r->c.batch_size, off[4096];
    if (B > 4096)
        return em__error("train: batch size %lld too large for text", (long long)B);
    if (em_text_random_offsets(r->text, EM_DATA_TRAIN, r->c.seed, r->step, r->model.context, B,
                               off) < 0)
        return -1;
    return em_text_batch(r->text, EM_DATA_TRAIN, off, B, r->model.context, x, y);
}

/* ---- evaluation ---- */

static double test_accuracy(em_train_run *r)
{
    int64_t n = em_mnist_count(r->mnist, EM_DATA_TEST), correct = 0, bs = 1000;
    int64_t *idx = malloc((size_t)bs * sizeof *idx);
    int32_t *pred = malloc((size_t)bs * sizeof *pred), *lab = malloc((size_t)bs * sizeof *lab);
    int rc = idx && pred && lab ? 0 : -1;
    for (int64_t s = 0; s < n && rc == 0; s += bs) {
        int64_t m = n - s < bs ? n - s : bs;
        for (int64_t i = 0; i < m; i++)
            idx[i] = s + i;
        EM_SCOPE {
            em_array *x, *y;
            if (em_mnist_batch(r->mnist, EM_DATA_TEST, idx, m, r->model.kind == EM__MODEL_CNN,
                               &x, &y) < 0) {
                rc = -1;
                break;
            }
            em_array *p = em_argmax(em__model_forward(&r->model, r->params, x), -1, false);
            if (!p || em_array_read(p, EM_INT32, pred, m) != m ||
                em_array_read(y, EM_INT32, lab, m) != m) {
                rc = -1;
                break;
            }
            for (int64_t i = 0; i < m; i++)
                correct += pred[i] == lab[i];
        }
    }
    free(idx);
    free(pred);
    free(lab);
    return rc == 0 && n ? (double)correct / (double)n : NAN;
}

static double val_loss(em_train_run *r)
{
    int64_t n_tok;
    em_text_tokens(r->text, EM_DATA_TEST, &n_tok);
    int T = r->model.context;
    int64_t B = r->c.batch_size, nb = r->c.eval_batches, windows = (n_tok - 1) / T;
    if (windows < 1)
        return NAN;
    if (nb * B > windows)
        nb = (windows + B - 1) / B;
    int64_t total_windows = nb * B < windows ? nb * B : windows;
    /* evenly spaced, non-overlapping windows: the same for every evaluation */
    int64_t stride = windows / total_windows;
    double sum = 0;
    int64_t count = 0;
    int64_t *off = malloc((size_t)B * sizeof *off);
    if (!off)
        return NAN;
    for (int64_t w = 0; w < total_windows; w += B) {
        int64_t m = total_windows - w < B ? total_windows - w : B;
        for (int64_t i = 0; i < m; i++)
            off[i] = (w + i) * stride * T;
        double v = NAN;
        EM_SCOPE {
            em_array *x, *y;
            if (em_text_batch(r->text, EM_DATA_TEST, off, m, T, &x, &y) < 0)
                break;
            em_array *l = em__cross_entropy_mean(em__model_forward(&r->model, r->params, x), y);
            if (l && em_eval(l) == 0)
                v = em_item_f64(l);
        }
        if (isnan(v)) {
            free(off);
            return NAN;
        }
        sum += v * (double)m;
        count += m;
    }
    free(off);
    return sum / (double)count;
}

/* ---- optimizer ---- */

static em_optimizer *make_optimizer(const em_train_config *c)
{
    em_optimizer *o = NULL;
    if (!strcmp(c->optimizer, "sgd"))
        o = em_optim_sgd(c->lr, 0.9, c->weight_decay, 0.0, false);
    else if (!strcmp(c->optimizer, "adam"))
        o = em_optim_adam(c->lr, 0.9, 0.999, 1e-8, c->weight_decay, true);
    else if (!strcmp(c->optimizer, "adamw"))
        o = em_optim_adamw(c->lr, 0.9, 0.999, 1e-8, c->weight_decay, true);
    else {
        em__error("train: unknown optimizer '%s' (sgd, adam or adamw)", c->optimizer);
        return NULL;
    }
    return o;
}

static double lr_at(const em_train_run *r, int64_t step)
{
    const em_train_config *c = &r->c;
    if (c->warmup_steps > 0 && step < c->warmup_steps)
        return c->lr * (double)(step + 1) / (double)c->warmup_steps;
    if (!c->cosine)
        return c->lr;
    int64_t decay = r->total_steps - c->warmup_steps;
    if (decay < 1)
        return c->lr;
    double t = (double)(step - c->warmup_steps) / (double)decay;
    if (t > 1)
        t = 1;
    double lo = c->lr * c->min_lr_ratio;
    return lo + (c->lr - lo) * 0.5 * (1 + cos(M_PI * t));
}

/* ---- checkpoints ---- */

static const char *CKPT = "checkpoint.safetensors";

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0777);
            *p = '/';
        }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return em__error("train: cannot make the checkpoint folder %s: %s", dir, strerror(errno));
    return 0;
}

typedef struct {
    char **keys, **vals;
    int n, cap;
} meta_list;

static void meta_add(meta_list *m, const char *k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void meta_add(meta_list *m, const char *k, const char *fmt, ...)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 32;
        m->keys = realloc(m->keys, (size_t)m->cap * sizeof *m->keys);
        m->vals = realloc(m->vals, (size_t)m->cap * sizeof *m->vals);
    }
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    m->keys[m->n] = strdup(k);
    m->vals[m->n] = strdup(buf);
    m->n++;
}

static void meta_free(meta_list *m)
{
    for (int i = 0; i < m->n; i++) {
        free(m->keys[i]);
        free(m->vals[i]);
    }
    free(m->keys);
    free(m->vals);
}

static int write_checkpoint(em_train_run *r, const char *path)
{
    char opt_tmp[4200];
    snprintf(opt_tmp, sizeof opt_tmp, "%s.optim-%d.tmp", path, (int)getpid());
    int rc = -1;
    em_safetensors *ost = NULL;
    meta_list meta = {0};
    int np = em_tree_size(r->params), cap = np + 64, n = 0;
    char **names = calloc((size_t)cap, sizeof *names);
    em_array **arrays = calloc((size_t)cap, sizeof *arrays);
    em_scope *s = em_scope_begin();
    if (!names || !arrays)
        goto out;
    for (int i = 0; i < np; i++) {
        size_t L = strlen(em_tree_name(r->params, i)) + 8;
        names[n] = malloc(L);
        snprintf(names[n], L, "model.%s", em_tree_name(r->params, i));
        arrays[n++] = em_tree_at(r->params, i);
    }
    /* the optimizer's own file, folded into ours under "optim." */
    if (em_optimizer_step(r->opt) > 0) {
        if (em_optimizer_save(r->opt, opt_tmp) < 0)
            goto out;
        ost = em_safetensors_open(opt_tmp);
        if (!ost)
            goto out;
        int no = em_safetensors_count(ost);
        if (n + no + 1 > cap) { /* + 1: run.key below */
            cap = n + no + 1;
            names = realloc(names, (size_t)cap * sizeof *names);
            arrays = realloc(arrays, (size_t)cap * sizeof *arrays);
        }
        for (int i = 0; i < no; i++) {
            const char *on = em_safetensors_name(ost, i);
            size_t L = strlen(on) + 8;
            names[n] = malloc(L);
            snprintf(names[n], L, "optim.%s", on);
            arrays[n++] = em_safetensors_get_index(ost, i);
        }
        for (int i = 0; i < em_safetensors_metadata_count(ost); i++) {
            char k[512];
            snprintf(k, sizeof k, "optim.%s", em_safetensors_metadata_key(ost, i));
            meta_add(&meta, k, "%s", em_safetensors_metadata_value(ost, i));
        }
    }
    meta_add(&meta, "format", "ember-train-checkpoint-1");
    meta_add(&meta, "task", "%s", r->task);
    meta_add(&meta, "model", "%s", r->model_name);
    meta_add(&meta, "optimizer", "%s", r->optimizer_name);
    meta_add(&meta, "lr", "%.17g", r->c.lr);
    meta_add(&meta, "weight_decay", "%.17g", r->c.weight_decay);
    meta_add(&meta, "grad_clip", "%.17g", r->c.grad_clip);
    meta_add(&meta, "warmup_steps", "%" PRId64, r->c.warmup_steps);
    meta_add(&meta, "cosine", "%d", r->c.cosine ? 1 : 0);
    meta_add(&meta, "min_lr_ratio", "%.17g", r->c.min_lr_ratio);
    meta_add(&meta, "batch_size", "%" PRId64, r->c.batch_size);
    meta_add(&meta, "seed", "%" PRIu64, r->c.seed);
    meta_add(&meta, "epochs", "%" PRId64, r->c.epochs);
    meta_add(&meta, "max_steps", "%" PRId64, r->c.max_steps);
    meta_add(&meta, "run.step", "%" PRId64, r->step);
    meta_add(&meta, "run.epoch", "%" PRId64, r->epoch);
    meta_add(&meta, "run.batch", "%" PRId64, r->batch);
    meta_add(&meta, "run.epoch_loss_sum", "%a", r->epoch_loss_sum);
    meta_add(&meta, "run.epoch_loss_n", "%" PRId64, r->epoch_loss_n);
    meta_add(&meta, "run.epoch_seconds", "%.17g", r->epoch_seconds);
    if (r->model.kind == EM__MODEL_GPT) {
        meta_add(&meta, "gpt.n_layers", "%d", r->model.n_layers);
        meta_add(&meta, "gpt.n_heads", "%d", r->model.n_heads);
        meta_add(&meta, "gpt.d_model", "%d", r->model.d_model);
        meta_add(&meta, "gpt.context", "%d", r->model.context);
        meta_add(&meta, "gpt.eval_every", "%" PRId64, r->c.eval_every);
        meta_add(&meta, "gpt.eval_batches", "%" PRId64, r->c.eval_batches);
        char hex[513];
        const uint8_t *v = em_text_vocab(r->text);
        int V = em_text_vocab_size(r->text);
        for (int i = 0; i < V; i++)
            snprintf(hex + 2 * i, 3, "%02x", v[i]);
        hex[2 * V] = 0;
        meta_add(&meta, "gpt.vocab", "%s", hex);
    }
    /* the key the data order and initialisation derive from */
    names[n] = strdup("run.key");
    arrays[n++] = em_data_key(r->c.seed, 0, 0);
    rc = em_save_safetensors(path, (const char *const *)names, arrays, n,
                             (const char *const *)meta.keys, (const char *const *)meta.vals,
                             meta.n);
out:
    em_scope_end(s);
    if (ost)
        em_safetensors_close(ost);
    unlink(opt_tmp);
    if (names)
        for (int i = 0; i < n; i++)
            free(names[i]);
    free(names);
    free(arrays);
    meta_free(&meta);
    return rc;
}

int em_train_save_checkpoint(em_train_run *r, const char *path)
{
    if (!r)
        return em__error("train: NULL run");
    char p[4096];
    if (!path) {
        if (!r->checkpoint_dir)
            return em__error("train: no checkpoint folder was given");
        if (mkdir_p(r->checkpoint_dir) < 0)
            return -1;
        snprintf(p, sizeof p, "%s/%s", r->checkpoint_dir, CKPT);
        path = p;
    }
    return write_checkpoint(r, path);
}

static const char *ckpt_path(const char *dir, char *buf, size_t n)
{
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISREG(st.st_mode))
        snprintf(buf, n, "%s", dir);
    else
        snprintf(buf, n, "%s/%s", dir, CKPT);
    return buf;
}

static int meta_i64(em_safetensors *st, const char *k, int64_t *v)
{
    const char *s = em_safetensors_metadata(st, k);
    if (!s)
        return em__error("train: the checkpoint lacks '%s'", k);
    *v = strtoll(s, NULL, 10);
    return 0;
}

static int meta_f64(em_safetensors *st, const char *k, double *v)
{
    const char *s = em_safetensors_metadata(st, k);
    if (!s)
        return em__error("train: the checkpoint lacks '%s'", k);
    *v = strtod(s, NULL);
    return 0;
}

/* Restores the model configuration (and the hyper-parameters fixed by the
 * checkpoint) from its metadata into r. */
static int read_ckpt_config(em_train_run *r, em_safetensors *st)
{
    const char *fmt = em_safetensors_metadata(st, "format");
    if (!fmt || strcmp(fmt, "ember-train-checkpoint-1"))
        return em__error("train: not an Ember training checkpoint (format '%s')",
                         fmt ? fmt : "none");
    const char *task = em_safetensors_metadata(st, "task");
    const char *model = em_safetensors_metadata(st, "model");
    const char *opt = em_safetensors_metadata(st, "optimizer");
    if (!task || !model || !opt)
        return em__error("train: the checkpoint lacks its task, model or optimizer");
    free(r->task);
    free(r->model_name);
    free(r->optimizer_name);
    r->task = strdup(task);
    r->model_name = strdup(model);
    r->optimizer_name = strdup(opt);
    r->c.task = r->task;
    r->c.model = r->model_name;
    r->c.optimizer = r->optimizer_name;
    int64_t seed = 0, cosine = 0;
    if (meta_f64(st, "lr", &r->c.lr) < 0 || meta_f64(st, "weight_decay", &r->c.weight_decay) < 0 ||
        meta_f64(st, "grad_clip", &r->c.grad_clip) < 0 ||
        meta_i64(st, "warmup_steps", &r->c.warmup_steps) < 0 ||
        meta_i64(st, "cosine", &cosine) < 0 ||
        meta_f64(st, "min_lr_ratio", &r->c.min_lr_ratio) < 0 ||
        meta_i64(st, "batch_size", &r->c.batch_size) < 0 || meta_i64(st, "seed", &seed) < 0)
        return -1;
    r->c.cosine = cosine != 0;
    r->c.seed = (uint64_t)strtoull(em_safetensors_metadata(st, "seed"), NULL, 10);
    if (!strcmp(model, "gpt")) {
        int64_t a = 0, b = 0, c = 0, d = 0;
        if (meta_i64(st, "gpt.n_layers", &a) < 0 || meta_i64(st, "gpt.n_heads", &b) < 0 ||
            meta_i64(st, "gpt.d_model", &c) < 0 || meta_i64(st, "gpt.context", &d) < 0 ||
            meta_i64(st, "gpt.eval_every", &r->c.eval_every) < 0 ||
            meta_i64(st, "gpt.eval_batches", &r->c.eval_batches) < 0)
            return -1;
        r->c.n_layers = (int)a;
        r->c.n_heads = (int)b;
        r->c.d_model = (int)c;
        r->c.context = (int)d;
    }
    return 0;
}

static int load_params(em_tree *params, em_safetensors *st)
{
    for (int i = 0; i < em_safetensors_count(st); i++) {
        const char *nm = em_safetensors_name(st, i);
        if (strncmp(nm, "model.", 6))
            continue;
        int rc = 0;
        EM_SCOPE {
            /* a private copy: the mapping goes away with the file */
            em_array *a = em_contiguous(em_astype(em_safetensors_get_index(st, i), EM_FLOAT32));
            em_array *c = a ? em_multiply(a, em_scalar_f(1.0)) : NULL;
            if (!c || em_eval(c) < 0 || em_tree_set(params, nm + 6, c) < 0)
                rc = -1;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int restore_run_state(em_train_run *r, em_safetensors *st, const char *path)
{
    int64_t n_model = 0;
    for (int i = 0; i < em_safetensors_count(st); i++)
        n_model += !strncmp(em_safetensors_name(st, i), "model.", 6);
    if (n_model != em_tree_size(r->params))
        return em__error("train: %s holds %lld parameters, the model %d", path,
                         (long long)n_model, em_tree_size(r->params));
    em_tree *loaded = em_tree_new();
    int rc = load_params(loaded, st);
    for (int i = 0; rc == 0 && i < em_tree_size(loaded); i++) {
        const char *nm = em_tree_name(loaded, i);
        em_array *want = em_get(r->params, nm);
        em_array *got = em_tree_at(loaded, i);
        if (!want) {
            rc = -1;
            break;
        }
        if (em_array_ndim(want) != em_array_ndim(got) ||
            memcmp(em_array_shape(want), em_array_shape(got),
                   (size_t)em_array_ndim(got) * sizeof(int64_t))) {
            rc = em__error("train: %s: parameter %s has another shape than the model's", path, nm);
            break;
        }
        rc = em_tree_set(r->params, nm, got);
    }
    em_tree_free(loaded);
    if (rc < 0)
        return -1;
    int64_t en = 0;
    const char *els = em_safetensors_metadata(st, "run.epoch_loss_sum");
    if (meta_i64(st, "run.step", &r->step) < 0 || meta_i64(st, "run.epoch", &r->epoch) < 0 ||
        meta_i64(st, "run.batch", &r->batch) < 0 || meta_i64(st, "run.epoch_loss_n", &en) < 0 ||
        meta_f64(st, "run.epoch_seconds", &r->epoch_seconds) < 0 || !els)
        return els ? -1 : em__error("train: the checkpoint lacks its epoch loss");
    r->epoch_loss_n = en;
    r->epoch_loss_sum = strtod(els, NULL);
    /* the optimizer state: back into a file of the optimizer's own form */
    int no = 0;
    for (int i = 0; i < em_safetensors_count(st); i++)
        no += !strncmp(em_safetensors_name(st, i), "optim.", 6);
    if (no == 0)
        return 0;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.optim-%d.tmp", path, (int)getpid());
    const char **names = calloc((size_t)no, sizeof *names);
    em_array **arrays = calloc((size_t)no, sizeof *arrays);
    int nm_count = em_safetensors_metadata_count(st), nmeta = 0;
    const char **mk = calloc((size_t)nm_count + 1, sizeof *mk);
    const char **mv = calloc((size_t)nm_count + 1, sizeof *mv);
    rc = -1;
    em_scope *s = em_scope_begin();
    if (names && arrays && mk && mv) {
        int k = 0;
        for (int i = 0; i < em_safetensors_count(st); i++) {
            const char *nm = em_safetensors_name(st, i);
            if (strncmp(nm, "optim.", 6))
                continue;
            names[k] = nm + 6;
            arrays[k++] = em_safetensors_get_index(st, i);
        }
        for (int i = 0; i < nm_count; i++) {
            const char *key = em_safetensors_metadata_key(st, i);
            if (!strncmp(key, "optim.", 6)) {
                mk[nmeta] = key + 6;
                mv[nmeta++] = em_safetensors_metadata_value(st, i);
            }
        }
        rc = em_save_safetensors(tmp, names, arrays, k, mk, mv, nmeta);
    }
    em_scope_end(s);
    free(names);
    free(arrays);
    free(mk);
    free(mv);
    if (rc == 0)
        rc = em_optimizer_load(r->opt, tmp);
    unlink(tmp);
    return rc;
}

/* ---- construction ---- */

void em_train_free(em_train_run *r)
{
    if (!r)
        return;
    em_tree_free(r->params);
    if (r->opt)
        em_optimizer_free(r->opt);
    em_mnist_free(r->mnist);
    em_text_free(r->text);
    free(r->order);
    free(r->task);
    free(r->model_name);
    free(r->optimizer_name);
    free(r->device);
    free(r->data_dir);
    free(r->checkpoint_dir);
    free(r);
}

static int setup_model(em_train_run *r)
{
    const em_train_config *c = &r->c;
    memset(&r->model, 0, sizeof r->model);
    if (!strcmp(c->task, "fashion-mnist")) {
        if (!strcmp(c->model, "mlp"))
            r->model.kind = EM__MODEL_MLP;
        else if (!strcmp(c->model, "cnn"))
            r->model.kind = EM__MODEL_CNN;
        else
            return em__error("train: fashion-mnist has models mlp and cnn, not '%s'", c->model);
    } else if (!strcmp(c->task, "fortunes")) {
        if (strcmp(c->model, "gpt"))
            return em__error("train: fortunes has the model gpt, not '%s'", c->model);
        r->model.kind = EM__MODEL_GPT;
        if (c->n_layers < 1 || c->n_heads < 1 || c->d_model < 1 || c->context < 1 ||
            c->d_model % c->n_heads)
            return em__error("train: gpt needs layers, heads, width and context >= 1 and the "
                             "width a multiple of the heads (got %d, %d, %d, %d)",
                             c->n_layers, c->n_heads, c->d_model, c->context);
        r->model.n_layers = c->n_layers;
        r->model.n_heads = c->n_heads;
        r->model.d_model = c->d_model;
        r->model.context = c->context;
    } else {
        return em__error("train: unknown task '%s' (fashion-mnist or fortunes)", c->task);
    }
    return 0;
}

em_train_run *em_train_new(const em_train_config *cfg)
{
    if (!cfg || !cfg->task) {
        em__error("train: no configuration or task");
        return NULL;
    }
    em_train_run *r = calloc(1, sizeof *r);
    if (!r) {
        em__error("train: out of memory");
        return NULL;
    }
    r->c = *cfg;
    r->task = strdup(cfg->task);
    r->model_name = strdup(cfg->model ? cfg->model : "");
    r->optimizer_name = strdup(cfg->optimizer ? cfg->optimizer : "adam");
    r->device = strdup(cfg->device ? cfg->device : "cpu");
    r->data_dir = dup_or_null(cfg->data_dir);
    r->checkpoint_dir = dup_or_null(cfg->checkpoint_dir);
    r->c.task = r->task;
    r->c.model = r->model_name;
    r->c.optimizer = r->optimizer_name;
    r->c.device = r->device;
    r->c.data_dir = r->data_dir;
    r->c.checkpoint_dir = r->checkpoint_dir;
    r->order_epoch = -1;
    atomic_init(&r->cancel, false);
    em_safetensors *st = NULL;
    char path[4200];
    if (cfg->resume) {
        if (!r->checkpoint_dir) {
            em__error("train: --resume needs a checkpoint folder");
            goto fail;
        }
        st = em_safetensors_open(ckpt_path(r->checkpoint_dir, path, sizeof path));
        if (!st || read_ckpt_config(r, st) < 0)
            goto fail;
    }
    if (strcmp(r->device, "cpu") && strcmp(r->device, "gpu")) {
        em__error("train: unknown device '%s' (cpu or gpu)", r->device);
        goto fail;
    }
    if (!strcmp(r->device, "gpu") && !em_device_available(em_gpu())) {
        em__error("train: no GPU (Vulkan) device is available");
        goto fail;
    }
    if (r->c.batch_size < 1 || r->c.lr <= 0 || r->c.epochs < 0 || r->c.max_steps < 0) {
        em__error("train: batch size and learning rate must be positive (got %lld, %g)",
                  (long long)r->c.batch_size, r->c.lr);
        goto fail;
    }
    if (setup_model(r) < 0)
        goto fail;
    if (is_fashion(r)) {
        r->mnist = em_mnist_load(r->data_dir);
        if (!r->mnist)
            goto fail;
        int64_t n = em_mnist_count(r->mnist, EM_DATA_TRAIN);
        r->order = malloc((size_t)n * sizeof *r->order);
        r->batches_per_epoch = (n + r->c.batch_size - 1) / r->c.batch_size;
    } else {
        r->text = em_text_load_fortunes(r->data_dir);
        if (!r->text)
            goto fail;
        r->model.vocab = em_text_vocab_size(r->text);
        if (st) {
            const char *hex = em_safetensors_metadata(st, "gpt.vocab");
            char mine[513];
            for (int i = 0; i < r->model.vocab; i++)
                snprintf(mine + 2 * i, 3, "%02x", em_text_vocab(r->text)[i]);
            mine[2 * r->model.vocab] = 0;
            if (!hex || strcmp(hex, mine)) {
                em__error("train: the checkpoint's vocabulary differs from this corpus'");
                goto fail;
            }
        }
        int64_t n;
        em_text_tokens(r->text, EM_DATA_TRAIN, &n);
        r->batches_per_epoch = r->c.eval_every > 0 ? r->c.eval_every : 100;
        int64_t per_pass = n / (r->c.batch_size * r->model.context);
        if (per_pass < 1)
            per_pass = 1;
        r->total_steps = r->c.epochs * per_pass;
    }
    if (is_fashion(r))
        r->total_steps = r->c.epochs * r->batches_per_epoch;
    if (r->c.max_steps > 0 && (r->total_steps == 0 || r->c.max_steps < r->total_steps))
        r->total_steps = r->c.max_steps;
    r->params = em_tree_new();
    if (em__model_init(&r->model, r->c.seed, r->params) < 0)
        goto fail;
    r->opt = make_optimizer(&r->c);
    if (!r->opt)
        goto fail;
    if (st) {
        if (restore_run_state(r, st, path) < 0)
            goto fail;
        em_safetensors_close(st);
        st = NULL;
    }
    return r;
fail:
    if (st)
        em_safetensors_close(st);
    em_train_free(r);
    return NULL;
}

void em_train_cancel(em_train_run *r)
{
    if (r)
        atomic_store(&r->cancel, true);
}
bool em_train_is_cancelled(const em_train_run *r)
{
    return r && atomic_load(&((em_train_run *)r)->cancel);
}
const em_tree *em_train_params(const em_train_run *r) { return r ? r->params : NULL; }
int64_t em_train_steps_done(const em_train_run *r) { return r ? r->step : 0; }
const em_train_config *em_train_get_config(const em_train_run *r) { return r ? &r->c : NULL; }

int em_train_save_weights(const em_train_run *r, const char *path)
{
    if (!r)
        return em__error("train: NULL run");
    int n = em_tree_size(r->params);
    const char **names = calloc((size_t)n + 1, sizeof *names);
    em_array **arrays = calloc((size_t)n + 1, sizeof *arrays);
    for (int i = 0; i < n && names && arrays; i++) {
        names[i] = em_tree_name(r->params, i);
        arrays[i] = em_tree_at(r->params, i);
    }
    const char *mk[2] = {"task", "model"}, *mv[2] = {r->task, r->model_name};
    int rc = names && arrays ? em_save_safetensors(path, names, arrays, n, mk, mv, 2)
                             : em__error("train: out of memory");
    free(names);
    free(arrays);
    return rc;
}

em_tree *em_train_step_graph(em_train_run *r, em_array **loss)
{
    if (!r) {
        em__error("train: NULL run");
        return NULL;
    }
    em_tree *g = NULL;
    EM_SCOPE {
        em_array *x, *y;
        if (next_batch(r, &x, &y) < 0)
            break;
        em_array *args[2] = {x, y};
        g = em_value_and_grad_tree(loss_fn, &r->model, r->params, args, 2, loss);
        if (loss && *loss)
            em_keep(*loss);
    }
    return g;
}

int em_train_predict(em_train_run *r, int64_t first, int64_t n, int32_t *pred, int32_t *labels)
{
    if (!r || !is_fashion(r))
        return em__error("train: predictions are for fashion-mnist runs");
    if (first < 0 || n < 0 || first + n > em_mnist_count(r->mnist, EM_DATA_TEST))
        return em__error("train: test samples %lld..%lld out of range", (long long)first,
                         (long long)(first + n));
    int64_t *idx = malloc((size_t)(n + 1) * sizeof *idx);
    if (!idx)
        return em__error("train: out of memory");
    for (int64_t i = 0; i < n; i++)
        idx[i] = first + i;
    int rc = -1;
    EM_SCOPE {
        em_array *x, *y;
        if (em_mnist_batch(r->mnist, EM_DATA_TEST, idx, n, r->model.kind == EM__MODEL_CNN, &x,
                           &y) < 0)
            break;
        em_array *p = em_argmax(em__model_forward(&r->model, r->params, x), -1, false);
        if (p && em_array_read(p, EM_INT32, pred, n) == n &&
            (!labels || em_array_read(y, EM_INT32, labels, n) == n))
            rc = 0;
    }
    free(idx);
    return rc;
}

/* ---- the loop ---- */

static void fill_times(em_train_run *r, em_train_progress *p, double t0, int64_t steps_here,
                       int64_t samples_here)
{
    double el = now() - t0;
    p->elapsed_seconds = el;
    p->samples_per_second = el > 0 ? (double)samples_here / el : 0;
    p->tokens_per_second =
        r->model.kind == EM__MODEL_GPT ? p->samples_per_second * r->model.context : NAN;
    int64_t left = r->total_steps - r->step;
    p->remaining_seconds = steps_here > 0 && left > 0 ? el / (double)steps_here * (double)left : 0;
}

static int do_step(em_train_run *r, double *loss_out)
{
    int rc = -1;
    double lr = lr_at(r, r->step);
    em_optimizer_set_lr(r->opt, lr);
    EM_SCOPE {
        em_array *x, *y, *loss = NULL;
        if (next_batch(r, &x, &y) < 0)
            break;
        em_array *args[2] = {x, y};
        em_tree *g = em_value_and_grad_tree(loss_fn, &r->model, r->params, args, 2, &loss);
        if (!g)
            break;
        if (r->c.grad_clip > 0)
            em_clip_grad_norm(g, r->c.grad_clip);
        if (em_eval(loss) == 0 && em_optimizer_update(r->opt, r->params, g) == 0 &&
            em_optimizer_eval(r->opt, r->params) == 0) {
            *loss_out = em_item_f64(loss);
            rc = 0;
        }
        em_tree_free(g);
    }
    return rc;
}

em_train_status em_train_exec(em_train_run *r)
{
    if (!r) {
        em__error("train: NULL run");
        return EM_TRAIN_FAILED;
    }
    if (!strcmp(r->device, "gpu"))
        em_set_default_device(em_gpu());
    double t0 = now(), t_start = t0;
    int64_t steps_here = 0, samples_here = 0;
    em_train_status status = EM_TRAIN_DONE;
    bool fashion = is_fashion(r);
    int64_t epochs = fashion ? r->c.epochs
                             : (r->total_steps + r->batches_per_epoch - 1) / r->batches_per_epoch;
    double epoch_t = now();
    /* A run limited by time alone: its length (and so the schedule's) is
     * estimated from the steps' pace so far, refined after every step. */
    bool by_time = r->c.max_seconds > 0 && r->c.max_steps <= 0;
    if (by_time)
        r->total_steps = INT64_MAX / 4;
    while (r->step < r->total_steps) {
        if (by_time && steps_here >= 5) {
            double el = now() - t_start, left = r->c.max_seconds - el;
            int64_t more = left > 0 ? (int64_t)(left / (el / (double)steps_here)) : 0;
            r->total_steps = r->step + (more > 0 ? more : 1);
        }
        if (atomic_load(&r->cancel)) {
            status = EM_TRAIN_CANCELLED;
            break;
        }
        double loss;
        double t_step = now();
        double lr = lr_at(r, r->step);
        if (do_step(r, &loss) < 0) {
            status = EM_TRAIN_FAILED;
            break;
        }
        int64_t bsz = r->c.batch_size;
        if (fashion) {
            int64_t left = em_mnist_count(r->mnist, EM_DATA_TRAIN) - r->batch * bsz;
            if (left < bsz)
                bsz = left;
        }
        r->step++;
        r->batch++;
        steps_here++;
        samples_here += bsz;
        r->epoch_loss_sum += loss;
        r->epoch_loss_n++;
        r->epoch_seconds += now() - t_step;
        em_train_progress p = {0};
        p.event = EM_TRAIN_EVENT_STEP;
        p.step = r->step;
        p.total_steps = r->total_steps;
        p.epoch = r->epoch + 1;
        p.epochs = epochs;
        p.batch = r->batch;
        p.batches_per_epoch = r->batches_per_epoch;
        p.loss = loss;
        p.train_loss = r->epoch_loss_sum / (double)r->epoch_loss_n;
        p.test_accuracy = NAN;
        p.val_loss = NAN;
        p.lr = lr;
        p.epoch_seconds = NAN;
        fill_times(r, &p, t0, steps_here, samples_here);
        if (r->c.on_step)
            r->c.on_step(&p, r->c.user);
        bool time_up = r->c.max_seconds > 0 && now() - t_start >= r->c.max_seconds;
        bool epoch_end =
            r->batch >= r->batches_per_epoch || r->step >= r->total_steps || time_up;
        if (epoch_end) {
            double t_eval = now();
            p.event = EM_TRAIN_EVENT_EPOCH;
            p.epoch_seconds = r->epoch_seconds;
            if (fashion)
                p.test_accuracy = test_accuracy(r);
            else
                p.val_loss = val_loss(r);
            if (em_error_pending() && isnan(fashion ? p.test_accuracy : p.val_loss)) {
                status = EM_TRAIN_FAILED;
                break;
            }
            t0 += now() - t_eval; /* evaluation is not training time */
            if (r->c.on_epoch)
                r->c.on_epoch(&p, r->c.user);
            r->epoch++;
            r->batch = 0;
            r->epoch_loss_sum = 0;
            r->epoch_loss_n = 0;
            r->epoch_seconds = 0;
            epoch_t = now();
        }
        if (time_up)
            break;
        if (r->checkpoint_dir && r->c.checkpoint_every > 0 && r->step % r->c.checkpoint_every == 0 &&
            r->step < r->total_steps) {
            double tc = now();
            if (em_train_save_checkpoint(r, NULL) < 0) {
                status = EM_TRAIN_FAILED;
                break;
            }
            t0 += now() - tc;
        }
    }
    (void)epoch_t;
    if (status != EM_TRAIN_FAILED && r->checkpoint_dir && r->step > 0 &&
        em_train_save_checkpoint(r, NULL) < 0)
        status = EM_TRAIN_FAILED;
    return status;
}
