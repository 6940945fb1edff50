/* einsum: subscripts parsed into labels, lowered to diagonals (multiply by an
 * identity and sum), sums of labels no one else needs, and a left-to-right
 * chain of pairwise contractions, each one batched matmul. */
#include <string.h>

#include "linalg_ops.h"

#define N_LETTERS 52
#define N_LABELS (N_LETTERS + EM_MAX_DIMS)
#define MAX_OPS 32

static int letter(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return 26 + c - 'a';
    return -1;
}

/* One term into labels (-2 marks the ellipsis). Returns the count or -1. */
static int parse_term(const char *s, size_t len, int *lab, bool *has_ell)
{
    int n = 0;
    *has_ell = false;
    for (size_t i = 0; i < len;) {
        if (s[i] == '.') {
            if (*has_ell || i + 2 >= len + 0 || strncmp(s + i, "...", 3) || i + 3 > len)
                return -1;
            *has_ell = true;
            lab[n++] = -2;
            i += 3;
            continue;
        }
        if (s[i] == ' ') {
            i++;
            continue;
        }
        int l = letter(s[i]);
        if (l < 0 || n >= 2 * EM_MAX_DIMS)
            return -1;
        lab[n++] = l;
        i++;
    }
    return n;
}

typedef struct {
    em_array *x;
    int nd;
    int lab[EM_MAX_DIMS];
} term;

/* Sums the axes of t whose labels are marked in `drop`. */
static void sum_labels(term *t, const bool *drop)
{
    int axes[EM_MAX_DIMS], n = 0, nl = 0, lab[EM_MAX_DIMS];
    for (int i = 0; i < t->nd; i++) {
        if (drop[t->lab[i]])
            axes[n++] = i;
        else
            lab[nl++] = t->lab[i];
    }
    if (!n)
        return;
    t->x = em__lin_sum(t->x, axes, n, false);
    memcpy(t->lab, lab, sizeof lab);
    t->nd = nl;
}

/* Takes the diagonal of repeated labels. */
static void diagonals(term *t)
{
    for (int p = 0; p < t->nd; p++)
        for (int q = p + 1; q < t->nd; q++) {
            if (t->lab[p] != t->lab[q] || !t->x)
                continue;
            int64_t n = em_array_dim(t->x, p), shape[EM_MAX_DIMS];
            for (int i = 0; i < t->nd; i++)
                shape[i] = i == p || i == q ? n : 1;
            em_array *eye = em_reshape(em_eye(n, n, 0, em_array_dtype(t->x)), t->nd, shape);
            em_array *prod = em_multiply(t->x, eye);
            t->x = em__lin_sum(prod, &q, 1, false);
            if (t->x && em_array_dtype(t->x) != em_array_dtype(prod))
                t->x = em_astype(t->x, em_array_dtype(prod));
            for (int i = q; i + 1 < t->nd; i++)
                t->lab[i] = t->lab[i + 1];
            t->nd--;
            q = p; /* look again from p */
        }
}

static void permute(term *t, const int *lab, int nd)
{
    int perm[EM_MAX_DIMS];
    bool same = true;
    for (int i = 0; i < nd; i++) {
        for (int j = 0; j < t->nd; j++)
            if (t->lab[j] == lab[i])
                perm[i] = j;
        same &= perm[i] == i;
    }
    if (!same)
        t->x = em_transpose(t->x, perm);
    memcpy(t->lab, lab, nd * sizeof *lab);
}

