/* The engine tests' CHECK: a failed condition prints where and why (with
 * the engine's last error) and is counted in failures; the test exits
 * non-zero when any failed. */
#ifndef EMBER_TESTS_ENGINE_CHECK_H
#define EMBER_TESTS_ENGINE_CHECK_H

#include <stdio.h>

#include <ember/ember.h>

static int failures;
#define CHECK(cond, ...)                                                           \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                   \
            fprintf(stderr, __VA_ARGS__);                                          \
            fprintf(stderr, " (%s)\n", em_error_message());                        \
            failures++;                                                            \
        }                                                                          \
    } while (0)

#endif
