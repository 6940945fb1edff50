/* .npz: a zip archive of .npy files, entries stored or deflated (zlib does the
 * inflating). The zip reader takes the central directory at its word and checks
 * every offset and length against the file; zip64 sizes and offsets are read.
 * Writing makes classic (non-zip64) archives: up to 4 GiB. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "array_internal.h"
#include "atomic_file.h"
#include "ember/io.h"
#include "ember/ops.h"
#include "npy_internal.h"

struct em_npz {
    int n;
    char **names;
    em_array **arrays;
};

static uint32_t rd16(const unsigned char *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

void em_npz_close(em_npz *z)
{
    if (!z)
        return;
    for (int i = 0; i < z->n; i++) {
        free(z->names[i]);
        em_release(z->arrays[i]);
    }
    free(z->names);
    free(z->arrays);
    free(z);
}

int em_npz_count(const em_npz *z) { return z ? z->n : 0; }

const char *em_npz_name(const em_npz *z, int i) { return z && i >= 0 && i < z->n ? z->names[i] : NULL; }

em_array *em_npz_get_index(em_npz *z, int i)
{
    if (!z || i < 0 || i >= z->n) {
        em__error("npz: array index %d out of range", i);
        return NULL;
    }
    return em__track(em_retain(z->arrays[i]));
}

em_array *em_npz_get(em_npz *z, const char *name)
{
    if (!z || !name) {
        em__error("npz: no archive or name given");
        return NULL;
    }
    for (int i = 0; i < z->n; i++)
        if (!strcmp(z->names[i], name))
            return em_npz_get_index(z, i);
    em__error("npz: no array named '%s'", name);
    return NULL;
}

/* Reads zip64 extended information for the fields that are 0xffffffff. */
static int zip64_extra(const unsigned char *ex, size_t exlen, uint64_t *usize, uint64_t *csize, uint64_t *loff)
{
    size_t k = 0;
    while (k + 4 <= exlen) {
        uint32_t id = rd16(ex + k), sz = rd16(ex + k + 2);
        if (k + 4 + sz > exlen)
            return -1;
        if (id == 1) {
            const unsigned char *q = ex + k + 4;
            size_t left = sz;
            uint64_t *f[3] = {usize, csize, loff};
            for (int j = 0; j < 3; j++) {
                if (*f[j] != 0xffffffffu)
                    continue;
                if (left < 8)
                    return -1;
                *f[j] = rd64(q);
                q += 8;
                left -= 8;
            }
            return 0;
        }
        k += 4 + sz;
    }
    return 0;
}

