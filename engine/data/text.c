/* The fortunes corpus as a character-level (byte-level) text dataset. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/array_internal.h"
#include "core/error_internal.h"
#include "ember/data.h"

int em__data_randint(uint64_t seed, uint64_t stream, uint64_t index, int64_t high, int64_t n,
                     int64_t *out);

struct em_text {
    int vocab_size;
    uint8_t vocab[256];
    int16_t id_of[256];
    int32_t *tokens[2];
    int64_t n_tokens[2];
    int n_fortunes[2];
};

typedef struct {
    char *p;
    size_t n, cap;
} buf;

static int buf_put(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->n + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

/* Drops control bytes (but '\n' and '\t'); a backspace removes the byte before
 * it (overstrike). Works in place; returns the new length. */
static size_t filter_controls(char *s, size_t n)
{
    size_t w = 0;
    for (size_t r = 0; r < n; r++) {
        unsigned char c = (unsigned char)s[r];
        if (c == '\b') {
            if (w > 0 && s[w - 1] != '\n')
                w--;
            continue;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            continue;
        s[w++] = (char)c;
    }
    return w;
}

/* Splits filtered text at '%' lines into the two splits' byte streams. */
static int split_fortunes(const char *s, size_t n, int *counter, buf out[2], int nf[2])
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        bool at_end = i == n;
        bool sep = false;
        if (!at_end && s[i] == '%' && (i == 0 || s[i - 1] == '\n') &&
            (i + 1 == n || s[i + 1] == '\n'))
            sep = true;
        if (!sep && !at_end)
            continue;
        size_t a = start, b = i;
        while (a < b && (s[a] == '\n' || s[a] == ' ' || s[a] == '\t'))
            a++;
        while (b > a && (s[b - 1] == '\n' || s[b - 1] == ' ' || s[b - 1] == '\t'))
            b--;
        /* Keep leading indentation of the first line: go back to its start. */
        while (a > start && s[a - 1] != '\n')
            a--;
        if (b > a) {
            int which = (*counter % 10 == 9) ? EM_DATA_TEST : EM_DATA_TRAIN;
            (*counter)++;
            nf[which]++;
            if (buf_put(&out[which], s + a, b - a) < 0 || buf_put(&out[which], "\n%\n", 3) < 0)
                return -1;
        }
        start = i + 2;
        if (at_end)
            break;
        i++; /* skip the '\n' after '%' */
    }
    return 0;
}

static em_text *build(buf out[2], int nf[2])
{
    em_text *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    bool seen[256] = {0};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < out[s].n; i++)
            seen[(unsigned char)out[s].p[i]] = true;
    for (int c = 0; c < 256; c++) {
        t->id_of[c] = -1;
        if (seen[c]) {
            t->id_of[c] = (int16_t)t->vocab_size;
            t->vocab[t->vocab_size++] = (uint8_t)c;
        }
    }
    for (int s = 0; s < 2; s++) {
        t->n_fortunes[s] = nf[s];
        t->n_tokens[s] = (int64_t)out[s].n;
        t->tokens[s] = malloc((out[s].n + 1) * sizeof(int32_t));
        if (!t->tokens[s]) {
            em_text_free(t);
            return NULL;
        }
        for (size_t i = 0; i < out[s].n; i++)
            t->tokens[s][i] = t->id_of[(unsigned char)out[s].p[i]];
    }
    return t;
}

em_text *em_text_from_string(const char *text, size_t len)
{
    if (!text && len) {
        em__error("text_from_string: NULL text");
        return NULL;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        em__error("text_from_string: out of memory");
        return NULL;
    }
    memcpy(copy, text, len);
    size_t n = filter_controls(copy, len);
    buf out[2] = {{0}};
    int nf[2] = {0, 0}, counter = 0;
    em_text *t = NULL;
    if (split_fortunes(copy, n, &counter, out, nf) == 0)
        t = build(out, nf);
    free(copy);
    free(out[0].p);
    free(out[1].p);
    if (!t)
        em__error("text_from_string: out of memory");
    return t;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *missing_msg =
    "fortunes: %s not found (on Debian install the package fortunes: apt install fortunes)";

em_text *em_text_load_fortunes(const char *dir)
{
    if (!dir || !*dir) {
        const char *env = getenv("EMBER_FORTUNES_DIR");
        dir = env && *env ? env : EM_FORTUNES_DIR;
    }
    DIR *d = opendir(dir);
    if (!d) {
        em__error(missing_msg, dir);
        return NULL;
    }
    char **names = NULL;
    size_t n_names = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *nm = e->d_name;
        size_t L = strlen(nm);
        if (nm[0] == '.' || (L > 4 && !strcmp(nm + L - 4, ".dat")) ||
            (L > 3 && !strcmp(nm + L - 3, ".u8")))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n_names == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        names[n_names++] = strdup(nm);
    }
    closedir(d);
    if (n_names == 0) {
        free(names);
        em__error("fortunes: no fortune files in %s (on Debian install the package fortunes: "
                  "apt install fortunes)", dir);
        return NULL;
    }
    qsort(names, n_names, sizeof *names, cmp_str);
    buf out[2] = {{0}};
    int nf[2] = {0, 0}, counter = 0;
    em_text *t = NULL;
    int rc = 0;
    for (size_t i = 0; i < n_names && rc == 0; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        if (!f) {
            em__error("fortunes: cannot open %s: %s", path, strerror(errno));
            rc = -1;
            break;
        }
        buf content = {0};
        char chunk[65536];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            if (buf_put(&content, chunk, got) < 0) {
                rc = -1;
                break;
            }
        fclose(f);
        if (rc == 0 && content.n) {
            size_t n = filter_controls(content.p, content.n);
            rc = split_fortunes(content.p, n, &counter, out, nf);
        }
        free(content.p);
        if (rc < 0 && !em_error_pending())
            em__error("fortunes: out of memory reading %s", path);
    }
    if (rc == 0) {
        t = build(out, nf);
        if (!t)
            em__error("fortunes: out of memory");
    }
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    free(out[0].p);
    free(out[1].p);
    return t;
}

