// Shared by the compute shaders: element types chosen at build time.
//
// A shader is compiled once per dtype combination with -DDT_A=<em_dtype>
// (and DT_B, DT_C, DT_O where it has those operands). For an operand X of
// dtype code N this defines:
//   X_ST         the storage type in the buffer
//   X_CT         the compute type (half types compute in float, small
//                integers in 32 bits, bool as uint 0/1)
//   X_LD(v)      storage -> compute
//   X_STORE(v)   compute -> storage
//   X_FLOAT, X_SIGNED, X_BOOL (0/1), X_BITS (storage width)
// The dtype codes are em_dtype's (engine/include/ember/dtype.h).
#extension GL_EXT_shader_8bit_storage : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require

#define DT_BOOL 0
#define DT_U8 1
#define DT_U16 2
#define DT_U32 3
#define DT_U64 4
#define DT_I8 5
#define DT_I16 6
#define DT_I32 7
#define DT_I64 8
#define DT_F16 9
#define DT_BF16 10
#define DT_F32 11

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

// bfloat16: the high half of a float, rounded to nearest even (NaN kept quiet).
float bf16_to_f32(uint v) { return uintBitsToFloat(v << 16); }
uint f32_to_bf16(float f)
{
    uint u = floatBitsToUint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (u >> 16) | 0x40u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

#define ST_0 uint8_t
#define CT_0 uint
#define LD_0(v) uint(v)
#define STORE_0(v) uint8_t(v)

#define ST_1 uint8_t
#define CT_1 uint
#define LD_1(v) uint(v)
#define STORE_1(v) uint8_t(v)

#define ST_2 uint16_t
#define CT_2 uint
#define LD_2(v) uint(v)
#define STORE_2(v) uint16_t(v)

#define ST_3 uint
#define CT_3 uint
#define LD_3(v) (v)
#define STORE_3(v) uint(v)

#define ST_4 uint64_t
#define CT_4 uint64_t
#define LD_4(v) (v)
#define STORE_4(v) uint64_t(v)

#define ST_5 int8_t
#define CT_5 int
#define LD_5(v) int(v)
#define STORE_5(v) int8_t(v)

#define ST_6 int16_t
#define CT_6 int
#define LD_6(v) int(v)
#define STORE_6(v) int16_t(v)

#define ST_7 int
#define CT_7 int
#define LD_7(v) (v)
#define STORE_7(v) int(v)

#define ST_8 int64_t
#define CT_8 int64_t
#define LD_8(v) (v)
#define STORE_8(v) int64_t(v)

#define ST_9 float16_t
#define CT_9 float
#define LD_9(v) float(v)
#define STORE_9(v) float16_t(v)

#define ST_10 uint16_t
#define CT_10 float
#define LD_10(v) bf16_to_f32(uint(v))
#define STORE_10(v) uint16_t(f32_to_bf16(v))

#define ST_11 float
#define CT_11 float
#define LD_11(v) (v)
#define STORE_11(v) float(v)

#ifdef DT_A
#define A_ST CAT(ST_, DT_A)
#define A_CT CAT(CT_, DT_A)
#define A_LD CAT(LD_, DT_A)
#define A_STORE CAT(STORE_, DT_A)
#if DT_A >= DT_F16
#define A_FLOAT 1
#else
#define A_FLOAT 0
#endif
#if (DT_A >= DT_I8 && DT_A <= DT_I64) || DT_A >= DT_F16
#define A_SIGNED 1
#else
#define A_SIGNED 0
#endif
#if DT_A == DT_BOOL || DT_A == DT_U8 || DT_A == DT_I8
#define A_BITS 8
#elif DT_A == DT_U16 || DT_A == DT_I16 || DT_A == DT_F16 || DT_A == DT_BF16
#define A_BITS 16
#elif DT_A == DT_U64 || DT_A == DT_I64
#define A_BITS 64
#else
#define A_BITS 32
#endif
#endif
#ifdef DT_O
#define O_ST CAT(ST_, DT_O)
#define O_CT CAT(CT_, DT_O)
#define O_LD CAT(LD_, DT_O)
#define O_STORE CAT(STORE_, DT_O)
#if DT_O >= DT_F16
#define O_FLOAT 1
#else
#define O_FLOAT 0
#endif
#if (DT_O >= DT_I8 && DT_O <= DT_I64) || DT_O >= DT_F16
#define O_SIGNED 1
#else
#define O_SIGNED 0
#endif
#if DT_O == DT_BOOL || DT_O == DT_U8 || DT_O == DT_I8
#define O_BITS 8
#elif DT_O == DT_U16 || DT_O == DT_I16 || DT_O == DT_F16 || DT_O == DT_BF16
#define O_BITS 16
#elif DT_O == DT_U64 || DT_O == DT_I64
#define O_BITS 64
#else
#define O_BITS 32
#endif
#endif

// Strided addressing: element i of a row-major walk over `shape` (ND dims,
// a specialization constant) at strides s, as an element offset.
#define MAXD 8
