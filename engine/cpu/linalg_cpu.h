/* Helpers shared by the linear algebra and convolution kernels. */
#ifndef EMBER_CPU_LINALG_H
#define EMBER_CPU_LINALG_H

#include "array_internal.h"

/* A dense row-major copy of `in` in scratch memory (accounted); *strides gets
 * its strides. NULL with an error on OOM. Free with em__lin_dense_free. */
void *em__lin_dense_copy(em_array *in, int64_t *strides);
void em__lin_dense_free(em_array *in, void *p);

#endif
