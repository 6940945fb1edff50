/* The core's promises that no parity test covers: flat memory over 100,000
 * ops, a 100,000-deep graph evaluated and freed without recursion, the memory
 * limit and cache, zero-copy buffers, async evaluation, scopes, errors that
 * propagate and name what was wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ember/ember.h>

#include "check.h"

static void test_flat_memory(void)
{
    /* 100,000 ops, evaluated every 100: active memory must not grow */
    size_t first = 0, last = 0;
    em_array *x = em_zeros(1, (int64_t[]){1024}, EM_FLOAT32), *one = em_scalar_f(1);
    for (int i = 1; i <= 100000; i++) {
        em_array *y = em_add(x, one);
        em_release(x);
        x = y;
        if (i % 100 == 0) {
            em_eval(x);
            size_t a = em_memory_stats_get().active;
            if (i == 1000)
                first = a;
            last = a;
        }
    }
    EM_SCOPE {
        CHECK(em_item_f32(em_take(x, em_scalar_i(7), 0)) == 100000, "100,000 adds give 100000");
    }
    CHECK(last == first, "active memory flat over 100,000 ops (%zu then %zu bytes)", first, last);
    em_release(x);
    em_release(one);
}

static void test_deep_graph(void)
{
    /* a chain 100,000 nodes deep, never evaluated, then dropped: the release
     * must not recurse; and another evaluated in one go */
    em_array *x = em_ones(0, NULL, EM_FLOAT32), *c = em_scalar_f(1.0);
    for (int i = 0; i < 100000; i++) {
        em_array *y = em_multiply(x, c);
        em_release(x);
        x = y;
    }
    em_release(x);
    em_release(c);
    x = em_ones(0, NULL, EM_FLOAT64);
    c = em_scalar_f(0.5);
    for (int i = 0; i < 100000; i++) {
        em_array *y = em_add(x, c);
        em_release(x);
        x = y;
    }
    CHECK(em_item_f64(x) == 50001, "deep chain evaluates (%g)", em_item_f64(x));
    em_release(x);
    em_release(c);
    CHECK(em_memory_stats_get().active == 0, "deep graph freed");
}

static void test_limit_and_cache(void)
{
    em_memory_clear_cache();
    em_memory_set_limit(64 << 20);
    EM_SCOPE {
        em_array *big = em_zeros(1, (int64_t[]){64 << 20}, EM_FLOAT32); /* 256 MiB */
        CHECK(em_eval(big) < 0, "an allocation over the limit fails");
        CHECK(strstr(em_error_message(), "out of memory") != NULL, "with an out-of-memory message");
        em_error_clear();
        em_array *ok = em_zeros(1, (int64_t[]){1 << 20}, EM_FLOAT32);
        CHECK(em_eval(ok) == 0, "a small allocation still works");
    }
    em_memory_set_limit(0);
    em_memory_stats s = em_memory_stats_get();
    CHECK(s.cache > 0, "freed buffers go to the cache (%zu)", s.cache);
    em_memory_clear_cache();
    CHECK(em_memory_stats_get().cache == 0, "clear_cache empties it");
    em_memory_reset_peak();
    EM_SCOPE {
        em_array *a = em_ones(1, (int64_t[]){1 << 20}, EM_FLOAT32);
        em_eval(a);
    }
    CHECK(em_memory_stats_get().peak >= (4u << 20), "peak counts the 4 MiB array");
}

static int freed;
static void on_free(void *data, void *ctx)
{
    freed++;
    free(data);
}

static void test_zero_copy(void)
{
    float *data = malloc(6 * sizeof *data);
    for (int i = 0; i < 6; i++)
        data[i] = (float)i;
    em_array *a = em_array_from_buffer(data, 2, (int64_t[]){2, 3}, EM_FLOAT32, on_free, NULL);
    CHECK(em_array_data(a) == data, "zero-copy array reads the caller's memory");
    em_array *t = em_transpose(a, NULL);
    em_eval(t);
    CHECK(em_array_data(t) == data && !em_array_is_contiguous(t), "a transpose is a view of it");
    em_release(a);
    CHECK(freed == 0, "not freed while a view lives");
    em_release(t);
    CHECK(freed == 1, "freed once when the last user is gone");
}

static void test_async(void)
{
    EM_SCOPE {
        em_array *x = em_arange(0, 1 << 20, 1, EM_FLOAT32);
        em_array *y = em_sum(em_multiply(x, x), NULL, 0, false);
        CHECK(em_async_eval(&y, 1) == 0, "async_eval starts");
        /* build more graph meanwhile */
        em_array *z = em_add(y, em_scalar_f(1));
        CHECK(em_item_f64(z) > 0, "reading waits for the async work");
        em_synchronize();
        CHECK(em_array_is_evaluated(y), "async result evaluated");
    }
}

static void test_errors(void)
{
    EM_SCOPE {
        em_array *a = em_ones(2, (int64_t[]){2, 3}, EM_FLOAT32);
        em_array *b = em_ones(2, (int64_t[]){4, 5}, EM_FLOAT32);
        em_error_clear();
        em_array *c = em_matmul(a, b);
        CHECK(!c, "matmul of (2,3) and (4,5) fails");
        const char *m = em_error_message();
        CHECK(strstr(m, "matmul") && strstr(m, "3"), "the message names the op and shapes: %s", m);
        char first[256];
        snprintf(first, sizeof first, "%s", m);
        em_array *d = em_exp(em_add(c, a));
        CHECK(!d && !strcmp(first, em_error_message()), "the first error passes through later ops");
        em_error_clear();
        CHECK(!em_reshape(a, 1, (int64_t[]){7}), "bad reshape refused");
        CHECK(strstr(em_error_message(), "reshape"), "named");
        em_error_clear();
        CHECK(!em_sum(a, (int[]){5}, 1, false), "bad axis refused");
        CHECK(strstr(em_error_message(), "axis"), "names the axis");
    }
}

static void test_scopes(void)
{
    em_array *kept = NULL;
    EM_SCOPE {
        em_array *a = em_ones(1, (int64_t[]){16}, EM_FLOAT32);
        EM_SCOPE {
            em_array *b = em_add(a, a);
            kept = em_keep(em_multiply(b, b)); /* to the outer scope */
        }
        em_keep(kept); /* and out to the caller */
    }
    EM_SCOPE {
        CHECK(kept && em_item_f32(em_sum(kept, NULL, 0, false)) == 64, "kept array survives its scopes");
    }
    em_release(kept);
}

int main(void)
{
    em_memory_clear_cache();
    test_flat_memory();
    test_deep_graph();
    test_limit_and_cache();
    test_zero_copy();
    test_async();
    test_errors();
    test_scopes();
    em_memory_stats s = em_memory_stats_get();
    CHECK(s.active == 0, "nothing left active (%zu bytes)", s.active);
    printf("%s\n", failures ? "FAILED" : "core checks passed");
    return failures != 0;
}
