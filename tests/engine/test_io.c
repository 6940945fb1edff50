/* safetensors and .npz: round trips of every dtype, lazy loading, metadata,
 * files written by Python (numpy's savez, a reference safetensors writer),
 * and malformed files (truncations and byte flips must never crash).
 *
 *   test_io FIXTURES_DIR   (st_files.py fixtures wrote it; scratch files go there too) */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ember/ember.h"
#include "ember/io.h"

static int failures, checks;
static const char *dir;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        checks++;                                                          \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, " [%s]\n", em_error_message());                \
        }                                                                  \
    } while (0)

static char *path_of(const char *name)
{
    static char buf[4][4096];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static bool same_bytes(em_array *a, em_array *b)
{
    if (!a || !b || em_array_ndim(a) != em_array_ndim(b) || em_array_nbytes(a) != em_array_nbytes(b))
        return false;
    for (int d = 0; d < em_array_ndim(a); d++)
        if (em_array_shape(a)[d] != em_array_shape(b)[d])
            return false;
    bool ok = false;
    EM_SCOPE
    {
        em_array *ca = em_contiguous(a), *cb = em_contiguous(b);
        const void *pa = em_array_data(ca), *pb = em_array_data(cb);
        ok = em_array_nbytes(a) == 0 || (pa && pb && !memcmp(pa, pb, em_array_nbytes(a)));
    }
    return ok;
}

/* An array of dtype t with varied bytes (bools 0/1). */
static em_array *pattern(em_dtype t, int ndim, const int64_t *shape, unsigned seed)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    size_t sz = em_dtype_size(t);
    unsigned char *buf = malloc(n * sz + 1);
    for (int64_t i = 0; i < (int64_t)(n * sz); i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = t == EM_BOOL ? (seed >> 16) & 1 : (unsigned char)(seed >> 16);
    }
    if (t == EM_FLOAT16 || t == EM_BFLOAT16 || t == EM_FLOAT32 || t == EM_FLOAT64)
        for (int64_t i = 0; i < n; i++) /* keep floats finite: clear the top exponent bit */
            buf[i * sz + sz - 1] &= 0xbf;
    em_array *a = em_array_from_data(buf, ndim, shape, t);
    free(buf);
    return a;
}

static void test_roundtrip(void)
{
    EM_SCOPE
    {
        const char *names[EM_DTYPE_COUNT + 2];
        em_array *arrays[EM_DTYPE_COUNT + 2];
        char namebuf[EM_DTYPE_COUNT][32];
        int n = 0;
        for (int t = 0; t < EM_DTYPE_COUNT; t++) {
            int64_t shape[3] = {3, 1 + t % 4, 5};
            snprintf(namebuf[t], sizeof namebuf[t], "w.%s", em_dtype_name((em_dtype)t));
            names[n] = namebuf[t];
            arrays[n++] = pattern((em_dtype)t, 1 + t % 3, shape, 7 + t);
        }
        int64_t s23[2] = {2, 3};
        names[n] = "transposed";
        arrays[n++] = em_transpose(pattern(EM_FLOAT32, 2, s23, 99), NULL);
        names[n] = "scalar";
        arrays[n++] = em_scalar(2.5, EM_FLOAT64);
        const char *mk[] = {"format", "ünï \"q\""}, *mv[] = {"pt", "valeur / \\ ok"};
        const char *p = path_of("rt.safetensors");
        CHECK(em_save_safetensors(p, names, arrays, n, mk, mv, 2) == 0, "save_safetensors");
        /* header length multiple of 8 */
        FILE *f = fopen(p, "rb");
        unsigned char lb[8] = {0};
        CHECK(f && fread(lb, 1, 8, f) == 8, "read back");
        if (f)
            fclose(f);
        CHECK(lb[0] % 8 == 0, "header padded to 8 (length %u)", lb[0]);
        em_safetensors *st = em_safetensors_open(p);
        CHECK(st != NULL, "open");
        if (st) {
            CHECK(em_safetensors_count(st) == n, "count %d", em_safetensors_count(st));
            for (int i = 0; i < n && i < em_safetensors_count(st); i++) {
                CHECK(!strcmp(em_safetensors_name(st, i), names[i]), "order: %s at %d", names[i], i);
                em_array *b = em_safetensors_get(st, names[i]);
                CHECK(b && em_array_dtype(b) == em_array_dtype(arrays[i]), "dtype of %s", names[i]);
                CHECK(same_bytes(arrays[i], b), "bytes of %s", names[i]);
            }
            CHECK(em_safetensors_metadata_count(st) == 2, "metadata count");
            CHECK(em_safetensors_metadata(st, "ünï \"q\"") && !strcmp(em_safetensors_metadata(st, "ünï \"q\""), mv[1]),
                  "metadata value");
            CHECK(!strcmp(em_safetensors_metadata_key(st, 0), "format"), "metadata order");
            CHECK(em_safetensors_get(st, "nope") == NULL && strstr(em_error_message(), "nope"), "unknown name");
            em_error_clear();
            em_safetensors_close(st);
        }
        /* bad saves */
        const char *dup[] = {"a", "a"};
        em_array *two[] = {arrays[0], arrays[1]};
        CHECK(em_save_safetensors(p, dup, two, 2, NULL, NULL, 0) < 0, "duplicate names refused");
        const char *meta_name[] = {"__metadata__"};
        CHECK(em_save_safetensors(p, meta_name, two, 1, NULL, NULL, 0) < 0, "__metadata__ refused");
        em_error_clear();
        /* no tensors at all */
        CHECK(em_save_safetensors(path_of("none.safetensors"), NULL, NULL, 0, NULL, NULL, 0) == 0, "empty save");
        st = em_safetensors_open(path_of("none.safetensors"));
        CHECK(st && em_safetensors_count(st) == 0 && em_safetensors_metadata_count(st) == 0, "empty open");
        em_safetensors_close(st);
    }
}

