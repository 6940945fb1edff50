// Storage of SZ-byte elements moved without interpretation (copy, where, full).
#if SZ == 1
#define E_ST uint8_t
#elif SZ == 2
#define E_ST uint16_t
#elif SZ == 4
#define E_ST uint
#else
#define E_ST uvec2
#endif
