/*
 * Stand-in for newlib's <reent.h>, which FreeRTOS.h includes when newlib's per-task reentrancy
 * is on (as in every ESP-IDF build). Only the type is needed: see sys/reent.h here.
 */
#pragma once
#include <sys/reent.h>
