/* .npy version 1/2/3: little-endian arrays of Ember's dtypes, C or Fortran
 * order on reading, C order on writing. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "array_internal.h"
#include "atomic_file.h"
#include "ember/io.h"
#include "ember/ops.h"
#include "npy_internal.h"

static const struct {
    const char *descr;
    em_dtype t;
} descrs[] = {
    {"|b1", EM_BOOL},  {"|u1", EM_UINT8},  {"<u2", EM_UINT16}, {"<u4", EM_UINT32},
    {"<u8", EM_UINT64}, {"|i1", EM_INT8},  {"<i2", EM_INT16},  {"<i4", EM_INT32},
    {"<i8", EM_INT64}, {"<f2", EM_FLOAT16}, {"<f4", EM_FLOAT32}, {"<f8", EM_FLOAT64},
    {"|V2", EM_BFLOAT16}, /* numpy has no bfloat16: raw 2-byte records */
};

const char *em__npy_descr(em_dtype t)
{
    for (size_t i = 0; i < sizeof descrs / sizeof *descrs; i++)
        if (descrs[i].t == t)
            return descrs[i].descr;
    return NULL;
}

/* Finds 'key': in the header dict and returns a pointer past the colon. */
static const char *find_key(const char *h, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p)
        return NULL;
    p = strchr(p + strlen(pat), ':');
    return p ? p + 1 : NULL;
}

