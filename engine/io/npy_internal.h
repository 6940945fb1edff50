#ifndef EMBER_NPY_INTERNAL_H
#define EMBER_NPY_INTERNAL_H
#include <stddef.h>

#include "ember/array.h"

typedef struct em_npy_info {
    em_dtype dtype;
    int ndim;
    int64_t shape[EM_MAX_DIMS];
    bool fortran;
    size_t data_offset;
} em_npy_info;

/* numpy's descr for a dtype ("<f4"); bfloat16 is written as raw 2-byte '|V2'. */
const char *em__npy_descr(em_dtype t);
int em__npy_parse_header(const char *name, const unsigned char *buf, size_t len, em_npy_info *info);
em_array *em__npy_from_memory(const char *name, const unsigned char *buf, size_t len);
int em__npy_to_memory(em_array *a, unsigned char **out, size_t *out_len);

#endif
