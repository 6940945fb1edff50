/* Operation codes of the elementwise shaders (a specialization constant),
 * shared by the GLSL (#include) and the C side (engine/vulkan/). Plain
 * #defines only: this file is read by both compilers. */
#ifndef EM_SHADER_OPS_H
#define EM_SHADER_OPS_H

/* unary.comp */
#define UOP_ABS 1
#define UOP_NEG 2
#define UOP_SIGN 3
#define UOP_SQUARE 4
#define UOP_SQRT 5
#define UOP_RSQRT 6
#define UOP_RECIP 7
#define UOP_EXP 8
#define UOP_EXPM1 9
#define UOP_LOG 10
#define UOP_LOG1P 11
#define UOP_LOG2 12
#define UOP_LOG10 13
#define UOP_SIN 14
#define UOP_COS 15
#define UOP_TAN 16
#define UOP_ASIN 17
#define UOP_ACOS 18
#define UOP_ATAN 19
#define UOP_SINH 20
#define UOP_COSH 21
#define UOP_TANH 22
#define UOP_ASINH 23
#define UOP_ACOSH 24
#define UOP_ATANH 25
#define UOP_SIGMOID 26
#define UOP_ERF 27
#define UOP_ERFINV 28
#define UOP_FLOOR 29
#define UOP_CEIL 30
#define UOP_ROUND 31
#define UOP_ISNAN 32
#define UOP_ISINF 33
#define UOP_ISFINITE 34
#define UOP_ISPOSINF 35
#define UOP_ISNEGINF 36
#define UOP_LNOT 37
#define UOP_INVERT 38
#define UOP_COPY 39

/* binary.comp */
#define BOP_ADD 1
#define BOP_SUB 2
#define BOP_MUL 3
#define BOP_DIV 4
#define BOP_FLOORDIV 5
#define BOP_REM 6
#define BOP_POW 7
#define BOP_MAX 8
#define BOP_MIN 9
#define BOP_LOGADDEXP 10
#define BOP_ATAN2 11
#define BOP_EQ 12
#define BOP_NE 13
#define BOP_LT 14
#define BOP_LE 15
#define BOP_GT 16
#define BOP_GE 17
#define BOP_LAND 18
#define BOP_LOR 19
#define BOP_BAND 20
#define BOP_BOR 21
#define BOP_BXOR 22
#define BOP_SHL 23
#define BOP_SHR 24

/* reduce*.comp */
#define ROP_SUM 1
#define ROP_PROD 2
#define ROP_MAX 3
#define ROP_MIN 4
#define ROP_ALL 5
#define ROP_ANY 6
#define ROP_ARGMAX 7
#define ROP_ARGMIN 8

/* create.comp */
#define COP_ARANGE 1
#define COP_LINSPACE 2
#define COP_TRI 3

#endif
