/* Fashion-MNIST: gzip IDX files read through zlib. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/array_internal.h"
#include "core/error_internal.h"
#include "ember/data.h"
#include "ember/error.h"

struct em_mnist {
    int rows, cols;
    int64_t count[2];
    uint8_t *pixels[2];
    uint8_t *labels[2];
};

static const char *const class_names[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

const char *em_mnist_class_name(int label)
{
    return label >= 0 && label < 10 ? class_names[label] : "?";
}

static const char *mnist_dir(const char *dir)
{
    if (dir && *dir)
        return dir;
    const char *env = getenv("EMBER_FASHION_MNIST_DIR");
    return env && *env ? env : EM_FASHION_MNIST_DIR;
}

static int missing(const char *dir, const char *path)
{
    return em__error("Fashion-MNIST: %s not found (the dataset is in %s; on Debian install "
                     "the package dataset-fashion-mnist: apt install dataset-fashion-mnist)",
                     path, dir);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads an IDX file of unsigned bytes with `ndim` dimensions. */
static int read_idx(const char *dir, const char *name, int ndim, uint32_t *dims, uint8_t **data)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0)
        return missing(dir, path);
    gzFile f = gzopen(path, "rb");
    if (!f)
        return em__error("Fashion-MNIST: cannot open %s: %s", path, strerror(errno));
    gzbuffer(f, 1 << 17);
    uint8_t head[4 + 4 * 3];
    int hn = 4 + 4 * ndim;
    if (gzread(f, head, (unsigned)hn) != hn) {
        gzclose(f);
        return em__error("Fashion-MNIST: %s: truncated IDX header", path);
    }
    if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] != ndim) {
        gzclose(f);
        return em__error("Fashion-MNIST: %s: not an IDX file of %d-d unsigned bytes (magic "
                         "%02x %02x %02x %02x)", path, ndim, head[0], head[1], head[2], head[3]);
    }
    uint64_t total = 1;
    for (int i = 0; i < ndim; i++) {
        dims[i] = be32(head + 4 + 4 * i);
        total *= dims[i];
    }
    if (total > (uint64_t)1 << 32) {
        gzclose(f);
        return em__error("Fashion-MNIST: %s: implausible size", path);
    }
    uint8_t *buf = malloc(total ? total : 1);
    if (!buf) {
        gzclose(f);
        return em__error("Fashion-MNIST: out of memory reading %s", path);
    }
    uint64_t got = 0;
    while (got < total) {
        unsigned chunk = total - got > (1u << 30) ? (1u << 30) : (unsigned)(total - got);
        int r = gzread(f, buf + got, chunk);
        if (r <= 0)
            break;
        got += (uint64_t)r;
    }
    gzclose(f);
    if (got != total) {
        free(buf);
        return em__error("Fashion-MNIST: %s: truncated (%llu of %llu bytes)", path,
                         (unsigned long long)got, (unsigned long long)total);
    }
    *data = buf;
    return 0;
}

