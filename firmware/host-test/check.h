/* Minimal test assertions for the host tests. */
#ifndef RUUVI_CHECK_H
#define RUUVI_CHECK_H

#include <stdio.h>

static int g_failures = 0;
static int g_checks = 0;

#define CHECK(cond, ...)                                                     \
    do                                                                       \
    {                                                                        \
        g_checks++;                                                          \
        if (!(cond))                                                         \
        {                                                                    \
            g_failures++;                                                    \
            fprintf (stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf (stderr, __VA_ARGS__);                                   \
            fprintf (stderr, "\n");                                          \
        }                                                                    \
    } while (0)

#define CHECK_DONE(name)                                                     \
    do                                                                       \
    {                                                                        \
        printf ("%s: %d checks, %d failures\n", (name), g_checks, g_failures); \
        return (0 == g_failures && g_checks > 0) ? 0 : 1;                   \
    } while (0)

#endif