static int load_entries(em_npz *z, const char *path, const unsigned char *buf, size_t len)
{
    /* end of central directory: 22 bytes + comment up to 65535 */
    if (len < 22)
        return em__error("%s: not a zip archive (%zu bytes)", path, len);
    size_t eocd = (size_t)-1;
    for (size_t k = len - 22 + 1; k-- > 0 && len - k <= 22 + 65535;)
        if (rd32(buf + k) == 0x06054b50u) {
            eocd = k;
            break;
        }
    if (eocd == (size_t)-1)
        return em__error("%s: not a zip archive (no end of central directory)", path);
    uint64_t n_entries = rd16(buf + eocd + 10), cd_size = rd32(buf + eocd + 12), cd_off = rd32(buf + eocd + 16);
    if ((n_entries == 0xffff || cd_off == 0xffffffffu || cd_size == 0xffffffffu) && eocd >= 20 &&
        rd32(buf + eocd - 20) == 0x07064b50u) {
        uint64_t z64 = rd64(buf + eocd - 20 + 8);
        if (len < 56 || z64 > len - 56 || rd32(buf + z64) != 0x06064b50u)
            return em__error("%s: bad zip64 end of central directory", path);
        n_entries = rd64(buf + z64 + 32);
        cd_size = rd64(buf + z64 + 40);
        cd_off = rd64(buf + z64 + 48);
    }
    if (cd_off > len || cd_size > len - cd_off)
        return em__error("%s: zip central directory lies outside the file", path);
    if (n_entries > cd_size / 46)
        return em__error("%s: zip central directory is too small for %" PRIu64 " entries", path, n_entries);
    z->names = calloc(n_entries ? n_entries : 1, sizeof *z->names);
    z->arrays = calloc(n_entries ? n_entries : 1, sizeof *z->arrays);
    if (!z->names || !z->arrays)
        return em__error("out of memory");
    size_t p = (size_t)cd_off, cd_end = (size_t)(cd_off + cd_size);
    for (uint64_t i = 0; i < n_entries; i++) {
        if (cd_end - p < 46 || rd32(buf + p) != 0x02014b50u)
            return em__error("%s: bad zip central directory entry %" PRIu64, path, i);
        const unsigned char *c = buf + p;
        uint32_t flags = rd16(c + 8), method = rd16(c + 10), crc = rd32(c + 16);
        uint64_t csize = rd32(c + 20), usize = rd32(c + 24), loff = rd32(c + 42);
        size_t nlen = rd16(c + 28), elen = rd16(c + 30), clen = rd16(c + 32);
        if (cd_end - p - 46 < nlen + elen + clen)
            return em__error("%s: bad zip central directory entry %" PRIu64, path, i);
        const char *ename = (const char *)c + 46;
        if (zip64_extra(c + 46 + nlen, elen, &usize, &csize, &loff) < 0)
            return em__error("%s: bad zip64 extra field in entry %" PRIu64, path, i);
        p += 46 + nlen + elen + clen;
        if (flags & 1)
            return em__error("%s: entry '%.*s' is encrypted", path, (int)nlen, ename);
        if (method != 0 && method != 8)
            return em__error("%s: entry '%.*s' uses zip compression method %u (only stored and deflated are read)",
                             path, (int)nlen, ename, method);
        if (loff > len || len - loff < 30 || rd32(buf + loff) != 0x04034b50u)
            return em__error("%s: entry '%.*s': bad local header", path, (int)nlen, ename);
        uint64_t data = loff + 30 + rd16(buf + loff + 26) + rd16(buf + loff + 28);
        if (data > len || csize > len - data)
            return em__error("%s: entry '%.*s' runs past the end of the file", path, (int)nlen, ename);
        if (method == 0 && csize != usize)
            return em__error("%s: entry '%.*s': stored sizes disagree", path, (int)nlen, ename);
        /* name without a trailing ".npy" */
        size_t bn = nlen >= 4 && !memcmp(ename + nlen - 4, ".npy", 4) ? nlen - 4 : nlen;
        char *name = malloc(bn + 1);
        char *label = malloc(strlen(path) + nlen + 4);
        if (!name || !label) {
            free(name);
            free(label);
            return em__error("out of memory");
        }
        memcpy(name, ename, bn);
        name[bn] = 0;
        sprintf(label, "%s:%.*s", path, (int)nlen, ename);
        const unsigned char *src = buf + data;
        unsigned char *tmp = NULL;
        int rc = 0;
        if (method == 8) {
            /* deflate expands at most ~1032:1: refuse sizes no stream could reach */
            if (usize / 1032 > csize + 1) {
                rc = em__error("%s: uncompressed size %" PRIu64 " is impossible for %" PRIu64
                               " compressed bytes", label, usize, csize);
            } else if (!(tmp = malloc(usize ? usize : 1))) {
                rc = em__error("%s: cannot allocate %" PRIu64 " bytes", label, usize);
            } else {
                z_stream zs = {0};
                if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
                    rc = em__error("%s: zlib failed to start", label);
                } else {
                    uint64_t in_left = csize, out_left = usize;
                    zs.next_in = (unsigned char *)src;
                    zs.next_out = tmp;
                    int zr = Z_OK;
                    while (zr == Z_OK) {
                        if (zs.avail_in == 0 && in_left) {
                            zs.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
                            in_left -= zs.avail_in;
                        }
                        if (zs.avail_out == 0 && out_left) {
                            zs.avail_out = out_left > (1u << 30) ? (1u << 30) : (uInt)out_left;
                            out_left -= zs.avail_out;
                        }
                        zr = inflate(&zs, Z_NO_FLUSH);
                        if (zr == Z_BUF_ERROR && (zs.avail_in || in_left) && (zs.avail_out || out_left))
                            zr = Z_OK;
                    }
                    if (zr != Z_STREAM_END || zs.total_out != usize)
                        rc = em__error("%s: corrupt deflate data", label);
                    inflateEnd(&zs);
                }
            }
            src = tmp;
        }
        if (rc == 0) {
            uLong cc = crc32(0, Z_NULL, 0);
            for (uint64_t k = 0; k < usize; k += 1u << 30)
                cc = crc32(cc, src + k, (uInt)(usize - k > (1u << 30) ? (1u << 30) : usize - k));
            if (cc != crc)
                rc = em__error("%s: CRC mismatch", label);
        }
        if (rc == 0) {
            z->arrays[z->n] = em__npy_from_memory(label, src, (size_t)usize);
            if (!z->arrays[z->n])
                rc = -1;
        }
        free(tmp);
        free(label);
        if (rc < 0) {
            free(name);
            return -1;
        }
        z->names[z->n++] = name;
    }
    return 0;
}

em_npz *em_npz_load(const char *path)
{
    if (!path) {
        em__error("npz: no path given");
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        em__error("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 22) {
        close(fd);
        em__error("%s: not a zip archive", path);
        return NULL;
    }
    size_t len = (size_t)sb.st_size;
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        em__error("cannot map %s: %s", path, strerror(errno));
        return NULL;
    }
    em_npz *z = calloc(1, sizeof *z);
    if (!z) {
        munmap(m, len);
        em__error("out of memory");
        return NULL;
    }
    em__internal_begin(); /* the archive owns its arrays */
    int rc = load_entries(z, path, m, len);
    em__internal_end(NULL);
    munmap(m, len);
    if (rc < 0) {
        em_npz_close(z);
        return NULL;
    }
    return z;
}