int em__npy_parse_header(const char *name, const unsigned char *buf, size_t len, em_npy_info *info)
{
    memset(info, 0, sizeof *info);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return em__error("%s: not a .npy file (bad magic)", name);
    int major = buf[6];
    size_t hlen, start;
    if (major == 1) {
        hlen = buf[8] | (size_t)buf[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return em__error("%s: truncated .npy header", name);
        hlen = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        start = 12;
    } else {
        return em__error("%s: unsupported .npy version %d", name, major);
    }
    if (hlen > len - start || hlen > (1 << 20))
        return em__error("%s: .npy header length %zu runs past the end of the file", name, hlen);
    char *h = malloc(hlen + 1);
    if (!h)
        return em__error("out of memory");
    memcpy(h, buf + start, hlen);
    h[hlen] = 0;
    int rc = 0;
    const char *d = find_key(h, "descr"), *fo = find_key(h, "fortran_order"), *sh = find_key(h, "shape");
    if (!d || !fo || !sh) {
        rc = em__error("%s: .npy header lacks descr, fortran_order or shape", name);
        goto out;
    }
    while (*d == ' ')
        d++;
    int dt = -1;
    for (size_t i = 0; i < sizeof descrs / sizeof *descrs && dt < 0; i++) {
        size_t n = strlen(descrs[i].descr);
        if ((*d == '\'' || *d == '"') && !strncmp(d + 1, descrs[i].descr, n) && d[1 + n] == *d)
            dt = descrs[i].t;
        /* numpy writes one-byte types as '|u1' but also accepts '<u1' */
        if (dt < 0 && (*d == '\'' || *d == '"') && descrs[i].descr[0] == '|' && d[1] == '<' &&
            !strncmp(d + 2, descrs[i].descr + 1, n - 1) && d[1 + n] == *d)
            dt = descrs[i].t;
    }
    if (dt < 0) {
        rc = em__error("%s: unsupported .npy dtype %.16s", name, d);
        goto out;
    }
    while (*fo == ' ')
        fo++;
    info->fortran = !strncmp(fo, "True", 4);
    while (*sh == ' ')
        sh++;
    if (*sh != '(') {
        rc = em__error("%s: bad .npy shape", name);
        goto out;
    }
    sh++;
    int nd = 0;
    int64_t size = 1;
    for (;;) {
        while (*sh == ' ' || *sh == ',')
            sh++;
        if (*sh == ')')
            break;
        char *end;
        long long v = strtoll(sh, &end, 10);
        if (end == sh || v < 0 || nd >= EM_MAX_DIMS) {
            rc = em__error("%s: bad .npy shape", name);
            goto out;
        }
        if (v && size > INT64_MAX / v) {
            rc = em__error("%s: .npy shape overflows", name);
            goto out;
        }
        size *= v;
        info->shape[nd++] = v;
        sh = end;
        while (*sh == 'L')
            sh++;
    }
    info->ndim = nd;
    info->dtype = (em_dtype)dt;
    info->data_offset = start + hlen;
    uint64_t need = (uint64_t)size * em_dtype_size((em_dtype)dt);
    if (need > len - info->data_offset)
        rc = em__error("%s: .npy data is shorter than its shape says (%" PRIu64 " bytes needed, %zu there)",
                       name, need, len - info->data_offset);
out:
    free(h);
    return rc;
}

em_array *em__npy_from_memory(const char *name, const unsigned char *buf, size_t len)
{
    em_npy_info info;
    if (em__npy_parse_header(name, buf, len, &info) < 0)
        return NULL;
    if (!info.fortran)
        return em_array_from_data(buf + info.data_offset, info.ndim, info.shape, info.dtype);
    /* Fortran order: read as the reversed shape, then transpose back. */
    int64_t rev[EM_MAX_DIMS];
    for (int i = 0; i < info.ndim; i++)
        rev[i] = info.shape[info.ndim - 1 - i];
    em__internal_begin();
    em_array *t = em_array_from_data(buf + info.data_offset, info.ndim, rev, info.dtype);
    em_array *tt = em_transpose(t, NULL);
    em_array *c = em_contiguous(tt);
    em_release(t);
    em_release(tt);
    if (c && em_eval(c) < 0) {
        em_release(c);
        c = NULL;
    }
    return em__internal_end(c);
}

em_array *em_load_npy(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        em__error("cannot open %s", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = n > 0 ? malloc(n) : NULL;
    if (n <= 0 || !buf || fread(buf, 1, n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        em__error("cannot read %s", path);
        return NULL;
    }
    fclose(f);
    em_array *a = em__npy_from_memory(path, buf, n);
    free(buf);
    return a;
}

/* Writes a header + data into a malloc'd buffer (npz uses it too). */
int em__npy_to_memory(em_array *a, unsigned char **out, size_t *out_len)
{
    em__internal_begin();
    em_array *c = em_contiguous(a);
    int rc = c ? em_eval(c) : -1;
    if (rc == 0) {
        char header[512];
        int k = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                         em__npy_descr((em_dtype)c->dtype));
        for (int i = 0; i < c->ndim; i++)
            k += snprintf(header + k, sizeof header - k, "%" PRId64 "%s", c->shape[i],
                          c->ndim == 1 || i + 1 < c->ndim ? ", " : "");
        k += snprintf(header + k, sizeof header - k, "), }");
        /* pad with spaces so data starts on a 64-byte boundary, then '\n' */
        size_t total = 10 + k + 1;
        size_t pad = (64 - total % 64) % 64;
        size_t hlen = k + pad + 1;
        size_t dbytes = (size_t)c->size * em_dtype_size((em_dtype)c->dtype);
        unsigned char *buf = malloc(10 + hlen + dbytes);
        if (!buf) {
            rc = em__error("out of memory");
        } else {
            memcpy(buf, "\x93NUMPY\x01\x00", 8);
            buf[8] = hlen & 0xff;
            buf[9] = (hlen >> 8) & 0xff;
            memcpy(buf + 10, header, k);
            memset(buf + 10 + k, ' ', pad);
            buf[10 + k + pad] = '\n';
            if (dbytes)
                memcpy(buf + 10 + hlen, em__data(c), dbytes);
            *out = buf;
            *out_len = 10 + hlen + dbytes;
        }
    }
    em_release(c);
    em__internal_end(NULL);
    return rc;
}

int em_save_npy(const char *path, em_array *a)
{
    if (!a)
        return -1;
    unsigned char *buf;
    size_t len;
    if (em__npy_to_memory(a, &buf, &len) < 0)
        return -1;
    em_atomic_file af;
    if (em__atomic_open(&af, path) < 0) {
        free(buf);
        return -1;
    }
    int ok = fwrite(buf, 1, len, af.f) == len;
    free(buf);
    return em__atomic_close(&af, ok);
}
