/**
 * @file ruuvi_util.c
 * Hex, MAC and allow-list helpers.
 */
#include "ruuvi_util.h"

#include <stdio.h>
#include <string.h>

#define RUUVI_HEX_DIGITS_PER_BYTE (2U)
#define RUUVI_MAC_HEX_LEN         (12U)

static int hex_value (char c)
{
    if (c >= '0' && c <= '9')
    {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f')
    {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F')
    {
        return c - 'A' + 10;
    }
    return -1;
}

static bool is_separator (char c)
{
    return ' ' == c || '\t' == c || '\n' == c || '\r' == c || ':' == c || '-' == c;
}

ruuvi_err_t ruuvi_hex_decode (const char * hex, uint8_t * out, size_t cap, size_t * p_len)
{
    if (NULL == hex || NULL == p_len || (NULL == out && cap > 0U))
    {
        return RUUVI_ERR_NULL;
    }
    const char * s = hex;
    while (is_separator (*s))
    {
        s++;
    }
    if ('0' == s[0] && ('x' == s[1] || 'X' == s[1]))
    {
        s += 2;
    }
    size_t digits = 0;
    int high = -1;
    size_t n = 0;
    for (; '\0' != *s; s++)
    {
        if (is_separator (*s))
        {
            continue;
        }
        const int v = hex_value (*s);
        if (v < 0)
        {
            return RUUVI_ERR_INVALID_HEX;
        }
        digits++;
        if (high < 0)
        {
            high = v;
        }
        else
        {
            if (n >= cap)
            {
                return RUUVI_ERR_NO_SPACE;
            }
            out[n++] = (uint8_t) ( (high << 4) | v);
            high = -1;
        }
    }
    if (0U == digits)
    {
        return RUUVI_ERR_EMPTY;
    }
    if (high >= 0)
    {
        return RUUVI_ERR_INVALID_HEX;
    }
    *p_len = n;
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_hex_encode (const uint8_t * bytes, size_t len, char * out, size_t cap)
{
    static const char digits[] = "0123456789ABCDEF";
    if ( (NULL == bytes && len > 0U) || NULL == out)
    {
        return RUUVI_ERR_NULL;
    }
    if (cap < RUUVI_HEX_DIGITS_PER_BYTE * len + 1U || len > (SIZE_MAX - 1U) / RUUVI_HEX_DIGITS_PER_BYTE)
    {
        return RUUVI_ERR_NO_SPACE;
    }
    for (size_t i = 0; i < len; i++)
    {
        out[RUUVI_HEX_DIGITS_PER_BYTE * i] = digits[bytes[i] >> 4];
        out[RUUVI_HEX_DIGITS_PER_BYTE * i + 1U] = digits[bytes[i] & 0x0FU];
    }
    out[RUUVI_HEX_DIGITS_PER_BYTE * len] = '\0';
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_mac_parse (const char * str, uint8_t mac[RUUVI_MAC_LEN])
{
    if (NULL == str || NULL == mac)
    {
        return RUUVI_ERR_NULL;
    }
    uint8_t tmp[RUUVI_MAC_LEN];
    size_t digits = 0;
    size_t i = 0;
    for (; '\0' != str[i]; i++)
    {
        const char c = str[i];
        if (':' == c || '-' == c)
        {
            /* a separator only between octets */
            if (0U == digits || 0U != digits % 2U || RUUVI_MAC_HEX_LEN == digits)
            {
                return RUUVI_ERR_INVALID_MAC;
            }
            continue;
        }
        const int v = hex_value (c);
        if (v < 0 || digits >= RUUVI_MAC_HEX_LEN)
        {
            return RUUVI_ERR_INVALID_MAC;
        }
        if (0U == digits % 2U)
        {
            tmp[digits / 2U] = (uint8_t) (v << 4);
        }
        else
        {
            tmp[digits / 2U] = (uint8_t) (tmp[digits / 2U] | (uint8_t) v);
        }
        digits++;
    }
    if (RUUVI_MAC_HEX_LEN != digits)
    {
        return RUUVI_ERR_INVALID_MAC;
    }
    memcpy (mac, tmp, RUUVI_MAC_LEN);
    return RUUVI_OK;
}

void ruuvi_mac_from_ble_addr (const uint8_t addr_le[RUUVI_MAC_LEN], uint8_t mac[RUUVI_MAC_LEN])
{
    if (NULL == addr_le || NULL == mac)
    {
        return;
    }
    for (size_t i = 0; i < RUUVI_MAC_LEN; i++)
    {
        mac[i] = addr_le[RUUVI_MAC_LEN - 1U - i];
    }
}

ruuvi_err_t ruuvi_mac_format (const uint8_t mac[RUUVI_MAC_LEN], char * out, size_t cap)
{
    if (NULL == mac || NULL == out)
    {
        return RUUVI_ERR_NULL;
    }
    if (cap < RUUVI_MAC_STR_LEN)
    {
        return RUUVI_ERR_NO_SPACE;
    }
    (void) snprintf (out, cap, "%02X:%02X:%02X:%02X:%02X:%02X", mac[0], mac[1], mac[2], mac[3], mac[4],
                     mac[5]);
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_allowlist_parse (ruuvi_allowlist_t * p_list, uint8_t (*p_storage)[RUUVI_MAC_LEN],
                                   size_t capacity, const char * csv)
{
    if (NULL == p_list || NULL == csv || (NULL == p_storage && capacity > 0U))
    {
        return RUUVI_ERR_NULL;
    }
    p_list->p_macs = p_storage;
    p_list->capacity = capacity;
    p_list->count = 0;
    const char * s = csv;
    while ('\0' != *s)
    {
        while (',' == *s || ' ' == *s || ';' == *s)
        {
            s++;
        }
        if ('\0' == *s)
        {
            break;
        }
        char item[RUUVI_MAC_STR_LEN];
        size_t n = 0;
        while ('\0' != *s && ',' != *s && ' ' != *s && ';' != *s)
        {
            if (n + 1U >= sizeof (item))
            {
                return RUUVI_ERR_INVALID_MAC;
            }
            item[n++] = *s++;
        }
        item[n] = '\0';
        if (p_list->count >= capacity)
        {
            return RUUVI_ERR_NO_SPACE;
        }
        const ruuvi_err_t err = ruuvi_mac_parse (item, p_storage[p_list->count]);
        if (RUUVI_OK != err)
        {
            return err;
        }
        p_list->count++;
    }
    return RUUVI_OK;
}

bool ruuvi_allowlist_allows (const ruuvi_allowlist_t * p_list, const uint8_t mac[RUUVI_MAC_LEN])
{
    if (NULL == p_list || NULL == mac)
    {
        return false;
    }
    if (0U == p_list->count)
    {
        return true;
    }
    if (NULL == p_list->p_macs)
    {
        return false;
    }
    for (size_t i = 0; i < p_list->count; i++)
    {
        if (0 == memcmp (p_list->p_macs[i], mac, RUUVI_MAC_LEN))
        {
            return true;
        }
    }
    return false;
}