/* ---- writing ---- */
static void wr16(unsigned char *p, uint32_t v) { p[0] = v & 0xff, p[1] = (v >> 8) & 0xff; }
static void wr32(unsigned char *p, uint32_t v) { wr16(p, v & 0xffff), wr16(p + 2, v >> 16); }

int em_save_npz(const char *path, const char *const *names, em_array *const *arrays, int n, bool compress)
{
    if (!path || n < 0 || (n && (!names || !arrays)))
        return em__error("save_npz: bad arguments");
    if (n > 0xffff)
        return em__error("save_npz: %d arrays (at most 65535)", n);
    for (int i = 0; i < n; i++) {
        if (!arrays[i])
            return -1;
        if (!names[i] || !*names[i] || strlen(names[i]) > 60000)
            return em__error("save_npz: array %d has no usable name", i);
        for (int j = 0; j < i; j++)
            if (!strcmp(names[i], names[j]))
                return em__error("save_npz: the name '%s' is given twice", names[i]);
    }
    em_atomic_file af;
    if (em__atomic_open(&af, path) < 0)
        return -1;
    unsigned char *cd = NULL;
    size_t cd_len = 0;
    uint64_t off = 0;
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
        unsigned char *npy = NULL, *comp = NULL;
        size_t npy_len = 0;
        if (em__npy_to_memory(arrays[i], &npy, &npy_len) < 0) {
            ok = 0;
            break;
        }
        uint32_t crc = (uint32_t)crc32(0, npy, (uInt)0);
        for (size_t k = 0; k < npy_len; k += 1u << 30)
            crc = (uint32_t)crc32(crc, npy + k, (uInt)(npy_len - k > (1u << 30) ? (1u << 30) : npy_len - k));
        const unsigned char *data = npy;
        size_t data_len = npy_len;
        if (compress) {
            uLong bound = compressBound(npy_len);
            comp = npy_len < (1u << 31) ? malloc(bound) : NULL;
            z_stream zs = {0};
            if (!comp || deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
                free(comp);
                free(npy);
                em__error("save_npz: out of memory");
                ok = 0;
                break;
            }
            zs.next_in = npy;
            zs.avail_in = (uInt)npy_len;
            zs.next_out = comp;
            zs.avail_out = (uInt)bound;
            int zr = deflate(&zs, Z_FINISH);
            data_len = zs.total_out;
            deflateEnd(&zs);
            if (zr != Z_STREAM_END) {
                free(comp);
                free(npy);
                em__error("save_npz: deflate failed");
                ok = 0;
                break;
            }
            data = comp;
        }
        size_t nl = strlen(names[i]) + 4;
        if (off + 30 + nl + data_len > 0xffffffffu || npy_len > 0xffffffffu) {
            free(comp);
            free(npy);
            em__error("save_npz: %s is larger than 4 GiB (zip64 is not written; use safetensors)", path);
            ok = 0;
            break;
        }
        unsigned char lh[30] = {0};
        wr32(lh, 0x04034b50u);
        wr16(lh + 4, 20);
        wr16(lh + 8, compress ? 8 : 0);
        wr16(lh + 12, 0x21); /* 1980-01-01 */
        wr32(lh + 14, crc);
        wr32(lh + 18, (uint32_t)data_len);
        wr32(lh + 22, (uint32_t)npy_len);
        wr16(lh + 26, (uint32_t)nl);
        ok = fwrite(lh, 1, 30, af.f) == 30 && fwrite(names[i], 1, nl - 4, af.f) == nl - 4 &&
             fwrite(".npy", 1, 4, af.f) == 4 && fwrite(data, 1, data_len, af.f) == data_len;
        unsigned char *ncd = realloc(cd, cd_len + 46 + nl);
        if (!ncd) {
            ok = 0;
        } else {
            cd = ncd;
            unsigned char *c = cd + cd_len;
            memset(c, 0, 46);
            wr32(c, 0x02014b50u);
            wr16(c + 4, 20);
            wr16(c + 6, 20);
            memcpy(c + 8, lh + 6, 24); /* flags .. name length, as the local header */
            wr32(c + 42, (uint32_t)off);
            memcpy(c + 46, names[i], nl - 4);
            memcpy(c + 46 + nl - 4, ".npy", 4);
            cd_len += 46 + nl;
        }
        off += 30 + nl + data_len;
        free(comp);
        free(npy);
    }
    if (ok) {
        unsigned char eocd[22] = {0};
        wr32(eocd, 0x06054b50u);
        wr16(eocd + 8, (uint32_t)n);
        wr16(eocd + 10, (uint32_t)n);
        wr32(eocd + 12, (uint32_t)cd_len);
        wr32(eocd + 16, (uint32_t)off);
        ok = (cd_len == 0 || fwrite(cd, 1, cd_len, af.f) == cd_len) && fwrite(eocd, 1, 22, af.f) == 22 &&
             off + cd_len <= 0xffffffffu;
        if (!ok && !em_error_pending())
            em__error("cannot write %s", path);
    }
    free(cd);
    return em__atomic_close(&af, ok) < 0 || !ok ? -1 : 0;
}