static void test_lazy(void)
{
    em_array *kept = NULL, *ref = NULL;
    int64_t shape[2] = {64, 33};
    EM_SCOPE
    {
        em_array *a = pattern(EM_FLOAT32, 2, shape, 5);
        const char *nm[] = {"a"};
        CHECK(em_save_safetensors(path_of("lazy.safetensors"), nm, &a, 1, NULL, NULL, 0) == 0, "save");
        ref = em_keep(em_contiguous(a));
        em_eval(ref);
    }
    em_safetensors *st = em_safetensors_open(path_of("lazy.safetensors"));
    CHECK(st != NULL, "open lazy");
    if (!st) {
        em_release(ref);
        return;
    }
    em_memory_stats before = em_memory_stats_get();
    kept = em_safetensors_get(st, "a");
    em_array *again = em_safetensors_get(st, "a");
    em_memory_stats after = em_memory_stats_get();
    CHECK(after.active - before.active < 64 * 33 * 4, "zero-copy: active grew by %zu", after.active - before.active);
    CHECK(em_array_data(kept) == em_array_data(again), "both gets share the mapping");
    em_safetensors_close(st); /* arrays keep the mapping alive */
    CHECK(same_bytes(kept, ref), "data readable after close");
    EM_SCOPE
    {
        em_array *s = em_multiply(kept, again);
        CHECK(em_eval(s) == 0, "compute on mapped data");
    }
    em_release(again);
    em_release(kept);
    em_release(ref);
}

static void test_python_files(void)
{
    EM_SCOPE
    {
        em_safetensors *st = em_safetensors_open(path_of("io_ref.safetensors"));
        em_npz *z = em_npz_load(path_of("io_ref.npz"));
        em_npz *zc = em_npz_load(path_of("io_ref_compressed.npz"));
        CHECK(st && z && zc, "open python-written files");
        if (st && z && zc) {
            CHECK(em_safetensors_count(st) == 13 && em_npz_count(z) == 13 && em_npz_count(zc) == 13, "counts");
            CHECK(em_safetensors_metadata(st, "format") && !strcmp(em_safetensors_metadata(st, "format"), "pt"),
                  "metadata");
            for (int i = 0; i < em_npz_count(z); i++) {
                const char *name = em_npz_name(z, i);
                em_array *a = em_safetensors_get(st, name), *b = em_npz_get(z, name), *c = em_npz_get(zc, name);
                CHECK(same_bytes(a, b), "%s: safetensors vs npz", name);
                CHECK(same_bytes(b, c), "%s: npz stored vs deflated", name);
                if (a && b && strcmp(name, "bf16"))
                    CHECK(em_array_dtype(a) == em_array_dtype(b), "%s: dtype", name);
            }
        }
        em_safetensors_close(st);
        em_npz_close(z);
        em_npz_close(zc);

        st = em_safetensors_open(path_of("io_unaligned.safetensors"));
        CHECK(st != NULL, "open unaligned");
        if (st) {
            em_array *f = em_safetensors_get(st, "f"), *i = em_safetensors_get(st, "i");
            float fv[6];
            int64_t iv[6];
            CHECK(em_array_read(f, EM_FLOAT32, fv, 6) == 6 && fv[5] == 7.5f && fv[1] == 1.5f, "unaligned f32");
            CHECK(em_array_read(i, EM_INT64, iv, 6) == 6 && iv[0] == -3 && iv[5] == 2, "unaligned i64");
            em_safetensors_close(st);
        }

        st = em_safetensors_open(path_of("io_f8.safetensors"));
        CHECK(st != NULL, "open f8 file");
        if (st) {
            CHECK(em_safetensors_dtype(st, em_safetensors_find(st, "q")) == -1, "f8 dtype -1");
            CHECK(!strcmp(em_safetensors_dtype_string(st, em_safetensors_find(st, "q")), "F8_E4M3"), "f8 string");
            CHECK(em_safetensors_get(st, "q") == NULL && strstr(em_error_message(), "F8_E4M3") &&
                      strstr(em_error_message(), "'q'"),
                  "f8 refused with a message naming dtype and tensor");
            em_error_clear();
            em_array *b = em_safetensors_get(st, "b");
            unsigned char bv[3] = {9, 9, 9};
            CHECK(em_array_read(b, EM_UINT8, bv, 3) == 3 && bv[0] == 0 && bv[1] == 1 && bv[2] == 1,
                  "bool bytes normalised");
            CHECK(em_safetensors_get(st, "ok") != NULL, "f32 beside f8 loads");
            em_safetensors_close(st);
        }
        st = em_safetensors_open(path_of("io_names.safetensors"));
        CHECK(st && em_safetensors_count(st) == 3 && em_safetensors_get(st, "日本語") &&
                  em_safetensors_ndim(st, em_safetensors_find(st, "日本語")) == 8,
              "unicode names, 8 dims");
        em_safetensors_close(st);
    }
}