void em_text_free(em_text *t)
{
    if (!t)
        return;
    free(t->tokens[0]);
    free(t->tokens[1]);
    free(t);
}

int em_text_vocab_size(const em_text *t) { return t ? t->vocab_size : 0; }
const uint8_t *em_text_vocab(const em_text *t) { return t ? t->vocab : NULL; }
int em_text_count_fortunes(const em_text *t, em_data_split split)
{
    return t && (split == EM_DATA_TRAIN || split == EM_DATA_TEST) ? t->n_fortunes[split] : 0;
}
const int32_t *em_text_tokens(const em_text *t, em_data_split split, int64_t *n)
{
    if (!t || (split != EM_DATA_TRAIN && split != EM_DATA_TEST)) {
        if (n)
            *n = 0;
        return NULL;
    }
    if (n)
        *n = t->n_tokens[split];
    return t->tokens[split];
}
int em_text_encode_byte(const em_text *t, uint8_t byte) { return t ? t->id_of[byte] : -1; }

int64_t em_text_encode(const em_text *t, const char *s, size_t len, int32_t *out, int64_t max)
{
    if (!t || (!s && len))
        return 0;
    int64_t w = 0;
    for (size_t i = 0; i < len && w < max; i++) {
        int id = t->id_of[(unsigned char)s[i]];
        if (id >= 0)
            out[w++] = id;
    }
    return w;
}

int em_text_batch(const em_text *t, em_data_split split, const int64_t *offsets, int64_t n,
                  int context, em_array **inputs, em_array **targets)
{
    if (!inputs || !targets)
        return em__error("text_batch: inputs and targets must not be NULL");
    *inputs = *targets = NULL;
    if (!t || (split != EM_DATA_TRAIN && split != EM_DATA_TEST) || n < 0 || context < 1 ||
        (n && !offsets))
        return em__error("text_batch: bad arguments");
    int64_t len = t->n_tokens[split];
    int32_t *x = malloc((size_t)(n * context + 1) * sizeof *x);
    int32_t *y = malloc((size_t)(n * context + 1) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return em__error("text_batch: out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        if (offsets[i] < 0 || offsets[i] + context + 1 > len) {
            free(x);
            free(y);
            return em__error("text_batch: window at %lld of %d+1 tokens passes the end of the "
                             "split (%lld tokens)", (long long)offsets[i], context,
                             (long long)len);
        }
        memcpy(x + i * context, t->tokens[split] + offsets[i], (size_t)context * sizeof *x);
        memcpy(y + i * context, t->tokens[split] + offsets[i] + 1, (size_t)context * sizeof *y);
    }
    int64_t shape[2] = {n, context};
    em__internal_begin();
    em_array *out[2];
    out[0] = em_array_from_data(x, 2, shape, EM_INT32);
    out[1] = out[0] ? em_array_from_data(y, 2, shape, EM_INT32) : NULL;
    free(x);
    free(y);
    if (!out[0] || !out[1]) {
        if (out[0])
            em_release(out[0]);
        return em__internal_end_many(-1, out, 0);
    }
    em__internal_end_many(0, out, 2);
    *inputs = out[0];
    *targets = out[1];
    return 0;
}

int em_text_random_offsets(const em_text *t, em_data_split split, uint64_t seed, int64_t step,
                           int context, int64_t n, int64_t *out)
{
    if (!t || (split != EM_DATA_TRAIN && split != EM_DATA_TEST) || n < 0 || (n && !out) ||
        context < 1)
        return em__error("text_random_offsets: bad arguments");
    int64_t high = t->n_tokens[split] - context;
    if (high < 1)
        return em__error("text_random_offsets: the split holds %lld tokens, fewer than a window "
                         "of %d+1", (long long)t->n_tokens[split], context);
    return em__data_randint(seed, 2 + (uint64_t)split, (uint64_t)step, high, n, out);
}
