/* Data pipeline: Fashion-MNIST batches (dumped for test_data.py to compare with
 * numpy reading the same gz files), epoch orders, the fortunes filter and
 * split, and the messages for missing datasets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/data.h"
#include "ember/ember.h"

static int failures;
#define CHECK(c)                                                                      \
    do {                                                                              \
        if (!(c)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #c, \
                    em_error_message() ? em_error_message() : "");                    \
            failures++;                                                               \
        }                                                                             \
    } while (0)

static void test_missing(const char *tmp)
{
    em_error_clear();
    em_mnist *m = em_mnist_load(tmp);
    CHECK(!m);
    CHECK(strstr(em_error_message(), "dataset-fashion-mnist") != NULL);
    em_error_clear();
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/nothing-here", tmp);
    m = em_mnist_load(sub);
    CHECK(!m);
    CHECK(strstr(em_error_message(), "dataset-fashion-mnist") != NULL);
    em_error_clear();
    em_text *t = em_text_load_fortunes(sub);
    CHECK(!t);
    CHECK(strstr(em_error_message(), "package fortunes") != NULL);
    em_error_clear();
    t = em_text_load_fortunes(tmp); /* a folder without fortune files */
    CHECK(!t);
    CHECK(strstr(em_error_message(), "package fortunes") != NULL);
    em_error_clear();
}

static void test_fortunes_filter(void)
{
    const char text[] = "first\tfortune\x07\n%\n\n  second\r\n line\n%\n"
                        "_\bu_\bn_\bd_\be_\br\n%\n%\n"
                        "f4\n%\nf5\n%\nf6\n%\nf7\n%\nf8\n%\nf9\n%\nf10\n%\nf11\n";
    em_text *t = em_text_from_string(text, sizeof text - 1);
    CHECK(t);
    if (!t)
        return;
    CHECK(em_text_count_fortunes(t, EM_DATA_TRAIN) == 10);
    CHECK(em_text_count_fortunes(t, EM_DATA_TEST) == 1);
    int64_t n;
    const int32_t *ids = em_text_tokens(t, EM_DATA_TRAIN, &n);
    char *s = malloc(n + 1);
    for (int64_t i = 0; i < n; i++)
        s[i] = (char)em_text_vocab(t)[ids[i]];
    s[n] = 0;
    const char *want = "first\tfortune\n%\n  second\n line\n%\nunder\n%\n"
                       "f4\n%\nf5\n%\nf6\n%\nf7\n%\nf8\n%\nf9\n%\nf11\n%\n";
    if (strcmp(s, want)) {
        fprintf(stderr, "fortunes filter: got [%s]\nwant [%s]\n", s, want);
        failures++;
    }
    free(s);
    ids = em_text_tokens(t, EM_DATA_TEST, &n);
    CHECK(n == 6 && em_text_vocab(t)[ids[0]] == 'f' && em_text_vocab(t)[ids[2]] == '0');
    /* vocabulary sorted, no control bytes but \n and \t */
    const uint8_t *v = em_text_vocab(t);
    for (int i = 0; i < em_text_vocab_size(t); i++) {
        CHECK(v[i] >= 0x20 || v[i] == '\n' || v[i] == '\t');
        if (i)
            CHECK(v[i] > v[i - 1]);
    }
    /* windows */
    int64_t off[2] = {0, 3};
    EM_SCOPE {
        em_array *x, *y;
        CHECK(em_text_batch(t, EM_DATA_TRAIN, off, 2, 4, &x, &y) == 0);
        int32_t xs[8], ys[8];
        em_array_read(x, EM_INT32, xs, 8);
        em_array_read(y, EM_INT32, ys, 8);
        const int32_t *tok = em_text_tokens(t, EM_DATA_TRAIN, &n);
        CHECK(xs[0] == tok[0] && ys[0] == tok[1] && xs[4] == tok[3] && ys[7] == tok[7]);
        off[0] = n - 4;
        CHECK(em_text_batch(t, EM_DATA_TRAIN, off, 1, 4, &x, &y) < 0);
        em_error_clear();
    }
    int64_t r1[16], r2[16];
    CHECK(em_text_random_offsets(t, EM_DATA_TRAIN, 7, 3, 4, 16, r1) == 0);
    CHECK(em_text_random_offsets(t, EM_DATA_TRAIN, 7, 3, 4, 16, r2) == 0);
    CHECK(!memcmp(r1, r2, sizeof r1));
    for (int i = 0; i < 16; i++)
        CHECK(r1[i] >= 0 && r1[i] + 5 <= n);
    em_text_free(t);
}