static void test_npz_roundtrip(void)
{
    EM_SCOPE
    {
        const char *names[EM_DTYPE_COUNT];
        em_array *arrays[EM_DTYPE_COUNT];
        for (int t = 0; t < EM_DTYPE_COUNT; t++) {
            int64_t shape[3] = {2 + t % 3, 7, 3};
            names[t] = em_dtype_name((em_dtype)t);
            arrays[t] = pattern((em_dtype)t, t % 4, shape, 11 + t);
        }
        for (int comp = 0; comp < 2; comp++) {
            const char *p = path_of(comp ? "rt_c.npz" : "rt.npz");
            CHECK(em_save_npz(p, names, arrays, EM_DTYPE_COUNT, comp) == 0, "save_npz %d", comp);
            em_npz *z = em_npz_load(p);
            CHECK(z && em_npz_count(z) == EM_DTYPE_COUNT, "load_npz %d", comp);
            for (int t = 0; z && t < EM_DTYPE_COUNT; t++) {
                em_array *b = em_npz_get(z, names[t]);
                CHECK(b && em_array_dtype(b) == (em_dtype)t && same_bytes(arrays[t], b), "npz %s %d", names[t], comp);
            }
            em_npz_close(z);
        }
        CHECK(em_npz_load(path_of("io_ref.safetensors")) == NULL, "npz refuses a non-zip");
        em_error_clear();
    }
}