em_array *em_einsum(const char *subscripts, em_array *const *operands, int n)
{
    if (!subscripts) {
        em__error("einsum: no subscripts");
        return NULL;
    }
    if (n < 1 || n > MAX_OPS) {
        em__error("einsum: %d operands (1 to %d)", n, MAX_OPS);
        return NULL;
    }
    if (em__any_null(operands, n))
        return NULL;
    const char *arrow = strstr(subscripts, "->");
    size_t in_len = arrow ? (size_t)(arrow - subscripts) : strlen(subscripts);
    int lab[MAX_OPS][2 * EM_MAX_DIMS], nl[MAX_OPS];
    bool ell[MAX_OPS];
    int k = 0;
    const char *s = subscripts, *end = subscripts + in_len;
    while (1) {
        const char *c = memchr(s, ',', end - s);
        size_t len = c ? (size_t)(c - s) : (size_t)(end - s);
        if (k >= n) {
            em__error("einsum: \"%s\" names more operands than the %d given", subscripts, n);
            return NULL;
        }
        nl[k] = parse_term(s, len, lab[k], &ell[k]);
        if (nl[k] < 0) {
            em__error("einsum: cannot parse \"%s\"", subscripts);
            return NULL;
        }
        k++;
        if (!c)
            break;
        s = c + 1;
    }
    if (k != n) {
        em__error("einsum: \"%s\" names %d operands, %d given", subscripts, k, n);
        return NULL;
    }
    /* ellipsis dims, right-aligned over the operands */
    int ell_n[MAX_OPS], E = 0;
    for (int i = 0; i < n; i++) {
        int letters = nl[i] - (ell[i] ? 1 : 0);
        int nd = operands[i]->ndim;
        ell_n[i] = nd - letters;
        if (ell_n[i] < 0 || (!ell[i] && ell_n[i] != 0)) {
            char d[128];
            em__error("einsum: term %d of \"%s\" has %d labels for %s", i, subscripts, letters,
                      em__describe(operands[i], d, sizeof d));
            return NULL;
        }
        if (ell_n[i] > E)
            E = ell_n[i];
    }
    term t[MAX_OPS];
    int64_t size[N_LABELS];
    int count[N_LABELS] = {0};
    for (int l = 0; l < N_LABELS; l++)
        size[l] = -1;
    for (int i = 0; i < n; i++) {
        t[i].nd = 0;
        for (int j = 0; j < nl[i]; j++) {
            if (lab[i][j] == -2) {
                for (int e = 0; e < ell_n[i]; e++)
                    t[i].lab[t[i].nd++] = N_LETTERS + E - ell_n[i] + e;
            } else {
                t[i].lab[t[i].nd++] = lab[i][j];
            }
        }
        for (int d = 0; d < t[i].nd; d++) {
            int l = t[i].lab[d];
            int64_t sz = operands[i]->shape[d];
            count[l]++;
            if (size[l] < 0 || size[l] == 1)
                size[l] = sz;
            else if (sz != 1 && sz != size[l]) {
                char d1[128];
                em__error("einsum: label '%c' of \"%s\" has sizes %lld and %lld (%s)",
                          l < N_LETTERS ? (l < 26 ? 'A' + l : 'a' + l - 26) : '.', subscripts,
                          (long long)size[l], (long long)sz,
                          em__describe(operands[i], d1, sizeof d1));
                return NULL;
            }
        }
    }
    /* output labels */
    int out[N_LABELS], n_out = 0;
    bool in_out[N_LABELS] = {0};
    if (arrow) {
        int ol[2 * EM_MAX_DIMS];
        bool oe;
        int no = parse_term(arrow + 2, strlen(arrow + 2), ol, &oe);
        if (no < 0) {
            em__error("einsum: cannot parse the output of \"%s\"", subscripts);
            return NULL;
        }
        for (int j = 0; j < no; j++) {
            if (ol[j] == -2) {
                for (int e = 0; e < E; e++)
                    out[n_out++] = N_LETTERS + e;
                continue;
            }
            if (size[ol[j]] < 0 || in_out[ol[j]]) {
                em__error("einsum: output label %d of \"%s\" is %s", j, subscripts,
                          size[ol[j]] < 0 ? "not among the inputs" : "repeated");
                return NULL;
            }
            out[n_out++] = ol[j];
            in_out[ol[j]] = true;
        }
        if (!oe && E) {
            /* numpy sums broadcast dims not named in the output */
        }
    } else {
        for (int e = 0; e < E; e++)
            out[n_out++] = N_LETTERS + e;
        for (int l = 0; l < N_LETTERS; l++)
            if (count[l] == 1)
                out[n_out++] = l;
    }
    for (int j = 0; j < n_out; j++)
        in_out[out[j]] = true;
    if (n_out > EM_MAX_DIMS) {
        em__error("einsum: the result of \"%s\" would have %d dimensions", subscripts, n_out);
        return NULL;
    }

    em_scope *sc = em_scope_begin();
    for (int i = 0; i < n; i++) {
        t[i].x = operands[i];
        /* broadcast size-1 dims to the label's size */
        int64_t shape[EM_MAX_DIMS];
        bool bc = false;
        for (int d = 0; d < t[i].nd; d++) {
            shape[d] = size[t[i].lab[d]];
            bc |= shape[d] != operands[i]->shape[d];
        }
        if (bc)
            t[i].x = em_broadcast_to(t[i].x, t[i].nd, shape);
        diagonals(&t[i]);
    }
    /* uses[l]: operands from index i on that use label l */
    term cur = t[0];
    for (int j = 0; j <= n && cur.x; j++) {
        bool later[N_LABELS] = {0};
        for (int q = j + 1; q < n; q++)
            for (int d = 0; d < t[q].nd; d++)
                later[t[q].lab[d]] = true;
        if (j == 0)
            continue;
        if (j == n)
            break;
        term *r = &t[j];
        bool inr[N_LABELS] = {0}, inc[N_LABELS] = {0};
        for (int d = 0; d < r->nd; d++)
            inr[r->lab[d]] = true;
        for (int d = 0; d < cur.nd; d++)
            inc[cur.lab[d]] = true;
        bool drop_c[N_LABELS] = {0}, drop_r[N_LABELS] = {0};
        for (int l = 0; l < N_LABELS; l++) {
            drop_c[l] = inc[l] && !inr[l] && !later[l] && !in_out[l];
            drop_r[l] = inr[l] && !inc[l] && !later[l] && !in_out[l];
        }
        sum_labels(&cur, drop_c);
        sum_labels(r, drop_r);
        if (!cur.x || !r->x)
            break;
        int bl[EM_MAX_DIMS], ll[EM_MAX_DIMS], cl[EM_MAX_DIMS], rl[EM_MAX_DIMS];
        int nbt = 0, nlo = 0, nc = 0, nro = 0;
        int64_t M = 1, K = 1, N = 1;
        for (int d = 0; d < cur.nd; d++) {
            int l = cur.lab[d];
            if (inr[l] && (later[l] || in_out[l]))
                bl[nbt++] = l;
            else if (inr[l]) {
                cl[nc++] = l;
                K *= size[l];
            } else {
                ll[nlo++] = l;
                M *= size[l];
            }
        }
        for (int d = 0; d < r->nd; d++)
            if (!inc[r->lab[d]]) {
                rl[nro++] = r->lab[d];
                N *= size[r->lab[d]];
            }
        if (nbt + 2 > EM_MAX_DIMS || nbt + nlo + nro > EM_MAX_DIMS) {
            em__error("einsum: \"%s\" needs more than %d dimensions", subscripts, EM_MAX_DIMS);
            cur.x = NULL;
            break;
        }
        int order[EM_MAX_DIMS];
        memcpy(order, bl, nbt * sizeof *bl);
        memcpy(order + nbt, ll, nlo * sizeof *ll);
        memcpy(order + nbt + nlo, cl, nc * sizeof *cl);
        permute(&cur, order, cur.nd);
        memcpy(order + nbt, cl, nc * sizeof *cl);
        memcpy(order + nbt + nc, rl, nro * sizeof *rl);
        permute(r, order, r->nd);
        int64_t sa[EM_MAX_DIMS], sb[EM_MAX_DIMS], so[EM_MAX_DIMS];
        for (int d = 0; d < nbt; d++)
            sa[d] = sb[d] = so[d] = size[bl[d]];
        sa[nbt] = M;
        sa[nbt + 1] = K;
        sb[nbt] = K;
        sb[nbt + 1] = N;
        int nd = nbt;
        for (int d = 0; d < nlo; d++)
            so[nd++] = size[ll[d]];
        for (int d = 0; d < nro; d++)
            so[nd++] = size[rl[d]];
        em_array *prod = em_matmul(em_reshape(cur.x, nbt + 2, sa), em_reshape(r->x, nbt + 2, sb));
        cur.x = em_reshape(prod, nd, so);
        memcpy(cur.lab + nbt, ll, nlo * sizeof *ll);
        memcpy(cur.lab + nbt + nlo, rl, nro * sizeof *rl);
        memcpy(cur.lab, bl, nbt * sizeof *bl);
        cur.nd = nd;
    }
    if (cur.x) {
        bool drop[N_LABELS] = {0};
        for (int d = 0; d < cur.nd; d++)
            drop[cur.lab[d]] = !in_out[cur.lab[d]];
        sum_labels(&cur, drop);
    }
    if (cur.x) {
        /* output labels of size-1 broadcast dims missing from cur cannot occur:
         * every output label is some input's */
        permute(&cur, out, n_out);
    }
    em_array *res = cur.x;
    if (res && em_array_ndim(res) != n_out) {
        em__error("einsum: internal shape mismatch for \"%s\"", subscripts);
        res = NULL;
    }
    return em__composite_end(sc, res);
}