em_mnist *em_mnist_load(const char *dir_arg)
{
    const char *dir = mnist_dir(dir_arg);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        em__error("Fashion-MNIST: folder %s not found (on Debian install the package "
                  "dataset-fashion-mnist: apt install dataset-fashion-mnist)", dir);
        return NULL;
    }
    em_mnist *m = calloc(1, sizeof *m);
    if (!m) {
        em__error("Fashion-MNIST: out of memory");
        return NULL;
    }
    static const char *const files[2][2] = {
        {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"},
        {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"},
    };
    for (int s = 0; s < 2; s++) {
        uint32_t idims[3], ldims[1];
        if (read_idx(dir, files[s][0], 3, idims, &m->pixels[s]) < 0 ||
            read_idx(dir, files[s][1], 1, ldims, &m->labels[s]) < 0)
            goto fail;
        if (idims[0] != ldims[0]) {
            em__error("Fashion-MNIST: %s holds %u images but %s holds %u labels", files[s][0],
                      idims[0], files[s][1], ldims[0]);
            goto fail;
        }
        if (s == 0) {
            m->rows = (int)idims[1];
            m->cols = (int)idims[2];
        } else if ((int)idims[1] != m->rows || (int)idims[2] != m->cols) {
            em__error("Fashion-MNIST: test images are %ux%u, train images %dx%d", idims[1],
                      idims[2], m->rows, m->cols);
            goto fail;
        }
        m->count[s] = idims[0];
        for (uint32_t i = 0; i < ldims[0]; i++)
            if (m->labels[s][i] > 9) {
                em__error("Fashion-MNIST: %s: label %u out of range 0..9 at %u", files[s][1],
                          m->labels[s][i], i);
                goto fail;
            }
    }
    return m;
fail:
    em_mnist_free(m);
    return NULL;
}

void em_mnist_free(em_mnist *m)
{
    if (!m)
        return;
    for (int s = 0; s < 2; s++) {
        free(m->pixels[s]);
        free(m->labels[s]);
    }
    free(m);
}

int64_t em_mnist_count(const em_mnist *m, em_data_split split)
{
    return m && (split == EM_DATA_TRAIN || split == EM_DATA_TEST) ? m->count[split] : 0;
}
int em_mnist_rows(const em_mnist *m) { return m ? m->rows : 0; }
int em_mnist_cols(const em_mnist *m) { return m ? m->cols : 0; }
const uint8_t *em_mnist_pixels(const em_mnist *m, em_data_split split)
{
    return m && (split == EM_DATA_TRAIN || split == EM_DATA_TEST) ? m->pixels[split] : NULL;
}
const uint8_t *em_mnist_labels(const em_mnist *m, em_data_split split)
{
    return m && (split == EM_DATA_TRAIN || split == EM_DATA_TEST) ? m->labels[split] : NULL;
}

int em_mnist_batch(const em_mnist *m, em_data_split split, const int64_t *idx, int64_t n, bool nhwc,
                   em_array **images, em_array **labels)
{
    if (!images || !labels)
        return em__error("mnist_batch: images and labels must not be NULL");
    *images = NULL;
    *labels = NULL;
    if (!m || (split != EM_DATA_TRAIN && split != EM_DATA_TEST) || n < 0 || (n && !idx))
        return em__error("mnist_batch: bad arguments");
    int64_t px = (int64_t)m->rows * m->cols;
    float *img = malloc((size_t)(n * px) * sizeof(float) + 1);
    int32_t *lab = malloc((size_t)n * sizeof(int32_t) + 1);
    if (!img || !lab) {
        free(img);
        free(lab);
        return em__error("mnist_batch: out of memory for %lld samples", (long long)n);
    }
    const float scale = 1.0f / 255.0f;
    for (int64_t i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= m->count[split]) {
            free(img);
            free(lab);
            return em__error("mnist_batch: sample %lld out of range (%lld samples)",
                             (long long)idx[i], (long long)m->count[split]);
        }
        const uint8_t *src = m->pixels[split] + idx[i] * px;
        float *dst = img + i * px;
        for (int64_t j = 0; j < px; j++)
            dst[j] = (float)src[j] * scale;
        lab[i] = m->labels[split][idx[i]];
    }
    int64_t s4[4] = {n, m->rows, m->cols, 1}, s2[2] = {n, px};
    em__internal_begin();
    em_array *out[2];
    out[0] = nhwc ? em_array_from_data(img, 4, s4, EM_FLOAT32)
                  : em_array_from_data(img, 2, s2, EM_FLOAT32);
    out[1] = out[0] ? em_array_from_data(lab, 1, &n, EM_INT32) : NULL;
    free(img);
    free(lab);
    if (!out[0] || !out[1]) {
        if (out[0])
            em_release(out[0]);
        return em__internal_end_many(-1, out, 0);
    }
    em__internal_end_many(0, out, 2);
    *images = out[0];
    *labels = out[1];
    return 0;
}
