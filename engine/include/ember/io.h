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

#ifdef __cplusplus
}
#endif
#endif
