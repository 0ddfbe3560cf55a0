/*
 * Stand-in for newlib's <sys/reent.h>, reached through ESP-IDF's newlib/platform_include
 * (#include_next). FreeRTOS keeps a struct _reent by value in every task, so the type must be
 * complete; its members are newlib's business and nothing in the glue touches them.
 */
#pragma once
struct _reent
{
    int _errno;
};
