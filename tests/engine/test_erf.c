/* erf in float32 (the vectorised row of engine/cpu/unary.c) against double
 * erf over a dense range of floats (every 61st bit pattern in [0, 6] and its
 * negative; a relative bound below 1e-30, where subnormal products round),
 * and at the special values. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ember/ember.h>

int main(void)
{
    uint32_t lo = 0, hi = 0x40c00000u; /* 6.0f */
    int64_t n = 0;
    for (uint32_t b = lo; b <= hi; b += 61)
        n += 2;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    int64_t k = 0;
    for (uint32_t b = lo; b <= hi; b += 61) {
        float f;
        memcpy(&f, &b, 4);
        x[k++] = f;
        x[k++] = -f;
    }
    int failed = 0;
    EM_SCOPE {
        em_array *a = em_array_from_data(x, 1, &n, EM_FLOAT32);
        em_array *r = em_erf(a);
        if (!r || em_array_read(r, EM_FLOAT32, y, n) < 0) {
            fprintf(stderr, "FAIL: erf: %s\n", em_error_message());
            failed = 1;
        }
    }
    double worst = 0, at = 0;
    for (int64_t i = 0; i < n && !failed; i++) {
        double ref = erf((double)x[i]);
        float rf = (float)ref;
        double ulp = fabs((double)nextafterf(fabsf(rf), INFINITY) - fabs((double)rf));
        if (ulp == 0 || fabsf(rf) < 1e-37f)
            ulp = 1.4e-45;
        double e = fabs((double)y[i] - ref) / ulp;
        /* near the subnormals x + x T rounds twice: there, a relative bound */
        if (fabsf(x[i]) < 1e-30f)
            e = fabs((double)y[i] - ref) <= 1e-6 * fabs(ref) + 6e-45 ? 0 : 1e9;
        if (e > worst) {
            worst = e;
            at = x[i];
        }
    }
    printf("erf float32: %lld values, worst error %.3f ulp at %.9g\n", (long long)n, worst, at);
    if (worst > 1.5) {
        fprintf(stderr, "FAIL: erf float32 error above 1.5 ulp\n");
        failed = 1;
    }
    float sp[6] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-40f}, so[6];
    int64_t ns = 6;
    EM_SCOPE {
        em_array_read(em_erf(em_array_from_data(sp, 1, &ns, EM_FLOAT32)), EM_FLOAT32, so, ns);
    }
    if (so[0] != 0 || !signbit(so[1]) || so[2] != 1 || so[3] != -1 || !isnan(so[4]) ||
        fabsf(so[5] - (float)erf(1e-40)) > 1.5e-45f) {
        fprintf(stderr, "FAIL: erf special values: %g %g %g %g %g %g\n", so[0], so[1], so[2], so[3],
                so[4], so[5]);
        failed = 1;
    }
    free(x);
    free(y);
    return failed;
}
