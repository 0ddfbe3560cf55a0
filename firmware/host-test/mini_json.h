/* A tiny JSON reader, just enough for firmware/test-vectors/ruuvi.json (test code only). */
#ifndef MINI_JSON_H
#define MINI_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { MJ_NULL, MJ_BOOL, MJ_NUMBER, MJ_STRING, MJ_ARRAY, MJ_OBJECT } mj_type_t;

typedef struct mj_value
{
    mj_type_t         type;
    bool              boolean;
    double            number;
    char *            string;  /* MJ_STRING: the value; members: the key */
    char *            key;
    struct mj_value * children; /* array items / object members */
    size_t            count;
} mj_value_t;

/** Parses text; returns NULL on a syntax error (message in err). Free with mj_free. */
mj_value_t * mj_parse (const char * text, char * err, size_t err_cap);
void         mj_free (mj_value_t * v);
const mj_value_t * mj_get (const mj_value_t * obj, const char * key);
/** Reads a whole file; NULL on failure. Caller frees. */
char * mj_read_file (const char * path);

#endif
