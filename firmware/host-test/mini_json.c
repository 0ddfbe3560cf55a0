#include "mini_json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
    const char * s;
    size_t       i;
    char *       err;
    size_t       err_cap;
} mj_parser_t;

static bool fail (mj_parser_t * p, const char * what)
{
    if (NULL != p->err && p->err_cap > 0U)
    {
        (void) snprintf (p->err, p->err_cap, "%s at offset %zu", what, p->i);
    }
    return false;
}

static void skip_ws (mj_parser_t * p)
{
    while (isspace ( (unsigned char) p->s[p->i]))
    {
        p->i++;
    }
}

static void free_children (mj_value_t * v)
{
    for (size_t i = 0; i < v->count; i++)
    {
        free_children (&v->children[i]);
        free (v->children[i].key);
        free (v->children[i].string);
    }
    free (v->children);
    v->children = NULL;
    v->count = 0;
}

static bool parse_value (mj_parser_t * p, mj_value_t * v, int depth);

static bool parse_string (mj_parser_t * p, char ** out)
{
    if ('"' != p->s[p->i])
    {
        return fail (p, "expected string");
    }
    p->i++;
    size_t cap = 16;
    size_t n = 0;
    char * buf = malloc (cap);
    if (NULL == buf)
    {
        return fail (p, "out of memory");
    }
    for (;;)
    {
        char c = p->s[p->i];
        if ('\0' == c)
        {
            free (buf);
            return fail (p, "unterminated string");
        }
        p->i++;
        if ('"' == c)
        {
            break;
        }
        if ('\\' == c)
        {
            const char e = p->s[p->i++];
            switch (e)
            {
                case '"': c = '"'; break;
                case '\\': c = '\\'; break;
                case '/': c = '/'; break;
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case 'r': c = '\r'; break;
                case 'b': c = '\b'; break;
                case 'f': c = '\f'; break;
                default:
                    free (buf);
                    return fail (p, "unsupported escape"); /* \u is not needed by the vectors */
            }
        }
        if (n + 2U > cap)
        {
            cap *= 2U;
            char * nb = realloc (buf, cap);
            if (NULL == nb)
            {
                free (buf);
                return fail (p, "out of memory");
            }
            buf = nb;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    *out = buf;
    return true;
}

static bool push_child (mj_value_t * v, mj_value_t * child)
{
    mj_value_t * nc = realloc (v->children, (v->count + 1U) * sizeof (*nc));
    if (NULL == nc)
    {
        return false;
    }
    v->children = nc;
    v->children[v->count++] = *child;
    return true;
}

static bool parse_container (mj_parser_t * p, mj_value_t * v, int depth, bool object)
{
    const char close = object ? '}' : ']';
    v->type = object ? MJ_OBJECT : MJ_ARRAY;
    p->i++;
    skip_ws (p);
    if (close == p->s[p->i])
    {
        p->i++;
        return true;
    }
    for (;;)
    {
        mj_value_t child;
        memset (&child, 0, sizeof (child));
        skip_ws (p);
        if (object)
        {
            if (!parse_string (p, &child.key))
            {
                return false;
            }
            skip_ws (p);
            if (':' != p->s[p->i])
            {
                free (child.key);
                return fail (p, "expected ':'");
            }
            p->i++;
        }
        if (!parse_value (p, &child, depth + 1) || !push_child (v, &child))
        {
            free_children (&child);
            free (child.key);
            free (child.string);
            return false;
        }
        skip_ws (p);
        if (',' == p->s[p->i])
        {
            p->i++;
            continue;
        }
        if (close == p->s[p->i])
        {
            p->i++;
            return true;
        }
        return fail (p, "expected ',' or closing bracket");
    }
}

static bool parse_value (mj_parser_t * p, mj_value_t * v, int depth)
{
    if (depth > 64)
    {
        return fail (p, "nesting too deep");
    }
    skip_ws (p);
    const char c = p->s[p->i];
    if ('{' == c || '[' == c)
    {
        return parse_container (p, v, depth, '{' == c);
    }
    if ('"' == c)
    {
        v->type = MJ_STRING;
        return parse_string (p, &v->string);
    }
    if (0 == strncmp (&p->s[p->i], "true", 4))
    {
        v->type = MJ_BOOL;
        v->boolean = true;
        p->i += 4;
        return true;
    }
    if (0 == strncmp (&p->s[p->i], "false", 5))
    {
        v->type = MJ_BOOL;
        p->i += 5;
        return true;
    }
    if (0 == strncmp (&p->s[p->i], "null", 4))
    {
        v->type = MJ_NULL;
        p->i += 4;
        return true;
    }
    char * end = NULL;
    const double d = strtod (&p->s[p->i], &end);
    if (end == &p->s[p->i])
    {
        return fail (p, "unexpected character");
    }
    v->type = MJ_NUMBER;
    v->number = d;
    p->i = (size_t) (end - p->s);
    return true;
}

mj_value_t * mj_parse (const char * text, char * err, size_t err_cap)
{
    if (NULL == text)
    {
        return NULL;
    }
    mj_parser_t p = { text, 0, err, err_cap };
    mj_value_t * v = calloc (1, sizeof (*v));
    if (NULL == v)
    {
        return NULL;
    }
    if (!parse_value (&p, v, 0))
    {
        mj_free (v);
        return NULL;
    }
    skip_ws (&p);
    if ('\0' != text[p.i])
    {
        (void) fail (&p, "trailing characters");
        mj_free (v);
        return NULL;
    }
    return v;
}

void mj_free (mj_value_t * v)
{
    if (NULL == v)
    {
        return;
    }
    free_children (v);
    free (v->string);
    free (v->key);
    free (v);
}

const mj_value_t * mj_get (const mj_value_t * obj, const char * key)
{
    if (NULL == obj || MJ_OBJECT != obj->type || NULL == key)
    {
        return NULL;
    }
    for (size_t i = 0; i < obj->count; i++)
    {
        if (0 == strcmp (obj->children[i].key, key))
        {
            return &obj->children[i];
        }
    }
    return NULL;
}

char * mj_read_file (const char * path)
{
    FILE * f = fopen (path, "rb");
    if (NULL == f)
    {
        return NULL;
    }
    size_t cap = 4096;
    size_t n = 0;
    char * buf = malloc (cap);
    while (NULL != buf)
    {
        const size_t got = fread (&buf[n], 1, cap - n - 1U, f);
        n += got;
        if (n + 1U < cap)
        {
            break;
        }
        cap *= 2U;
        char * nb = realloc (buf, cap);
        if (NULL == nb)
        {
            free (buf);
            buf = NULL;
        }
        else
        {
            buf = nb;
        }
    }
    (void) fclose (f);
    if (NULL != buf)
    {
        buf[n] = '\0';
    }
    return buf;
}
