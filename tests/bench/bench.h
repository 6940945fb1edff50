/* Small helpers shared by the C benchmarks. */
#ifndef EMBER_BENCH_H
#define EMBER_BENCH_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline int bench_smoke(void)
{
    const char *s = getenv("EMBER_BENCH_SMOKE");
    return s && *s && strcmp(s, "0") != 0;
}

/* Best of `reps` runs of fn(ctx), in seconds. */
static inline double bench_best(int reps, void (*fn)(void *), void *ctx)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t = bench_now();
        fn(ctx);
        t = bench_now() - t;
        if (t < best)
            best = t;
    }
    return best;
}

#endif
