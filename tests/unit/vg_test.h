/* vg_test.h - the tiny unit-test harness of vigil's tests/unit programs.
 *
 *     static void test_thing(void) { CHECK(x == 1); CHECK_EQ_U(a, 7); CHECK_STR(s, "abc"); }
 *     int main(void) { RUN(test_thing); return vg_test_done("decode"); }
 *
 * Each CHECK counts one assertion; a failing one prints file:line and the values. vg_test_done
 * prints "<suite>: N passed, N failed" and returns the process exit status.
 */
#ifndef VG_TEST_H
#define VG_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int vg_test_passed, vg_test_failed;
static const char *vg_test_current = "";

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            vg_test_passed++;                                                                      \
        } else {                                                                                   \
            vg_test_failed++;                                                                      \
            fprintf(stderr, "FAIL %s:%d [%s]: %s\n", __FILE__, __LINE__, vg_test_current, #cond);  \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_U(a, b)                                                                           \
    do {                                                                                           \
        unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b);            \
        if (va_ == vb_) {                                                                          \
            vg_test_passed++;                                                                      \
        } else {                                                                                   \
            vg_test_failed++;                                                                      \
            fprintf(stderr, "FAIL %s:%d [%s]: %s == %s (%llu != %llu)\n", __FILE__, __LINE__,      \
                    vg_test_current, #a, #b, va_, vb_);                                            \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *sa_ = (a), *sb_ = (b);                                                         \
        if (sa_ && sb_ && strcmp(sa_, sb_) == 0) {                                                 \
            vg_test_passed++;                                                                      \
        } else {                                                                                   \
            vg_test_failed++;                                                                      \
            fprintf(stderr, "FAIL %s:%d [%s]: %s == %s (\"%s\" != \"%s\")\n", __FILE__, __LINE__,  \
                    vg_test_current, #a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");          \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        vg_test_current = #fn;                                                                     \
        fn();                                                                                      \
    } while (0)

static inline int vg_test_done(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, vg_test_passed, vg_test_failed);
    return vg_test_failed ? 1 : 0;
}

#endif
