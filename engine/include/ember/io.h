/* Reading and writing arrays: .npy, .npz, safetensors. Writes are atomic (a
 * temporary file in the same folder, then rename). */
#ifndef EMBER_IO_H
#define EMBER_IO_H

#include "ember/array.h"

#ifdef __cplusplus
extern "C" {
#endif

em_array *em_load_npy(const char *path);
int em_save_npy(const char *path, em_array *a);

/* ---- safetensors ----
 * em_safetensors_open maps the file and parses its JSON header; tensors are
 * read lazily: em_safetensors_get wraps the mapped bytes without copying (a
 * tensor whose offset is not aligned to its element size is copied). Every
 * array made this way holds a reference on the mapping, so arrays may outlive
 * em_safetensors_close; the file is unmapped when the last of them is gone.
 * Tensors are listed in file order (by their data_offsets). Dtypes: BOOL, U8,
 * I8, U16, I16, U32, I32, U64, I64, F16, BF16, F32, F64. Files holding F8_E4M3,
 * F8_E5M2, F8_E8M0 or C64 tensors open and list; em_safetensors_get refuses
 * those tensors. Any other dtype, and any malformed header, fails the open.
 * JSON duplicate keys in the header are detected and refused. Strings returned
 * are owned by the em_safetensors and live until em_safetensors_close. */
typedef struct em_safetensors em_safetensors;

/* NULL with an error naming the file and the problem. */
em_safetensors *em_safetensors_open(const char *path);
/* Reads only the header (no mapping; for listings: fast whatever the file's
 * size). em_safetensors_get on such a handle fails. */
em_safetensors *em_safetensors_open_header(const char *path);
void em_safetensors_close(em_safetensors *st);

int em_safetensors_count(const em_safetensors *st);
/* Index of a tensor by name, or -1 (no error recorded). */
int em_safetensors_find(const em_safetensors *st, const char *name);
const char *em_safetensors_name(const em_safetensors *st, int i);
/* The dtype as spelled in the header ("F32", "F8_E4M3"). */
const char *em_safetensors_dtype_string(const em_safetensors *st, int i);
/* The Ember dtype, or -1 for a dtype Ember cannot load (F8_*, C64). */
int em_safetensors_dtype(const em_safetensors *st, int i);
int em_safetensors_ndim(const em_safetensors *st, int i);
const int64_t *em_safetensors_shape(const em_safetensors *st, int i);
/* Byte range of the tensor relative to the start of the data section. */
void em_safetensors_data_offsets(const em_safetensors *st, int i, uint64_t *begin, uint64_t *end);

/* __metadata__ (string to string), in header order. */
int em_safetensors_metadata_count(const em_safetensors *st);
const char *em_safetensors_metadata_key(const em_safetensors *st, int i);
const char *em_safetensors_metadata_value(const em_safetensors *st, int i);
/* The value for a key, or NULL. */
const char *em_safetensors_metadata(const em_safetensors *st, const char *key);

/* A new reference (scope rules as any em_array), or NULL with an error. */
em_array *em_safetensors_get(em_safetensors *st, const char *name);
em_array *em_safetensors_get_index(em_safetensors *st, int i);

/* Writes tensors in the given order (names unique, not "__metadata__"), with
 * optional metadata (n_meta pairs; NULL arrays when 0). Atomic. 0 or -1. */
int em_save_safetensors(const char *path, const char *const *names, em_array *const *arrays, int n,
                        const char *const *meta_keys, const char *const *meta_values, int n_meta);

/* ---- .npz (numpy's zip of .npy files; stored or deflated entries) ----
 * em_npz_load reads and decodes every array at once. Names are the entry names
 * without ".npy". The em_npz owns its arrays and names until em_npz_close. */
typedef struct em_npz em_npz;

em_npz *em_npz_load(const char *path);
void em_npz_close(em_npz *z);
int em_npz_count(const em_npz *z);
const char *em_npz_name(const em_npz *z, int i);
/* A new reference, or NULL with an error for an unknown name. */
em_array *em_npz_get(em_npz *z, const char *name);
em_array *em_npz_get_index(em_npz *z, int i);
/* Saves arrays as NAME.npy entries, deflated when `compress` (numpy's
 * savez_compressed), else stored (savez). Atomic. 0 or -1. */
int em_save_npz(const char *path, const char *const *names, em_array *const *arrays, int n,
                bool compress);

#ifdef __cplusplus
}
#endif
#endif