static void test_fortunes_real(void)
{
    em_text *t = em_text_load_fortunes(NULL);
    if (!t) {
        printf("fortunes not installed: %s (skipped)\n", em_error_message());
        em_error_clear();
        return;
    }
    int64_t ntr, nva;
    em_text_tokens(t, EM_DATA_TRAIN, &ntr);
    em_text_tokens(t, EM_DATA_TEST, &nva);
    printf("fortunes: %d train / %d validation fortunes, %lld / %lld chars, vocabulary %d\n",
           em_text_count_fortunes(t, EM_DATA_TRAIN), em_text_count_fortunes(t, EM_DATA_TEST),
           (long long)ntr, (long long)nva, em_text_vocab_size(t));
    CHECK(ntr > 1000000 && nva > 100000);
    CHECK(em_text_vocab_size(t) > 90 && em_text_vocab_size(t) < 130);
    em_text_free(t);
}

static void test_order(void)
{
    int64_t a[1000], b[1000], c[1000];
    CHECK(em_data_epoch_order(5, 0, 1000, a) == 0);
    CHECK(em_data_epoch_order(5, 0, 1000, b) == 0);
    CHECK(em_data_epoch_order(5, 1, 1000, c) == 0);
    CHECK(!memcmp(a, b, sizeof a));
    CHECK(memcmp(a, c, sizeof a) != 0);
    char seen[1000] = {0};
    for (int i = 0; i < 1000; i++)
        if (a[i] >= 0 && a[i] < 1000)
            seen[a[i]]++;
    for (int i = 0; i < 1000; i++)
        CHECK(seen[i] == 1);
}

/* Dumps the first images and labels of each split (as .npy) for test_data.py. */
static void dump_mnist(const char *dir)
{
    em_mnist *m = em_mnist_load(NULL);
    if (!m) {
        printf("Fashion-MNIST not installed: %s (skipped)\n", em_error_message());
        em_error_clear();
        return;
    }
    CHECK(em_mnist_count(m, EM_DATA_TRAIN) == 60000 && em_mnist_count(m, EM_DATA_TEST) == 10000);
    CHECK(em_mnist_rows(m) == 28 && em_mnist_cols(m) == 28);
    int64_t idx[5] = {0, 1, 2, 59999, 12345};
    for (int s = 0; s < 2; s++) {
        if (s == 1)
            idx[3] = 9999, idx[4] = 5000;
        EM_SCOPE {
            em_array *x, *y, *x4, *y4;
            CHECK(em_mnist_batch(m, s, idx, 5, false, &x, &y) == 0);
            CHECK(em_mnist_batch(m, s, idx, 5, true, &x4, &y4) == 0);
            CHECK(em_array_ndim(x4) == 4 && em_array_dim(x4, 3) == 1);
            char p[4096];
            snprintf(p, sizeof p, "%s/%s_images.npy", dir, s ? "test" : "train");
            CHECK(em_save_npy(p, x) == 0);
            snprintf(p, sizeof p, "%s/%s_labels.npy", dir, s ? "test" : "train");
            CHECK(em_save_npy(p, y) == 0);
        }
    }
    int64_t bad = 60000;
    EM_SCOPE {
        em_array *x, *y;
        CHECK(em_mnist_batch(m, EM_DATA_TRAIN, &bad, 1, false, &x, &y) < 0);
        em_error_clear();
    }
    em_mnist_free(m);
}

int main(int argc, char **argv)
{
    char tmp[] = "/tmp/ember-test-data-XXXXXX";
    CHECK(mkdtemp(tmp) != NULL);
    test_missing(tmp);
    rmdir(tmp);
    test_fortunes_filter();
    test_fortunes_real();
    test_order();
    if (argc > 1)
        dump_mnist(argv[1]);
    if (em_memory_stats_get().active != 0) {
        fprintf(stderr, "memory still active: %zu bytes\n", em_memory_stats_get().active);
        failures++;
    }
    printf("%s\n", failures ? "FAIL" : "ok");
    return failures ? 1 : 0;
}
