/* Datasets that ship with Debian, and batching from a seed.
 *
 * Fashion-MNIST (package dataset-fashion-mnist, /usr/share/datasets/fashion-mnist:
 * gzip IDX files read through zlib) and the fortunes corpus (package fortunes,
 * /usr/share/games/fortunes) as a character-level text dataset. A missing
 * dataset fails with a message naming the Debian package that provides it.
 *
 * Batches are reproducible: the order of an epoch is a permutation made by the
 * keyed generator (ember/random.h) from (seed, epoch), so the same seed gives
 * the same batches on every run and a run can resume mid-epoch. */
#ifndef EMBER_DATA_H
#define EMBER_DATA_H

#include <stdint.h>

#include "ember/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Fashion-MNIST ---- */
#define EM_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

typedef enum em_data_split { EM_DATA_TRAIN = 0, EM_DATA_TEST = 1 } em_data_split;

typedef struct em_mnist em_mnist;

/* Reads train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
 * t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from dir (NULL:
 * $EMBER_FASHION_MNIST_DIR, else EM_FASHION_MNIST_DIR). NULL with an error. */
em_mnist *em_mnist_load(const char *dir);
void em_mnist_free(em_mnist *m);
int64_t em_mnist_count(const em_mnist *m, em_data_split split);
int em_mnist_rows(const em_mnist *m);
int em_mnist_cols(const em_mnist *m);
/* Raw pixels (count * rows * cols bytes, row-major) and labels (0..9). */
const uint8_t *em_mnist_pixels(const em_mnist *m, em_data_split split);
const uint8_t *em_mnist_labels(const em_mnist *m, em_data_split split);
/* The class names ("T-shirt/top", ..., "Ankle boot"). */
const char *em_mnist_class_name(int label);
/* A batch of the samples idx[0..n): images float32 (n, rows*cols) scaled to
 * [0, 1] (or (n, rows, cols, 1), channels last as nn's convolutions, when
 * `nhwc`), labels int32 (n). New
 * references (scope rules). 0 or -1. */
int em_mnist_batch(const em_mnist *m, em_data_split split, const int64_t *idx, int64_t n, bool nhwc,
                   em_array **images, em_array **labels);

/* ---- the order of an epoch ---- */
/* Writes a permutation of 0..n-1 for (seed, epoch) to out (n entries), made by
 * em_random_permutation with a key derived from both. 0 or -1. */
int em_data_epoch_order(uint64_t seed, int64_t epoch, int64_t n, int64_t *out);
/* A key (uint32 (2)) for (seed, stream, index): independent streams of keys
 * for data order, initialisation, dropout, sampling. */
em_array *em_data_key(uint64_t seed, uint64_t stream, uint64_t index);

/* ---- fortunes: a character-level text dataset ---- */
#define EM_FORTUNES_DIR "/usr/share/games/fortunes"

typedef struct em_text em_text;

/* Reads every regular fortune file of dir (NULL: $EMBER_FORTUNES_DIR, else
 * EM_FORTUNES_DIR; not the .dat indexes, not the .u8 links), in name order.
 * Control bytes other than '\n' and '\t' are dropped (a backspace, used for
 * overstrike, removes the byte before it), fortunes are split at lines holding only '%' and trimmed; empty
 * fortunes are skipped. Each fortune becomes its text followed by "\n%\n".
 * Every tenth fortune (index % 10 == 9) goes to the validation split, the rest
 * to train: a fixed split whatever the seed. The vocabulary is the sorted set
 * of bytes of the whole corpus. NULL with an error. */
em_text *em_text_load_fortunes(const char *dir);
/* A text dataset from a string (same split rules: fortunes separated by
 * lines of '%'). */
em_text *em_text_from_string(const char *text, size_t len);
void em_text_free(em_text *t);
int em_text_vocab_size(const em_text *t);
/* The vocabulary: byte of each token id (vocab_size entries). */
const uint8_t *em_text_vocab(const em_text *t);
int em_text_count_fortunes(const em_text *t, em_data_split split);
/* The encoded split (token ids) and its length. */
const int32_t *em_text_tokens(const em_text *t, em_data_split split, int64_t *n);
/* Token id of a byte, or -1 if the byte is not in the vocabulary. */
int em_text_encode_byte(const em_text *t, uint8_t byte);
/* Encodes text: bytes outside the vocabulary are dropped. Returns the number
 * of ids written (at most max). */
int64_t em_text_encode(const em_text *t, const char *s, size_t len, int32_t *out, int64_t max);
/* Windows of `context` + 1 tokens starting at offsets[0..n): inputs (n, context)
 * and targets (n, context) int32 (targets are the inputs shifted by one). An
 * offset past the end of the split is an error. 0 or -1. */
int em_text_batch(const em_text *t, em_data_split split, const int64_t *offsets, int64_t n,
                  int context, em_array **inputs, em_array **targets);
/* n random window offsets for (seed, step): uniform over the split. 0 or -1. */
int em_text_random_offsets(const em_text *t, em_data_split split, uint64_t seed, int64_t step,
                           int context, int64_t n, int64_t *out);

#ifdef __cplusplus
}
#endif
#endif
