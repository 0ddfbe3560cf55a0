/*
 * Stand-in for newlib's <assert.h>, reached through ESP-IDF's newlib/platform_include/assert.h
 * (#include_next). ESP-IDF's assert macro calls newlib's __assert_func with __ASSERT_FUNC;
 * glibc's <assert.h>, included after this, has neither.
 */
#include_next <assert.h>
#ifndef __ASSERT_FUNC
#define __ASSERT_FUNC __func__
#endif
void __assert_func (const char * file, int line, const char * func, const char * expr) __attribute__ ((__noreturn__));
