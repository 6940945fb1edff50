// Float helpers the GLSL library lacks or gets wrong at the edges.
const float PI_F = 3.14159265358979;

float expm1_f(float x)
{
    if (abs(x) < 1e-5)
        return x + 0.5 * x * x;
    float u = exp(x);
    if (isinf(u) || u == 1.0)
        return u == 1.0 ? x : u;
    float um1 = u - 1.0;
    if (um1 == -1.0)
        return -1.0;
    return um1 * x / log(u); // Kahan's correction of exp(x) - 1
}

float log1p_f(float x)
{
    float u = 1.0 + x;
    if (u == 1.0)
        return x;
    if (isinf(u) || u == 0.0)
        return log(u);
    return log(u) * x / (u - 1.0);
}

float erf_f(float x)
{
    float ax = abs(x);
    if (ax < 0.5) {
        float x2 = x * x; // Taylor series, ample below 0.5
        return 1.1283791670955126 * x *
               (1.0 + x2 * (-1.0 / 3.0 + x2 * (0.1 + x2 * (-1.0 / 42.0 + x2 * (1.0 / 216.0 - x2 / 1320.0)))));
    }
    // Chebyshev fit of erfc (fractional error under 1.2e-7)
    float t = 1.0 / (1.0 + 0.5 * ax);
    float r = t * exp(-ax * ax - 1.26551223 +
                      t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
                      t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 +
                      t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0.0 ? 1.0 - r : r - 1.0;
}

float erfinv_f(float y)
{
    if (y <= -1.0)
        return y == -1.0 ? -1.0 / 0.0 : 0.0 / 0.0;
    if (y >= 1.0)
        return y == 1.0 ? 1.0 / 0.0 : 0.0 / 0.0;
    float w = -log((1.0 - y) * (1.0 + y)), x;
    if (w < 5.0) { // Giles' single-precision approximation
        w -= 2.5;
        x = 2.81022636e-08;
        x = 3.43273939e-07 + x * w;
        x = -3.5233877e-06 + x * w;
        x = -4.39150654e-06 + x * w;
        x = 0.00021858087 + x * w;
        x = -0.00125372503 + x * w;
        x = -0.00417768164 + x * w;
        x = 0.246640727 + x * w;
        x = 1.50140941 + x * w;
    } else {
        w = sqrt(w) - 3.0;
        x = -0.000200214257;
        x = 0.000100950558 + x * w;
        x = 0.00134934322 + x * w;
        x = -0.00367342844 + x * w;
        x = 0.00573950773 + x * w;
        x = -0.0076224613 + x * w;
        x = 0.00943887047 + x * w;
        x = 1.00167406 + x * w;
        x = 2.83297682 + x * w;
    }
    return x * y;
}

float tanh_f(float x) { return isnan(x) ? x : tanh(clamp(x, -10.0, 10.0)); }
float sigmoid_f(float x) { return 1.0 / (1.0 + exp(-x)); }

float pow_f(float x, float y)
{
    if (y == 0.0 || x == 1.0)
        return 1.0;
    if (isnan(x) || isnan(y))
        return x + y;
    if (x == 0.0)
        return y > 0.0 ? ((floatBitsToUint(x) >> 31) != 0u && mod(y, 2.0) == 1.0 ? -0.0 : 0.0)
                       : ((floatBitsToUint(x) >> 31) != 0u && mod(y, 2.0) == 1.0 ? -1.0 / 0.0 : 1.0 / 0.0);
    float ax = abs(x);
    if (isinf(y))
        return ax == 1.0 ? 1.0 : ((ax > 1.0) == (y > 0.0) ? 1.0 / 0.0 : 0.0);
    float r = exp2(y * log2(ax));
    if (x < 0.0) {
        if (floor(y) != y)
            return 0.0 / 0.0;
        if (mod(y, 2.0) == 1.0)
            r = -r;
    }
    return r;
}

// numpy's remainder: the sign of the divisor
float rem_f(float x, float y)
{
    if (y == 0.0 || isinf(x) || isnan(x) || isnan(y))
        return 0.0 / 0.0;
    if (isinf(y))
        return (x == 0.0 || (x < 0.0) == (y < 0.0)) ? x : y;
    float r = x - y * trunc(x / y);
    if (abs(r) >= abs(y))
        r = 0.0;
    if (r != 0.0 && ((r < 0.0) != (y < 0.0)))
        r += y;
    return r;
}

float atan2_f(float y, float x)
{
    if (y == 0.0 && x == 0.0)
        return (floatBitsToUint(x) >> 31) != 0u ? ((floatBitsToUint(y) >> 31) != 0u ? -PI_F : PI_F) : y;
    return atan(y, x);
}

float logaddexp_f(float a, float b)
{
    float m = max(a, b);
    if (isnan(a) || isnan(b))
        return a + b;
    if (isinf(m))
        return m;
    return m + log1p_f(exp(-abs(a - b)));
}
