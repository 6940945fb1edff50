/* parity-runner DIR: runs every case of DIR/manifest.txt.
 *
 * manifest line: NAME OP N_IN N_OUT RTOL ATOL [key=value ...]
 * files: DIR/NAME.in0.npy ..., DIR/NAME.out0.npy ... (numpy's results)
 * A case with error=1 expects the op to fail with a message (no output files).
 * Outputs are compared as float64: shapes equal, dtypes equal unless
 * check_dtype=0, |got - want| <= atol + rtol * |want|, NaN where numpy has NaN. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity.h"

#define FAMILY(name) extern const parity_op parity_ops_##name[];
#include "families.def"
#undef FAMILY

static const parity_op *const families[] = {
#define FAMILY(name) parity_ops_##name,
#include "families.def"
#undef FAMILY
};

const char *parity_arg(const parity_args *a, const char *key)
{
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->key[i], key))
            return a->value[i];
    return NULL;
}

int64_t parity_int(const parity_args *a, const char *key, int64_t def)
{
    const char *v = parity_arg(a, key);
    return v && strcmp(v, "none") ? strtoll(v, NULL, 10) : def;
}

double parity_f64(const parity_args *a, const char *key, double def)
{
    const char *v = parity_arg(a, key);
    return v && strcmp(v, "none") ? strtod(v, NULL) : def;
}

bool parity_bool(const parity_args *a, const char *key, bool def)
{
    const char *v = parity_arg(a, key);
    if (!v)
        return def;
    return !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "True");
}

int parity_i64s(const parity_args *a, const char *key, int64_t *out, int n)
{
    const char *v = parity_arg(a, key);
    if (!v || !strcmp(v, "none"))
        return -1;
    int k = 0;
    while (*v && k < n) {
        char *end;
        out[k++] = strtoll(v, &end, 10);
        if (end == v)
            return k - 1;
        v = *end == ',' ? end + 1 : end;
    }
    return k;
}

int parity_ints(const parity_args *a, const char *key, int *out, int n)
{
    int64_t tmp[64];
    int k = parity_i64s(a, key, tmp, n < 64 ? n : 64);
    for (int i = 0; i < k; i++)
        out[i] = (int)tmp[i];
    return k;
}

em_dtype parity_dtype(const parity_args *a, const char *key, em_dtype def)
{
    const char *v = parity_arg(a, key);
    int t = v ? em_dtype_from_name(v) : -1;
    return t < 0 ? def : (em_dtype)t;
}

static parity_fn find(const char *op)
{
    for (size_t f = 0; f < sizeof families / sizeof *families; f++)
        for (const parity_op *o = families[f]; o->name; o++)
            if (!strcmp(o->name, op))
                return o->run;
    return NULL;
}

static int compare(const char *name, int k, em_array *got, em_array *want, double rtol, double atol,
                   bool check_dtype)
{
    if (em_array_ndim(got) != em_array_ndim(want) ||
        memcmp(em_array_shape(got), em_array_shape(want), em_array_ndim(got) * sizeof(int64_t))) {
        char *g = NULL;
        fprintf(stderr, "FAIL %s out%d: shape differs (ndim %d vs %d)\n", name, k, em_array_ndim(got),
                em_array_ndim(want));
        free(g);
        return 1;
    }
    if (check_dtype && em_array_dtype(got) != em_array_dtype(want)) {
        fprintf(stderr, "FAIL %s out%d: dtype %s, numpy has %s\n", name, k,
                em_dtype_name(em_array_dtype(got)), em_dtype_name(em_array_dtype(want)));
        return 1;
    }
    int64_t n = em_array_size(want);
    double *g = malloc((n ? n : 1) * sizeof *g), *w = malloc((n ? n : 1) * sizeof *w);
    if (em_array_read(got, EM_FLOAT64, g, n) < 0 || em_array_read(want, EM_FLOAT64, w, n) < 0) {
        fprintf(stderr, "FAIL %s out%d: %s\n", name, k, em_error_message());
        free(g);
        free(w);
        return 1;
    }
    int bad = 0;
    for (int64_t i = 0; i < n && !bad; i++) {
        bool ok = isnan(w[i]) ? isnan(g[i])
                  : isinf(w[i]) ? g[i] == w[i]
                                : fabs(g[i] - w[i]) <= atol + rtol * fabs(w[i]);
        if (!ok) {
            fprintf(stderr, "FAIL %s out%d: element %lld is %.9g, numpy has %.9g\n", name, k,
                    (long long)i, g[i], w[i]);
            bad = 1;
        }
    }
    free(g);
    free(w);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: parity-runner DIR [FILTER]\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.txt", argv[1]);
    FILE *m = fopen(path, "r");
    if (!m) {
        fprintf(stderr, "cannot open %s\n", path);
        return 2;
    }
    char line[8192];
    int cases = 0, failed = 0;
    while (fgets(line, sizeof line, m)) {
        char *save, *tok[8 + 2 * PARITY_MAX_ARGS];
        int nt = 0;
        for (char *t = strtok_r(line, " \t\n", &save); t && nt < 8 + 2 * PARITY_MAX_ARGS;
             t = strtok_r(NULL, " \t\n", &save))
            tok[nt++] = t;
        if (nt < 6 || tok[0][0] == '#')
            continue;
        if (argc > 2 && !strstr(tok[0], argv[2]))
            continue;
        const char *name = tok[0], *op = tok[1];
        int n_in = atoi(tok[2]), n_out = atoi(tok[3]);
        double rtol = atof(tok[4]), atol = atof(tok[5]);
        parity_args args = {0};
        for (int i = 6; i < nt && args.n < PARITY_MAX_ARGS; i++) {
            char *eq = strchr(tok[i], '=');
            if (!eq)
                continue;
            *eq = 0;
            args.key[args.n] = tok[i];
            args.value[args.n++] = eq + 1;
        }
        cases++;
        parity_fn fn = find(op);
        if (!fn) {
            fprintf(stderr, "FAIL %s: no runner for op '%s'\n", name, op);
            failed++;
            continue;
        }
        int case_failed = 0;
        EM_SCOPE {
            em_array *in[16] = {0}, *out[8] = {0};
            for (int i = 0; i < n_in && i < 16; i++) {
                snprintf(path, sizeof path, "%s/%s.in%d.npy", argv[1], name, i);
                in[i] = em_load_npy(path);
                if (!in[i]) {
                    fprintf(stderr, "FAIL %s: %s\n", name, em_error_message());
                    case_failed = 1;
                }
            }
            if (case_failed)
                break;
            em_error_clear();
            bool expect_error = parity_bool(&args, "error", false);
            int rc = fn(in, n_in, &args, out);
            /* an error case has no expected outputs: evaluate whatever the op
             * gave, since some errors (an index out of range, a singular
             * matrix) only show when the data is seen */
            if (rc == 0 && expect_error)
                for (int k = 0; k < 8 && rc == 0; k++)
                    rc = out[k] ? em_eval(out[k]) : 0;
            if (rc == 0)
                for (int k = 0; k < n_out && rc == 0; k++)
                    rc = out[k] ? em_eval(out[k]) : -1;
            if (expect_error) {
                if (rc == 0) {
                    fprintf(stderr, "FAIL %s: expected an error, got none\n", name);
                    case_failed = 1;
                } else if (!em_error_message()[0]) {
                    fprintf(stderr, "FAIL %s: failed without a message\n", name);
                    case_failed = 1;
                }
                break;
            }
            if (rc < 0) {
                fprintf(stderr, "FAIL %s (%s): %s\n", name, op, em_error_message());
                case_failed = 1;
                break;
            }
            for (int k = 0; k < n_out; k++) {
                snprintf(path, sizeof path, "%s/%s.out%d.npy", argv[1], name, k);
                em_array *want = em_load_npy(path);
                if (!want) {
                    fprintf(stderr, "FAIL %s: %s\n", name, em_error_message());
                    case_failed = 1;
                    continue;
                }
                case_failed |= compare(name, k, out[k], want, rtol, atol,
                                       parity_bool(&args, "check_dtype", true));
            }
        }
        failed += case_failed;
    }
    fclose(m);
    em_memory_stats st = em_memory_stats_get();
    printf("%d cases, %d failed (active memory after: %zu bytes)\n", cases, failed, st.active);
    if (st.active != 0) {
        fprintf(stderr, "FAIL: %zu bytes still active after all cases\n", st.active);
        failed++;
    }
    return failed ? 1 : cases ? 0 : 1;
}
