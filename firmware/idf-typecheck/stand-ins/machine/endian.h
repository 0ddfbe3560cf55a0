/*
 * Stand-in for newlib's <machine/endian.h>, which ESP-IDF's newlib/platform_include/endian.h
 * includes and glibc does not have. The byte order names newlib uses, from glibc's own.
 */
#pragma once
#include <bits/endian.h>
#define _LITTLE_ENDIAN __LITTLE_ENDIAN
#define _BIG_ENDIAN    __BIG_ENDIAN
#define _BYTE_ORDER    __BYTE_ORDER
#define __bswap16(x)   __builtin_bswap16(x)
#define __bswap32(x)   __builtin_bswap32(x)
#define __bswap64(x)   __builtin_bswap64(x)