static unsigned char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len + 1);
    if (fread(b, 1, *len, f) != *len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

static void spit(const char *p, const unsigned char *b, size_t len)
{
    unlink(p); /* ext4 flushes a file truncated by fopen "wb" on close: slow */
    FILE *f = fopen(p, "wb");
    if (f) {
        if (len)
            fwrite(b, 1, len, f);
        fclose(f);
    }
}

/* Opens a mutated file; whatever happens must be an orderly success or error. */
static void try_safetensors(const char *p)
{
    em_safetensors *st = em_safetensors_open(p);
    if (!st) {
        CHECK(em_error_message()[0], "failure without a message");
        em_error_clear();
        return;
    }
    EM_SCOPE
    {
        for (int i = 0; i < em_safetensors_count(st); i++) {
            em_array *a = em_safetensors_get_index(st, i);
            if (a)
                em_eval(em_astype(a, EM_FLOAT64));
        }
    }
    em_error_clear();
    em_safetensors_close(st);
}

static void try_npz(const char *p)
{
    em_npz *z = em_npz_load(p);
    if (!z) {
        CHECK(em_error_message()[0], "npz failure without a message");
        em_error_clear();
        return;
    }
    EM_SCOPE
    {
        for (int i = 0; i < em_npz_count(z); i++)
            em_eval(em_astype(em_npz_get_index(z, i), EM_FLOAT64));
    }
    em_error_clear();
    em_npz_close(z);
}

static void test_fuzz(void)
{
    static const unsigned char vals[] = {'{', '}', '"', '0', '9', '-', ',', ':', '[', ']', ' ', 0, 0xff, 'e', '.'};
    const char *p = path_of("fuzz.safetensors");
    EM_SCOPE
    {
        int64_t s1[2] = {2, 3}, s2[1] = {4};
        em_array *arrays[3] = {pattern(EM_FLOAT32, 2, s1, 1), pattern(EM_BOOL, 1, s2, 2), pattern(EM_INT16, 1, s2, 3)};
        const char *names[3] = {"w", "b", "i"};
        const char *mk[] = {"k"}, *mv[] = {"v"};
        em_save_safetensors(path_of("orig.safetensors"), names, arrays, 3, mk, mv, 1);
        em_save_npz(path_of("orig.npz"), names, arrays, 3, false);
        em_save_npz(path_of("orig_c.npz"), names, arrays, 3, true);
    }
    size_t len = 0;
    unsigned char *orig = slurp(path_of("orig.safetensors"), &len), *buf = malloc(len + 16);
    CHECK(orig != NULL, "read fuzz seed");
    if (!orig)
        return;
    size_t hend = 8 + (orig[0] | (size_t)orig[1] << 8);
    int opens = 0;
    for (size_t l = 0; l <= len; l++, opens++) {
        spit(p, orig, l);
        try_safetensors(p);
    }
    for (size_t i = 0; i < hend; i++)
        for (size_t v = 0; v < sizeof vals; v++, opens++) {
            memcpy(buf, orig, len);
            buf[i] = vals[v];
            spit(p, buf, len);
            try_safetensors(p);
        }
    for (size_t i = 0; i < 8; i++) /* the length field itself, bit by bit */
        for (int bit = 0; bit < 8; bit++, opens++) {
            memcpy(buf, orig, len);
            buf[i] ^= 1u << bit;
            spit(p, buf, len);
            try_safetensors(p);
        }
    free(orig);
    free(buf);
    for (int c = 0; c < 2; c++) {
        orig = slurp(path_of(c ? "orig_c.npz" : "orig.npz"), &len);
        buf = malloc(len + 16);
        p = path_of("fuzz.npz");
        for (size_t l = 0; l <= len; l++, opens++) {
            spit(p, orig, l);
            try_npz(p);
        }
        for (size_t i = 0; i < len; i++)
            for (size_t v = 0; v < sizeof vals; v += 4, opens++) {
                memcpy(buf, orig, len);
                buf[i] = vals[v];
                spit(p, buf, len);
                try_npz(p);
            }
        free(orig);
        free(buf);
    }
    printf("fuzz: %d mutated files opened without crashing\n", opens);
}

/* A 10 GB (sparse) file lists from its header alone. */
static void test_header_speed(void)
{
    const char *p = path_of("big.safetensors");
    char header[256];
    uint64_t nbytes = 10ull << 30;
    int k = snprintf(header, sizeof header,
                     "{\"__metadata__\":{\"size\":\"10G\"},\"big\":{\"dtype\":\"F32\",\"shape\":[%" PRIu64
                     "],\"data_offsets\":[0,%" PRIu64 "]}}",
                     nbytes / 4, nbytes);
    while (k % 8)
        header[k++] = ' ';
    unsigned char lb[8];
    for (int i = 0; i < 8; i++)
        lb[i] = (unsigned char)((uint64_t)k >> (8 * i));
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, lb, 8) != 8 || write(fd, header, k) != k || ftruncate(fd, 8 + k + nbytes) != 0) {
        if (fd >= 0)
            close(fd);
        unlink(p);
        printf("header speed: skipped (cannot make a sparse file)\n");
        return;
    }
    close(fd);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    em_safetensors *st = em_safetensors_open_header(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    CHECK(st && em_safetensors_count(st) == 1 && em_safetensors_shape(st, 0)[0] == (int64_t)(nbytes / 4),
          "10 GB header listing");
    CHECK(s < 0.3, "listing took %.3f s", s);
    CHECK(st && em_safetensors_get(st, "big") == NULL, "header-only get refused");
    em_error_clear();
    em_safetensors_close(st);
    /* a full open maps it without reading */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = em_safetensors_open(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    CHECK(st && s < 0.3, "mapping open took %.3f s", s);
    em_safetensors_close(st);
    unlink(p);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_io FIXTURES_DIR\n");
        return 2;
    }
    dir = argv[1];
    test_roundtrip();
    test_lazy();
    test_python_files();
    test_npz_roundtrip();
    test_fuzz();
    test_header_speed();
    em_memory_stats m = em_memory_stats_get();
    CHECK(m.active == 0, "memory left active: %zu bytes", m.active);
    printf("%d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
