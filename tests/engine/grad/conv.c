/* Gradient cases of conv1d, conv2d (stride, padding, dilation, groups) and
 * conv_transpose2d, and a small convolutional composite. */
#include "grad.h"

#define CONV1(NAME, S, P, D, G) \
    static em_array *f_##NAME(em_array *const *x) { return em_conv1d(x[0], x[1], S, P, D, G); }
#define CONV2(NAME, SH, SW, PH, PW, DH, DW, G)                                             \
    static em_array *f_##NAME(em_array *const *x)                                          \
    {                                                                                      \
        return em_conv2d(x[0], x[1], (int[]){SH, SW}, (int[]){PH, PW}, (int[]){DH, DW}, G); \
    }
#define CONVT(NAME, SH, SW, PH, PW, DH, DW, OH, OW, G)                                     \
    static em_array *f_##NAME(em_array *const *x)                                          \
    {                                                                                      \
        return em_conv_transpose2d(x[0], x[1], (int[]){SH, SW}, (int[]){PH, PW},           \
                                   (int[]){DH, DW}, (int[]){OH, OW}, G);                   \
    }
CONV1(conv1d, 1, 1, 1, 1)
CONV1(conv1d_strided_dilated, 2, 2, 2, 1)
CONV1(conv1d_groups, 1, 0, 1, 2)
CONV2(conv2d, 1, 1, 0, 0, 1, 1, 1)
CONV2(conv2d_stride_pad, 2, 2, 1, 1, 1, 1, 1)
CONV2(conv2d_dilation, 1, 1, 0, 0, 2, 2, 1)
CONV2(conv2d_groups, 1, 1, 1, 1, 1, 1, 2)
CONV2(conv2d_depthwise, 1, 1, 1, 1, 1, 1, 3)
CONV2(conv2d_mixed, 2, 1, 1, 2, 1, 2, 2)
CONV2(conv2d_stride3_uneven, 3, 2, 0, 1, 1, 1, 1)
CONVT(conv_t2d, 1, 1, 0, 0, 1, 1, 0, 0, 1)
CONVT(conv_t2d_stride_pad_op, 2, 2, 1, 1, 1, 1, 1, 1, 1)
CONVT(conv_t2d_groups_dilation, 1, 2, 1, 0, 2, 1, 0, 0, 2)
CONVT(conv_t2d_mixed, 2, 3, 0, 1, 1, 2, 1, 2, 2)

/* conv -> tanh -> strided conv */
static em_array *f_small_cnn(em_array *const *x)
{
    em_array *h = em_tanh(em_conv2d(x[0], x[1], NULL, (int[]){1, 1}, NULL, 1));
    return em_conv2d(h, x[2], (int[]){2, 2}, NULL, NULL, 1);
}

#define S3(a, b, c) {3, {a, b, c}}
#define S4(a, b, c, d) {4, {a, b, c, d}}

const grad_case grad_cases_conv[] = {
    {"conv1d", 2, {S3(2, 7, 3), S3(4, 3, 3)}, -1, 1, f_conv1d},
    {"conv1d_strided_dilated", 2, {S3(2, 9, 2), S3(3, 3, 2)}, -1, 1, f_conv1d_strided_dilated},
    {"conv1d_groups", 2, {S3(1, 6, 4), S3(4, 2, 2)}, -1, 1, f_conv1d_groups},
    {"conv2d", 2, {S4(2, 5, 5, 3), S4(4, 3, 3, 3)}, -1, 1, f_conv2d},
    {"conv2d_stride_pad", 2, {S4(1, 6, 7, 2), S4(3, 3, 2, 2)}, -1, 1, f_conv2d_stride_pad},
    {"conv2d_dilation", 2, {S4(1, 7, 7, 2), S4(2, 2, 3, 2)}, -1, 1, f_conv2d_dilation},
    {"conv2d_groups", 2, {S4(2, 5, 5, 4), S4(6, 3, 3, 2)}, -1, 1, f_conv2d_groups},
    {"conv2d_depthwise", 2, {S4(1, 5, 5, 3), S4(3, 3, 3, 1)}, -1, 1, f_conv2d_depthwise},
    {"conv2d_mixed", 2, {S4(2, 7, 6, 4), S4(4, 3, 2, 2)}, -1, 1, f_conv2d_mixed},
    {"conv2d_stride3_uneven", 2, {S4(1, 8, 7, 2), S4(2, 2, 3, 2)}, -1, 1, f_conv2d_stride3_uneven},
    {"conv_transpose2d", 2, {S4(1, 4, 4, 3), S4(2, 3, 3, 3)}, -1, 1, f_conv_t2d},
    {"conv_transpose2d_stride_pad_op", 2, {S4(2, 3, 4, 2), S4(3, 3, 3, 2)}, -1, 1, f_conv_t2d_stride_pad_op},
    {"conv_transpose2d_groups_dilation", 2, {S4(1, 4, 3, 4), S4(6, 2, 3, 2)}, -1, 1, f_conv_t2d_groups_dilation},
    {"conv_transpose2d_mixed", 2, {S4(1, 3, 3, 2), S4(4, 3, 2, 1)}, -1, 1, f_conv_t2d_mixed},
    {"small_cnn", 3, {S4(1, 6, 6, 2), S4(3, 3, 3, 2), S4(2, 2, 2, 3)}, -1, 1, f_small_cnn},
    {0},
};
